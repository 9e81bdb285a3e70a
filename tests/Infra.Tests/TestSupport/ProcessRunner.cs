using System.Diagnostics;

namespace AdvAudit.Infra.Tests.TestSupport;

/// <summary>Runs a command line tool (dotnet, the installed advaudit) and collects what it printed.</summary>
internal static class ProcessRunner
{
    /// <summary>Runs a command to its end, or fails after ten minutes.</summary>
    /// <param name="command">The program.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="directory">The working directory.</param>
    /// <param name="environment">Environment variables to set.</param>
    /// <returns>The exit code, and standard output followed by standard error.</returns>
    public static async Task<(int ExitCode, string Output)> RunAsync(string command, string[] args, string directory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(limit.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
