using AttackCli.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using Xunit.Abstractions;

namespace AttackCli.Tests;

/// <summary>Other norms, targets, seeds and folder layouts through the runner, on a few shared photos with small budgets.</summary>
public class AttackCommandTests(ITestOutputHelper log)
{
    [SharedPhotosFact]
    public async Task Attack_L2_WritesVerifiedResultsWithinBudget()
    {
        using var temp = new TempFolder();
        string[] photos = ["cat.png", "squat.png"];
        string outDir = temp.File("out");

        CliRun run = await CliRun.InvokeAsync(["attack", .. photos.Select(SharedAssets.Photo), .. SharedAssets.ModelArgs, "--norm", "l2", "--eps", "5", "--max-queries", "150", "--out", outDir]);

        Assert.True(run.ExitCode == 0, run.AllText);
        using var verifier = new Verifier();
        foreach (string photo in photos)
        {
            string folder = Path.Combine(outDir, Path.GetFileNameWithoutExtension(photo));
            AttackReport report = SchemaCheck.Report(File.ReadAllText(Path.Combine(folder, "report.json")));
            Assert.Equal("l2", report.Attack.Norm, ignoreCase: true);
            Assert.Equal(5.0, report.Attack.Eps, 9);
            Assert.Contains(report.Outcome.Status, new[] { OutcomeStatus.Fooled, OutcomeStatus.NotFooled });
            (_, double l2) = Verifier.Distance(Path.Combine(folder, "clean.png"), Path.Combine(folder, "adversarial.png"));
            Assert.True(l2 <= 5.0 + 1e-6, $"{photo}: L2 {l2} above 5");
            int top1 = verifier.Top1(Path.Combine(folder, "adversarial.png"));
            Assert.Equal(report.Adversarial!.Top5[0].Index, top1);
            Assert.Equal(report.Outcome.Status == OutcomeStatus.Fooled, top1 != report.Clean.Top5[0].Index);
            log.WriteLine($"L2 {photo}: {report.Outcome.Status} after {report.Outcome.Queries} queries, L2 {l2:0.000}");
        }
    }

    [SharedPhotosFact]
    public async Task Attack_TargetedToaster_ReportIsConsistentWithVerifiedTop1()
    {
        using var temp = new TempFolder();
        string outDir = temp.File("out");

        CliRun run = await CliRun.InvokeAsync(["attack", SharedAssets.Photo("cat.png"), .. SharedAssets.ModelArgs, "--targeted", "toaster", "--max-queries", "3000", "--out", outDir]);

        Assert.True(run.ExitCode == 0, run.AllText);
        string folder = Path.Combine(outDir, "cat");
        AttackReport report = SchemaCheck.Report(File.ReadAllText(Path.Combine(folder, "report.json")));
        Assert.True(report.Attack.Targeted);
        Assert.NotNull(report.Attack.TargetClass);
        Assert.Equal("toaster", report.Attack.TargetClass.Label.Split(',')[0].Trim(), ignoreCase: true);
        using var verifier = new Verifier();
        Assert.Equal("toaster", verifier.Labels[report.Attack.TargetClass.Index].Split(',')[0].Trim(), ignoreCase: true);
        int top1 = verifier.Top1(Path.Combine(folder, "adversarial.png"));
        Assert.Equal(report.Adversarial!.Top5[0].Index, top1);
        log.WriteLine($"Targeted toaster on cat.png: {report.Outcome.Status} after {report.Outcome.Queries} queries, top-1 {verifier.Labels[top1]}");
        if (report.Outcome.Status == OutcomeStatus.Fooled)
        {
            Assert.Equal(report.Attack.TargetClass.Index, top1);
        }
        else
        {
            Assert.Equal(OutcomeStatus.NotFooled, report.Outcome.Status);
            Assert.NotEqual(report.Attack.TargetClass.Index, top1);
            Assert.Equal(3000, report.Outcome.Queries);
        }
    }

    [SharedPhotosFact]
    public async Task Attack_SameSeedTwice_WritesByteIdenticalAdversarialPng()
    {
        using var temp = new TempFolder();
        string[] common = ["attack", SharedAssets.Photo("dragonfly.png"), .. SharedAssets.ModelArgs, "--seed", "42", "--max-queries", "500"];

        CliRun first = await CliRun.InvokeAsync([.. common, "--out", temp.File("a")]);
        CliRun second = await CliRun.InvokeAsync([.. common, "--out", temp.File("b")]);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(File.ReadAllBytes(temp.File("a/dragonfly/adversarial.png")), File.ReadAllBytes(temp.File("b/dragonfly/adversarial.png")));
        Assert.Equal(File.ReadAllBytes(temp.File("a/dragonfly/perturbation.png")), File.ReadAllBytes(temp.File("b/dragonfly/perturbation.png")));
    }

    [SharedPhotosFact]
    public async Task Attack_FolderWithSubFolder_IgnoresItUnlessRecursiveThenMirrorsIt()
    {
        using var temp = new TempFolder();
        string input = temp.File("in");
        Directory.CreateDirectory(Path.Combine(input, "sub"));
        File.Copy(SharedAssets.Photo("grace_hopper.png"), Path.Combine(input, "top.png"));
        File.Copy(SharedAssets.Photo("hot_dog.png"), Path.Combine(input, "sub", "nested.png"));
        string[] common = ["attack", input, .. SharedAssets.ModelArgs, "--max-queries", "300"];

        CliRun flat = await CliRun.InvokeAsync([.. common, "--out", temp.File("flat")]);
        CliRun deep = await CliRun.InvokeAsync([.. common, "--recursive", "--out", temp.File("deep")]);

        Assert.True(flat.ExitCode == 0, flat.AllText);
        Assert.True(File.Exists(temp.File("flat/top/report.json")));
        Assert.False(Directory.Exists(temp.File("flat/sub")));
        Assert.DoesNotContain("nested", flat.Output, StringComparison.Ordinal);

        Assert.True(deep.ExitCode == 0, deep.AllText);
        Assert.True(File.Exists(temp.File("deep/top/report.json")));
        Assert.True(File.Exists(temp.File("deep/sub/nested/report.json")));
        Assert.True(File.Exists(temp.File("deep/sub/nested/adversarial.png")));
        Assert.Equal("sub/nested.png", SchemaCheck.Report(File.ReadAllText(temp.File("deep/sub/nested/report.json"))).Input.Name);
    }

    [SharedPhotosFact]
    public async Task Attack_OutputInsideInputFolderRecursive_NeverAttacksEarlierResults()
    {
        using var temp = new TempFolder();
        string input = temp.File("in");
        Directory.CreateDirectory(input);
        File.Copy(SharedAssets.Photo("grace_hopper.png"), Path.Combine(input, "top.png"));
        string[] args = ["attack", input, .. SharedAssets.ModelArgs, "--max-queries", "300", "--recursive", "--out", Path.Combine(input, "results")];

        CliRun first = await CliRun.InvokeAsync(args);
        CliRun second = await CliRun.InvokeAsync(args);

        Assert.True(first.ExitCode == 0, first.AllText);
        Assert.True(second.ExitCode == 0, second.AllText);
        Assert.False(Directory.Exists(Path.Combine(input, "results", "results")));
        Assert.DoesNotContain("clean.png", second.Output, StringComparison.Ordinal);
    }
}
