using System.Text.Json;
using AttackCli.Tests.TestSupport;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace AttackCli.Tests;

/// <summary>
/// Two runs of <c>advaudit attack --transfer-model</c> on four shared photos: MobileNet v2 (224) attacked and
/// MobileNet v1 0.5 (160) as the transfer target, then the reverse (the target given as a .json spec this time).
/// </summary>
public sealed class TransferRunsFixture : IAsyncLifetime, IDisposable
{
    internal static readonly string[] Photos = ["bird.png", "cat.png", "dragonfly.png", "hot_dog.png"];

    private readonly TempFolder _temp = new();

    internal CliRun? V2ToV1 { get; private set; }

    internal CliRun? V1ToV2 { get; private set; }

    internal string V2ToV1Out => _temp.File("v2-to-v1");

    internal string V1ToV2Out => _temp.File("v1-to-v2");

    public async Task InitializeAsync()
    {
        if ((SharedAssets.MissingReason ?? TransferAssets.MissingReason) is not null)
        {
            return;
        }

        string[] photos = [.. Photos.Select(SharedAssets.Photo)];
        string[] attack = ["--eps", "0.05", "--max-queries", "1000"];
        V2ToV1 = await CliRun.InvokeAsync(
            ["attack", .. photos, .. SharedAssets.ModelArgs, .. attack, "--out", V2ToV1Out,
             "--transfer-model", TransferAssets.ModelPath, "--transfer-preset", TransferAssets.Preset]);

        // The reverse direction names its target by a .json spec, resolved like --model.
        ModelPresets.TryGet(SharedAssets.Preset, out ModelSpec? v2);
        string specPath = _temp.File("mobilenet-v2.json");
        File.WriteAllText(specPath, JsonSerializer.Serialize(v2! with { OnnxPath = SharedAssets.ModelPath }, ModelSpecLoader.JsonOptions));
        V1ToV2 = await CliRun.InvokeAsync(
            ["attack", .. photos, "--model", TransferAssets.ModelPath, "--preset", TransferAssets.Preset, .. attack, "--out", V1ToV2Out,
             "--transfer-model", specPath]);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _temp.Dispose();
}

public class AttackCommandTransferTests(TransferRunsFixture fixture, ITestOutputHelper log) : IClassFixture<TransferRunsFixture>
{
    [SharedTransferFact]
    public void Attack_V2SourceV1Target_TransferNumbersMatchDirectClassification() =>
        AssertMatchesDirectClassification(fixture.V2ToV1, fixture.V2ToV1Out, "mobilenet-v2", TransferAssets.Preset, TransferAssets.ModelPath);

    [SharedTransferFact]
    public void Attack_V1SourceV2Target_TransferNumbersMatchDirectClassification() =>
        AssertMatchesDirectClassification(fixture.V1ToV2, fixture.V1ToV2Out, "mobilenet-v1", SharedAssets.Preset, SharedAssets.ModelPath);

    [SharedTransferFact]
    public void Attack_WithTransferModel_HtmlShowsTransferTableAndMatrix()
    {
        string folder = Path.Combine(fixture.V2ToV1Out, "cat");
        AttackReport report = SchemaCheck.Report(File.ReadAllText(Path.Combine(folder, "report.json")));
        string html = File.ReadAllText(Path.Combine(folder, "report.html"));

        Assert.Equal(report.Transfer is not null, html.Contains("id=\"transfer\"", StringComparison.Ordinal));
        Assert.Contains("id=\"transfer\"", File.ReadAllText(Path.Combine(fixture.V2ToV1Out, "summary.html")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(fixture.V2ToV1Out, "summary.csv")));
    }

    [Fact]
    public async Task Attack_TransferPresetCountDiffers_ExitsTwoNamingBothOptions()
    {
        CliRun run = await CliRun.InvokeAsync("attack", "x.png", "--transfer-model", "a.onnx", "--transfer-model", "b.onnx", "--transfer-preset", "mobilenet-v1");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--transfer-preset", run.Errors, StringComparison.Ordinal);
        Assert.Contains("--transfer-model", run.Errors, StringComparison.Ordinal);
    }

    private void AssertMatchesDirectClassification(CliRun? run, string outDir, string source, string targetPreset, string targetPath)
    {
        Assert.NotNull(run);
        log.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.AllText}");
        ModelPresets.TryGet(targetPreset, out ModelSpec? spec);
        using var target = new OnnxClassifier(spec! with { OnnxPath = targetPath }, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        int evaluated = 0, fooled = 0, agreed = 0;
        foreach (string photo in TransferRunsFixture.Photos)
        {
            string folder = Path.Combine(outDir, Path.GetFileNameWithoutExtension(photo));
            AttackReport report = SchemaCheck.Report(File.ReadAllText(Path.Combine(folder, "report.json")));
            Assert.Equal(source, report.Model.Name);
            if (report.Outcome.Status != OutcomeStatus.Fooled)
            {
                Assert.Null(report.Transfer);
                continue;
            }

            TransferResult entry = Assert.Single(report.Transfer!);
            Assert.Equal(spec!.Name, entry.Model.Name);
            int cleanTop1 = Top1(target, spec, Path.Combine(folder, "clean.png"));
            int adversarialTop1 = Top1(target, spec, Path.Combine(folder, "adversarial.png"));
            Assert.Equal(cleanTop1, entry.CleanTop5[0].Index);
            Assert.Equal(adversarialTop1, entry.AdversarialTop5[0].Index);
            Assert.Equal(cleanTop1 != adversarialTop1, entry.Fooled);
            bool agrees = string.Equals(target.Labels[cleanTop1], report.Clean.Top5[0].Label, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(agrees, entry.AgreesOnClean);
            evaluated++;
            fooled += cleanTop1 != adversarialTop1 ? 1 : 0;
            agreed += agrees ? 1 : 0;
        }

        Assert.True(evaluated >= 3, $"only {evaluated} of {TransferRunsFixture.Photos.Length} photos fooled the source model");
        AuditSummary summary = SchemaCheck.Summary(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        TransferMatrixCell cell = Assert.Single(summary.Transfer!);
        Assert.Equal((source, "square", "linf", spec!.Name), (cell.SourceModel, cell.Attack, cell.Norm, cell.TargetModel));
        Assert.Equal((evaluated, fooled, agreed), (cell.Evaluated, cell.Fooled, cell.AgreedOnClean));
        Assert.Contains($"{source}  square linf  {spec.Name}", run.Output, StringComparison.Ordinal);
        log.WriteLine($"{source} -> {spec.Name}: {fooled} of {evaluated} fooled images transfer");
    }

    /// <summary>Classifies a written PNG the way a user of the target would: decode, resize and crop to its input, scale.</summary>
    private static int Top1(OnnxClassifier classifier, ModelSpec spec, string pngPath)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(pngPath);
        using Image<Rgb24> input = ImagePreprocessor.Preprocess(image, spec);
        var chw = new float[3 * spec.InputSize * spec.InputSize];
        TensorImage.WriteChw(input, chw);
        var logits = new float[classifier.NumClasses];
        classifier.Predict(chw, 1, logits);
        return Array.IndexOf(logits, logits.Max());
    }
}
