using System.CommandLine;
using System.Diagnostics;

namespace AttackCli.Tests.TestSupport;

/// <summary>The outcome of one in-process <c>advaudit</c> invocation.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Errors, TimeSpan Elapsed)
{
    /// <summary>Gets standard output and standard error together, for assertions on messages wherever they were written.</summary>
    public string AllText => Output + Errors;

    /// <summary>
    /// Runs <see cref="Program.BuildRoot"/> in process with its own writers. The invocation configuration gets the same
    /// writers, so help and parse errors (written by System.CommandLine itself) are captured too.
    /// </summary>
    public static async Task<CliRun> InvokeAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        RootCommand sut = Program.BuildRoot(output, errors);
        var clock = Stopwatch.StartNew();
        int exit = await sut.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = errors });
        return new CliRun(exit, output.ToString(), errors.ToString(), clock.Elapsed);
    }
}
