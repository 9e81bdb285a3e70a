using System.Diagnostics;
using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests;

/// <summary>
/// The README's Python recipe (<c>samples/python/advaudit_results.py</c>) run for real: it runs the tool, reads
/// summary.csv and every report.json with pandas and validates them against the JSON Schemas in docs/.
/// </summary>
public sealed class PythonRecipeTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [PythonFact]
    public async Task Recipe_RunsTheToolAndReadsValidatedResultsWithPandas()
    {
        string root = RepoPaths.RepoRoot ?? throw new InvalidOperationException("Run the tests from a checkout.");
        string[] samples = [.. Directory.GetFiles(Path.Combine(root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal).Take(4)];
        string tool = "dotnet " + Path.Combine(AppContext.BaseDirectory, "advaudit.dll");
        var start = new ProcessStartInfo(PythonRecipe.Interpreter!) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args = [Path.Combine(root, "samples", "python", "advaudit_results.py"), .. samples, "--model", Path.Combine(root, "models", "fashion-mnist-cnn", "model.json"), "--out", _temp.File("out"), "--advaudit", tool, "--", "--eps", "0.1", "--max-queries", "100", "--provider", "cpu"];
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(limit.Token);
        string output = await stdout, errors = await stderr;

        Assert.True(process.ExitCode == 0, output + errors);
        Assert.Contains("0000-ankle-boot.png", output, StringComparison.Ordinal);
        Assert.Contains("Clean accuracy 100 %, robust accuracy", output, StringComparison.Ordinal);
        Assert.Contains("validated against docs/*.schema.json: yes", output, StringComparison.Ordinal);
    }
}

/// <summary>Where a Python with pandas and jsonschema is: <c>ADVAUDIT_PYTHON</c>, else Debian's <c>/usr/bin/python3</c>.</summary>
internal static class PythonRecipe
{
    public static string? Interpreter { get; } = Find();

    private static string? Find()
    {
        foreach (string candidate in new[] { Environment.GetEnvironmentVariable("ADVAUDIT_PYTHON"), "/usr/bin/python3" })
        {
            if (string.IsNullOrEmpty(candidate) || !File.Exists(candidate))
            {
                continue;
            }

            using Process? probe = Process.Start(new ProcessStartInfo(candidate, ["-c", "import pandas, jsonschema"]) { RedirectStandardError = true, UseShellExecute = false });
            if (probe is not null && probe.WaitForExit(TimeSpan.FromSeconds(30)) && probe.ExitCode == 0)
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>
/// A fact that runs Python with pandas and jsonschema: skipped, saying why, when there is none, except under CI
/// (<c>CI=true</c>, where .ci/run installs them), where it fails instead.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class PythonFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="PythonFactAttribute"/> class.</summary>
    public PythonFactAttribute()
    {
        if (PythonRecipe.Interpreter is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "No Python with pandas and jsonschema (looked at ADVAUDIT_PYTHON, then /usr/bin/python3); install them with `apt-get install -y python3-pandas python3-jsonschema` (.ci/run does). Under CI (CI=true) this test fails instead.";
        }
    }
}
