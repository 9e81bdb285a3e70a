using System.CommandLine;
using System.Diagnostics;

namespace AttackCli.Tests.TestSupport;

/// <summary>The outcome of one in-process <c>advaudit</c> invocation.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Errors, TimeSpan Elapsed)
{
    /// <summary>Gets standard output and standard error together, for assertions on messages wherever they were written.</summary>
    public string AllText => Output + Errors;

    /// <summary>
    /// Runs the program's entry path (<see cref="Program.RunAsync"/>) in process with its own writers, so help and
    /// parse errors are captured too.
    /// </summary>
    public static Task<CliRun> InvokeAsync(params string[] args) => InvokeAsync(args, CancellationToken.None);

    /// <summary>Runs the program in process as <see cref="InvokeAsync(string[])"/>; <paramref name="ctrlC"/> stops it as Ctrl-C does.</summary>
    public static async Task<CliRun> InvokeAsync(string[] args, CancellationToken ctrlC)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var clock = Stopwatch.StartNew();
        int exit = await Program.RunAsync(args, output, errors, ctrlC);
        return new CliRun(exit, output.ToString(), errors.ToString(), clock.Elapsed);
    }
}
