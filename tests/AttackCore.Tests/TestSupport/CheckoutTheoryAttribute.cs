namespace AttackCore.Tests.TestSupport;

/// <summary>A theory that compares files of the repository: skipped, saying why, when the tests run outside a checkout.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CheckoutTheoryAttribute : TheoryAttribute
{
    /// <summary>Initializes a new instance of the <see cref="CheckoutTheoryAttribute"/> class.</summary>
    public CheckoutTheoryAttribute()
    {
        if (RepoPaths.RepoRoot is null)
        {
            Skip = "The tests run outside a checkout (no Serverless.sln above them), so there is no docs/ folder to compare.";
        }
    }
}
