using AttackCli.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests;

/// <summary>Attack plans from the command line (<c>--attack</c> repeated, <c>--plan-mode</c>), on the bundled model so they run anywhere.</summary>
public class AttackPlanCommandTests
{
    private static string Root => RepoPaths.RepoRoot ?? throw new InvalidOperationException("The tests run outside a checkout of the repository.");

    private static string[] BundledModelArgs => ["--model", Path.Combine(Root, "models", "fashion-mnist-cnn", "model.json")];

    private static string Sample(string name) => Path.Combine(Root, "samples", "fashion-mnist", name);

    [Fact]
    public async Task Attack_PlanModeAll_ReportsEveryAttemptAndWritesTheFirstSuccess()
    {
        using var temp = new TempFolder();
        string outDir = temp.File("out");
        string[] samples = Directory.GetFiles(Path.Combine(Root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal).Take(2).ToArray();

        CliRun run = await CliRun.InvokeAsync(["attack", .. samples, .. BundledModelArgs, "--attack", "square:maxQueries=2", "--attack", "square:epsilon=0.2,seed=3", "--plan-mode", "all", "--max-queries", "2000", "--batch", "4", "--out", outDir]);

        Assert.True(run.ExitCode == 0, run.AllText);
        Assert.Contains("square (linf eps 0.05, up to 2 queries, seed 0) then square (linf eps 0.2, up to 2000 queries, seed 3)", run.Errors, StringComparison.Ordinal);
        foreach (string sample in samples)
        {
            AttackReport report = ReportJson.Deserialize(File.ReadAllText(Path.Combine(outDir, Path.GetFileNameWithoutExtension(sample), "report.json")));
            Assert.Equal(2, report.Attempts.Count);
            Assert.Equal((2, 0.05), (report.Attempts[0].Attack.MaxQueries, report.Attempts[0].Attack.Eps));
            Assert.Equal((2000, 0.2, 3L), (report.Attempts[1].Attack.MaxQueries, report.Attempts[1].Attack.Eps, report.Attempts[1].Attack.Seed));
            Assert.True(report.Outcome.Success);
            AttemptSummary written = Assert.Single(report.Attempts, a => a.Written);
            Assert.Equal(report.Attempts.First(a => a.Success), written);
            Assert.Equal(report.Attempts.Sum(a => a.Queries), report.Outcome.PlanQueries);
        }
    }

    [Theory]
    [InlineData("fgsm", "Unknown attack \"fgsm\". Attacks: square")]
    [InlineData("square:pinit", "is not option=value")]
    [InlineData("square:colour=red", "colour=red")]
    [InlineData("square:maxQueries=0", "MaxQueries must be between 1")]
    public async Task Attack_BadAttackSpec_ExitsWithUsageErrorNamingTheProblem(string spec, string expected)
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync(["attack", Sample("0000-ankle-boot.png"), .. BundledModelArgs, "--attack", spec, "--out", temp.File("out")]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.AllText, StringComparison.Ordinal);
    }
}
