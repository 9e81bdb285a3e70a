namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>A test that runs its own Azurite (<see cref="AzuriteProcess"/>); skipped, saying why, where it cannot.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PrivateAzuriteFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="PrivateAzuriteFactAttribute"/> class.</summary>
    public PrivateAzuriteFactAttribute()
    {
        if (AzuriteProcess.Unavailable is string why)
        {
            Skip = why + ".";
        }
    }
}
