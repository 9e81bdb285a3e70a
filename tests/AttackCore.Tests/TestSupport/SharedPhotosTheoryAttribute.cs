namespace AttackCore.Tests.TestSupport;

/// <summary>A theory that needs the photos in ../shared/images beside the repository; skipped, with the reason, when absent.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SharedPhotosTheoryAttribute : TheoryAttribute
{
    /// <summary>Initializes a new instance of the <see cref="SharedPhotosTheoryAttribute"/> class.</summary>
    public SharedPhotosTheoryAttribute()
    {
        if (Folder is null || !Directory.Exists(Folder))
        {
            Skip = $"The shared photos are not at {Folder ?? "(repository root not found)"}; the photo cases need ../shared/images beside the repository (the synthetic cases run without them).";
        }
    }

    /// <summary>Gets the absolute folder of the shared photos (it may not exist).</summary>
    public static string? Folder => RepoPaths.FromRoot(Path.Combine("..", "shared", "images"));
}
