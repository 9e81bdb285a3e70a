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
        Assert.Contains("Attacks of the plan", run.Output, StringComparison.Ordinal);
        AuditSummary summary = SchemaCheck.Summary(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        Assert.Equal(("square:maxQueries=2;square:epsilon=0.2,seed=3", "all"), (summary.Attack.Attacks, summary.Attack.PlanMode));
        Assert.Equal([(0.05, samples.Length), (0.2, samples.Length)], summary.Attacks!.Select(r => (r.Eps, r.Attempted)));
        foreach (string sample in samples)
        {
            AttackReport report = SchemaCheck.Report(File.ReadAllText(Path.Combine(outDir, Path.GetFileNameWithoutExtension(sample), "report.json")));
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
    [InlineData("simba-dct", "l2", 5.0)]
    // The reference's online lr 100 is tuned for per-channel estimates; on the gray model each tile's estimate carries
    // all three channels' weight, so 100 saturates the exponentiated-gradient prior and the pullover is not fooled in
    // 3000 queries. 100 / 3 gives the rate the RGB-wrapped model had (11 of the 12 samples fooled, as there).
    [InlineData("bandits-td:onlineLr=33", "linf", 0.1)]
    [InlineData("bandits-td:tileSize=4", "l2", 3.0)]
    [InlineData("hopskipjump", "l2", 4.0)]
    [InlineData("hopskipjump:initEvals=50", "linf", 0.2)]
    public async Task Attack_EachAttack_WritesVerifiedResultsWithinItsBudget(string spec, string norm, double eps)
    {
        using var temp = new TempFolder();
        string outDir = temp.File("out");
        string sample = Sample("0001-pullover.png");

        CliRun run = await CliRun.InvokeAsync(["attack", sample, .. BundledModelArgs, "--attack", spec, "--norm", norm, "--eps", eps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--max-queries", "3000", "--out", outDir]);

        Assert.True(run.ExitCode == 0, run.AllText);
        string folder = Path.Combine(outDir, "0001-pullover");
        AttackReport report = SchemaCheck.Report(File.ReadAllText(Path.Combine(folder, "report.json")));
        Assert.Equal(spec.Split(':')[0], report.Attack.Name);
        Assert.Equal((norm, eps), (report.Attack.Norm, report.Attack.Eps));
        Assert.True(report.Outcome.Success, report.Outcome.Message);
        Assert.InRange(report.Outcome.Queries, 1, 3000);
        double measured = norm == "l2" ? report.Perturbation!.L2 : report.Perturbation!.LInf;
        Assert.InRange(measured, 1e-9, eps + 1e-6);
    }

    [Theory]
    [InlineData("fgsm", "linf", 0.1)]
    [InlineData("pgd", "l2", 2.0)]
    [InlineData("apgd-ce", "linf", 0.05)]
    [InlineData("apgd-t:iterations=20,targets=3", "linf", 0.05)]
    public async Task Attack_WhiteBoxAttack_WritesVerifiedResultsWithGradientCounts(string spec, string norm, double eps)
    {
        using var temp = new TempFolder();
        string outDir = temp.File("out");

        CliRun run = await CliRun.InvokeAsync(["attack", Sample("0001-pullover.png"), .. BundledModelArgs, "--attack", spec, "--norm", norm, "--eps", eps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cache-dir", temp.File("cache"), "--out", outDir]);

        Assert.True(run.ExitCode == 0, run.AllText);
        Assert.Contains("gradients", run.Output, StringComparison.Ordinal);
        AttackReport report = SchemaCheck.Report(File.ReadAllText(Path.Combine(outDir, "0001-pullover", "report.json")));
        Assert.Equal(spec.Split(':')[0], report.Attack.Name);
        Assert.True(report.Outcome.Success, report.Outcome.Message);
        Assert.True(report.Adversarial!.Verified);
        Assert.True(report.Outcome.GradientEvaluations >= 1);
        double measured = norm == "l2" ? report.Perturbation!.L2 : report.Perturbation!.LInf;
        Assert.InRange(measured, 1e-9, eps + 1e-6);
    }

    [Fact]
    public async Task Attack_StandardPlan_RunsTheAutoAttackOrderAndPrintsTheHeadline()
    {
        using var temp = new TempFolder();
        string outDir = temp.File("out");

        CliRun run = await CliRun.InvokeAsync(["attack", Sample("0001-pullover.png"), Sample("0013-dress.png"), .. BundledModelArgs, "--attack", "standard", "--eps", "8/255", "--cache-dir", temp.File("cache"), "--out", outDir]);

        Assert.True(run.ExitCode == 0, run.AllText);
        AttackReport report = SchemaCheck.Report(File.ReadAllText(Path.Combine(outDir, "0013-dress", "report.json")));
        Assert.Equal("apgd-ce", report.Attempts![0].Attack.Name);
        Assert.Contains("apgd-ce,apgd-t,square", report.Attack.Options["plan"], StringComparison.Ordinal);
        Assert.Contains("robust accuracy", File.ReadAllText(Path.Combine(outDir, "summary.html")), StringComparison.Ordinal);
        Assert.Contains("attacks: apgd-ce, apgd-t, square)", File.ReadAllText(Path.Combine(outDir, "summary.html")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fab-t", "Unknown attack \"fab-t\". Attacks: square")]
    [InlineData("square:pinit", "is not option=value")]
    [InlineData("square:colour=red", "colour=red")]
    [InlineData("square:maxQueries=0", "maxQueries must be between 1")]
    public async Task Attack_BadAttackSpec_ExitsWithUsageErrorNamingTheProblem(string spec, string expected)
    {
        using var temp = new TempFolder();

        CliRun run = await CliRun.InvokeAsync(["attack", Sample("0000-ankle-boot.png"), .. BundledModelArgs, "--attack", spec, "--out", temp.File("out")]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.AllText, StringComparison.Ordinal);
    }
}
