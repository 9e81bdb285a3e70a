using AttackCli.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using Xunit.Abstractions;

namespace AttackCli.Tests;

/// <summary><c>advaudit attack --attack transfer --surrogate ...</c>: crafted on the surrogates, one query to the target per image.</summary>
public class AttackCommandSurrogateTests(ITestOutputHelper log)
{
    private static readonly string Root = RepoPaths.RepoRoot!;

    private static string BundledSpec => Path.Combine(Root, "models", "fashion-mnist-cnn", "model.json");

    [SharedTransferFact]
    public async Task Attack_TransferV1SurrogateOnV2_ReportsOneTargetQueryAndTheSurrogateEverywhere()
    {
        using var temp = new TempFolder();
        string outDir = temp.File("out");
        string[] photos = [.. new[] { "bird.png", "cat.png", "owl.png" }.Select(SharedAssets.Photo)];

        CliRun run = await CliRun.InvokeAsync(
            ["attack", .. photos, .. SharedAssets.ModelArgs, "--surrogate", TransferAssets.ModelPath, "--surrogate-preset", TransferAssets.Preset,
             "--attack", "transfer", "--eps", "16/255", "--out", outDir]);

        log.WriteLine(run.AllText);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.AllText}");
        Assert.Contains("Surrogate mobilenet-v1", run.Errors, StringComparison.Ordinal);
        Assert.Contains("resized from the target's 224x224", run.Errors, StringComparison.Ordinal);
        Assert.Contains("surrogate gradients", run.Output, StringComparison.Ordinal);
        foreach (string photo in photos)
        {
            string folder = Path.Combine(outDir, Path.GetFileNameWithoutExtension(photo));
            AttackReport report = ReportJson.Deserialize(File.ReadAllText(Path.Combine(folder, "report.json")));
            Assert.Equal("transfer", report.Attack.Name);
            Assert.Equal(1, report.Outcome.Queries);
            Assert.Equal(10, report.Outcome.SurrogateGradientEvaluations);
            Assert.Null(report.Outcome.GradientEvaluations);
            SurrogateInfo surrogate = Assert.Single(report.Attack.Surrogates!);
            Assert.Equal(("mobilenet-v1", 160), (surrogate.Name, surrogate.InputSize));
            Assert.Contains("Surrogate gradient evaluations", File.ReadAllText(Path.Combine(folder, "report.html")), StringComparison.Ordinal);
        }

        AuditSummary summary = AuditSummaryJson.Deserialize(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        SurrogateTransferRow row = Assert.Single(summary.SurrogateTransfer!);
        Assert.Equal(["mobilenet-v1"], row.Surrogates);
        Assert.Equal(("mobilenet-v2", 3, 1.0, 10.0), (row.TargetModel, row.Attacked, row.MeanTargetQueries, row.MeanSurrogateGradientEvaluations));
        Assert.Equal(summary.Counts.Fooled, row.Fooled);
        Assert.Contains("Transfer from surrogates", run.Output, StringComparison.Ordinal);
        Assert.Contains("id=\"surrogate-transfer\"", File.ReadAllText(Path.Combine(outDir, "summary.html")), StringComparison.Ordinal);
        Assert.Contains("surrogate_gradient_evaluations", File.ReadAllText(Path.Combine(outDir, "summary.csv")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_TransferWithABundledSurrogateSpec_RunsWithOneQueryPerImage()
    {
        using var temp = new TempFolder();
        string outDir = temp.File("out");
        string[] samples = [.. Directory.GetFiles(Path.Combine(Root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal).Take(3)];

        CliRun run = await CliRun.InvokeAsync(
            ["attack", .. samples, "--model", BundledSpec, "--surrogate", BundledSpec, "--attack", "transfer:iterations=5,inputDiversity=true,translationInvariance=true,kernelSize=3", "--eps", "0.1", "--out", outDir]);

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.AllText}");
        foreach (string sample in samples)
        {
            AttackReport report = ReportJson.Deserialize(File.ReadAllText(Path.Combine(outDir, Path.GetFileNameWithoutExtension(sample), "report.json")));
            Assert.Equal(1, report.Outcome.Queries);
            Assert.Equal(5, report.Outcome.SurrogateGradientEvaluations);
            Assert.Equal("true", report.Attack.Options["inputDiversity"]);
        }
    }

    [Fact]
    public async Task Attack_TransferWithoutSurrogate_ExitsTwoSayingToNameOne()
    {
        CliRun run = await CliRun.InvokeAsync("attack", "x.png", "--model", BundledSpec, "--attack", "transfer");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--surrogate", run.Errors, StringComparison.Ordinal);
        Assert.Contains("transfer", run.Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attack_SurrogatePresetCountDiffers_ExitsTwoNamingBothOptions()
    {
        CliRun run = await CliRun.InvokeAsync("attack", "x.png", "--attack", "transfer", "--surrogate", "a.onnx", "--surrogate", "b.onnx", "--surrogate-preset", "mobilenet-v1");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--surrogate-preset", run.Errors, StringComparison.Ordinal);
    }

    [SharedTransferFact]
    public async Task Attack_SurrogateWithOtherClasses_ExitsTwoNamingBothCounts()
    {
        // MobileNet V1 (1001 ImageNet classes) cannot guide an attack on the 10-class Fashion-MNIST model.
        using var temp = new TempFolder();
        string sample = Directory.GetFiles(Path.Combine(Root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal).First();

        CliRun run = await CliRun.InvokeAsync(
            "attack", sample, "--model", BundledSpec, "--attack", "transfer", "--surrogate", TransferAssets.ModelPath, "--surrogate-preset", TransferAssets.Preset, "--out", temp.File("out"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("1001 classes and the target 10", run.Errors, StringComparison.Ordinal);
    }
}
