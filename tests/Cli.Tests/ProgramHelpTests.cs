using AttackCli.Tests.TestSupport;
using AttackCore.Attacks;

namespace AttackCli.Tests;

/// <summary>The root help describes the tool as it is now, not its first version.</summary>
public class ProgramHelpTests
{
    [Fact]
    public async Task Help_Root_NamesEveryAttackAndTransfer()
    {
        CliRun run = await CliRun.InvokeAsync("--help");

        Assert.Equal(0, run.ExitCode);
        Assert.All(AttackCatalog.Names, name => Assert.Contains(name, run.Output, StringComparison.Ordinal));
        Assert.Contains("transfer", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("scores only", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoArguments_PrintsTheHelp_ExitZero()
    {
        CliRun run = await CliRun.InvokeAsync();
        CliRun help = await CliRun.InvokeAsync("--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(help.Output, run.Output);
        Assert.DoesNotContain("error", run.Errors, StringComparison.OrdinalIgnoreCase);
    }
}
