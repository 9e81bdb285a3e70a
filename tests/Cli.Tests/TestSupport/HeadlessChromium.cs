namespace AttackCli.Tests.TestSupport;

/// <summary>
/// Finds the system's Chromium for the browser tests (Debian's <c>chromium</c> package, which <c>.ci/run</c> installs);
/// Playwright drives it, so no browser is downloaded. <c>ADVAUDIT_CHROMIUM</c> names another executable.
/// </summary>
internal static class HeadlessChromium
{
    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

    /// <summary>Gets the browser executable, or <see langword="null"/> when none is installed.</summary>
    public static string? Executable { get; } = Find();

    /// <summary>Gets whether the tests run under CI (<c>CI=true</c>), where a missing browser is a failure, not a skip.</summary>
    public static bool UnderCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Gets the message of a missing browser.</summary>
    public const string Missing = "No Chromium found (looked for ADVAUDIT_CHROMIUM, then chromium, chromium-browser, google-chrome on PATH); install it with `apt-get install -y --no-install-recommends chromium` (.ci/run does).";

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("ADVAUDIT_CHROMIUM") is { Length: > 0 } named)
        {
            return File.Exists(named) ? named : null;
        }

        string[] folders = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return Names.SelectMany(name => folders.Select(folder => Path.Combine(folder, name))).FirstOrDefault(File.Exists);
    }
}

/// <summary>
/// A fact that opens pages in headless Chromium: skipped, saying why, when no Chromium is installed, except under CI
/// (<c>CI=true</c>), where it runs and fails on the missing browser.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="BrowserFactAttribute"/> class.</summary>
    public BrowserFactAttribute()
    {
        if (HeadlessChromium.Executable is null && !HeadlessChromium.UnderCi)
        {
            Skip = HeadlessChromium.Missing + " Under CI (CI=true) this test fails instead.";
        }
    }
}
