using AttackCore.Tests.TestSupport;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>A fact that needs both Azurite and a shared model beside the repository; skipped with the reason otherwise.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class AzuriteSharedModelFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="AzuriteSharedModelFactAttribute"/> class.</summary>
    /// <param name="modelFolder">The folder name under ../shared/models.</param>
    public AzuriteSharedModelFactAttribute(string modelFolder)
    {
        Skip = new SharedModelFactAttribute(modelFolder).Skip ?? new AzuriteFactAttribute().Skip;
    }
}
