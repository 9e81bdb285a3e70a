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

    [Fact]
    public async Task Attacks_ListsEveryAttackWithItsOptions_AndOneAttackAlone()
    {
        CliRun all = await CliRun.InvokeAsync("attacks");
        CliRun square = await CliRun.InvokeAsync("attacks", "square");
        CliRun unknown = await CliRun.InvokeAsync("attacks", "nosuch");

        Assert.Equal((0, 0, 2), (all.ExitCode, square.ExitCode, unknown.ExitCode));
        Assert.All(AttackCatalog.Names, name => Assert.Contains(name + " (needs ", all.Output, StringComparison.Ordinal));
        Assert.Contains("quantization   one of on-grid, after-success; default auto", square.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("simba-dct", square.Output, StringComparison.Ordinal);
        Assert.Contains("Unknown attack \"nosuch\"", unknown.Errors, StringComparison.Ordinal);
    }
}
