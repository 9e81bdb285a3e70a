using AttackCli.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests;

/// <summary>The command line as a door of the one settings parser: its errors name its options, and the Square Attack aliases reach the plan.</summary>
public class AttackCommandSettingsTests
{
    private static string Root => RepoPaths.RepoRoot ?? throw new InvalidOperationException("The tests run outside a checkout of the repository.");

    private static string[] BundledModelArgs => ["--model", Path.Combine(Root, "models", "fashion-mnist-cnn", "model.json")];

    [Theory]
    [InlineData("--max-queries", "many", "--max-queries is 'many'; allowed: a whole number from 1 to 10000000.")]
    [InlineData("--max-queries", "0", "--max-queries is '0'; allowed: a whole number from 1 to 10000000.")]
    [InlineData("--seed", "-3", "--seed is '-3'; allowed: a whole number from 0.")]
    [InlineData("--minimize-steps", "99", "--minimize-steps is '99'; allowed: a whole number from 1 to 50.")]
    [InlineData("--p-init", "2", "--p-init is '2'; allowed: a number in (0, 1].")]
    public async Task Attack_BadSetting_ExitsTwoNamingTheOption(string option, string value, string expected)
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync("attack", temp.Write("x.png", "unused"), option, value, "--out", temp.File("out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Errors, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("out")));
    }

    [Fact]
    public async Task Attack_PInitWithoutASquareAttack_ExitsTwoNamingTheAlias()
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync("attack", temp.Write("x.png", "unused"), "--attack", "bandits-td", "--p-init", "0.2", "--out", temp.File("out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--p-init sets an option of Square Attack", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_PInitAndQuantizationAliases_ReachTheSquareAttacksButNotTheSpecsOwn()
    {
        using var temp = new TempFolder();
        string outDir = temp.File("out");
        string sample = Path.Combine(Root, "samples", "fashion-mnist", "0000-ankle-boot.png");

        CliRun run = await CliRun.InvokeAsync(["attack", sample, .. BundledModelArgs, "--attack", "square:maxQueries=3", "--attack", "square:pInit=0.4,maxQueries=3", "--plan-mode", "all", "--p-init", "0.2", "--quantization", "after-success", "--no-minimize", "--out", outDir]);

        Assert.True(run.ExitCode == 0, run.AllText);
        AttackReport report = SchemaCheck.Report(File.ReadAllText(Path.Combine(outDir, "0000-ankle-boot", "report.json")));
        Assert.Equal(2, report.Attempts.Count);
        Assert.Equal(("0.2", "AfterSuccess"), (report.Attempts[0].Attack.Options["pInit"], report.Attempts[0].Attack.Options["quantization"]));
        Assert.Equal(("0.4", "AfterSuccess"), (report.Attempts[1].Attack.Options["pInit"], report.Attempts[1].Attack.Options["quantization"]));
    }
}
