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
    public static async Task<CliRun> InvokeAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var clock = Stopwatch.StartNew();
        int exit = await Program.RunAsync(args, output, errors);
        return new CliRun(exit, output.ToString(), errors.ToString(), clock.Elapsed);
    }
}
