using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using AttackCore.Tests.TestSupport;

namespace AdvAudit.Infra.Tests.TestSupport;

/// <summary>
/// Runs the Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64 (restored with this project; its folder
/// reaches the tests as the assembly metadata <c>BicepPackagePath</c>). It works offline: types are bundled.
/// </summary>
internal static class BicepCli
{
    private static readonly Lazy<string?> UnavailableReasonValue = new(FindUnavailableReason);
    private static readonly Lazy<JsonObject> MainTemplateValue = new(() => BuildJson(Path.Combine(BicepFolder, "main.bicep")));

    /// <summary>Gets the infra/bicep folder.</summary>
    public static string BicepFolder => RepoPaths.FromRoot(Path.Combine("infra", "bicep")) ?? throw new InvalidOperationException("The repository root (Serverless.sln) was not found above the test assembly.");

    /// <summary>Gets the path of the bicep executable in the NuGet package.</summary>
    public static string ExecutablePath
    {
        get
        {
            string? package = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "BicepPackagePath")?.Value;
            return string.IsNullOrEmpty(package) ? string.Empty : Path.Combine(package, "tools", "bicep");
        }
    }

    /// <summary>Gets why the CLI cannot run here (not linux-x64, or the package is missing), or null when it can.</summary>
    public static string? UnavailableReason => UnavailableReasonValue.Value;

    /// <summary>Gets main.bicep compiled to an ARM template (built once per test run).</summary>
    public static JsonObject MainTemplate => MainTemplateValue.Value;

    /// <summary>Gets every .bicep file under infra/bicep, relative to it.</summary>
    public static IEnumerable<string> BicepFiles() =>
        Directory.EnumerateFiles(BicepFolder, "*.bicep", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(BicepFolder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    /// <summary>Runs the CLI.</summary>
    /// <param name="arguments">The arguments.</param>
    /// <returns>The exit code, standard output and standard error.</returns>
    public static (int ExitCode, string StdOut, string StdErr) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = BicepFolder,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // No telemetry, no update check: CI has no network beyond the package registries.
        start.Environment["BICEP_TRACING_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {ExecutablePath}.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} ran over 3 minutes.");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Gets the diagnostics (warnings and errors) in the CLI's output, one per line.</summary>
    /// <param name="output">The standard error of a build or lint.</param>
    /// <returns>The diagnostic lines.</returns>
    public static IReadOnlyList<string> Diagnostics(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Contains(" : Error ", StringComparison.Ordinal) || l.Contains(" : Warning ", StringComparison.Ordinal) || l.Contains(" : Info ", StringComparison.Ordinal))
            .ToList();

    private static JsonObject BuildJson(string file)
    {
        (int exitCode, string stdout, string stderr) = Run("build", file, "--stdout");
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"bicep build {file} failed ({exitCode}):\n{stderr}");
        }

        return JsonNode.Parse(stdout)?.AsObject() ?? throw new InvalidOperationException($"bicep build {file} wrote no JSON.");
    }

    private static string? FindUnavailableReason()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            return $"The Bicep CLI package referenced here is Azure.Bicep.CommandLine.linux-x64; this is {RuntimeInformation.OSDescription} on {RuntimeInformation.OSArchitecture}.";
        }

        string path = ExecutablePath;
        if (!File.Exists(path))
        {
            return $"The Bicep CLI was not found at '{path}' (restore tests/Infra.Tests to get the NuGet package Azure.Bicep.CommandLine.linux-x64).";
        }

        // NuGet does not always keep the executable bit of a package's files.
        UnixFileMode mode = File.GetUnixFileMode(path);
        if ((mode & UnixFileMode.UserExecute) == 0)
        {
            File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return null;
    }
}

/// <summary>A fact that needs the Bicep CLI; skipped, with the reason shown, where it cannot run.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class BicepFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="BicepFactAttribute"/> class.</summary>
    public BicepFactAttribute()
    {
        if (BicepCli.UnavailableReason is string reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory that needs the Bicep CLI; skipped, with the reason shown, where it cannot run.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class BicepTheoryAttribute : TheoryAttribute
{
    /// <summary>Initializes a new instance of the <see cref="BicepTheoryAttribute"/> class.</summary>
    public BicepTheoryAttribute()
    {
        if (BicepCli.UnavailableReason is string reason)
        {
            Skip = reason;
        }
    }
}
