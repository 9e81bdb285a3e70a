namespace AttackCore.Tests.TestSupport;

/// <summary>Locates the repository root (the folder with Serverless.sln) and the shared test assets beside it.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string?> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    });

    /// <summary>Gets the repository root, or null when the tests run outside a checkout.</summary>
    public static string? RepoRoot => Root.Value;

    /// <summary>Resolves a path relative to the repository root (e.g. "../shared/models/x"), or null outside a checkout.</summary>
    public static string? FromRoot(string relative) =>
        RepoRoot is null ? null : Path.GetFullPath(Path.Combine(RepoRoot, relative));
}
