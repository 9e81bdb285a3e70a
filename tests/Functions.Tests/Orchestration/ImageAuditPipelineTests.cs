using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AdvAudit.Functions.Upload;
using AttackCore.Attacks;
using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using Microsoft.DurableTask.Client;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>
/// The whole per-image pipeline against Azurite: upload, the upload handler (what the trigger calls), the real
/// orchestrator with PrepareImage / AttackSlice (checkpointed, continuing as new) / FinalizeImage, and the results.
/// </summary>
public sealed class ImageAuditPipelineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private static readonly string FashionModel = RepoPaths.FromRoot("models/fashion-mnist-cnn/model.json")!;
    private static readonly string FashionSamples = RepoPaths.FromRoot("samples/fashion-mnist")!;

    private static void Fashion(Dictionary<string, string?> s)
    {
        s[SettingNames.ModelLocalPath] = FashionModel;
        s[SettingNames.ModelPreset] = string.Empty;
        s[SettingNames.ModelProvider] = "cpu";
        s[SettingNames.AttackEps] = "0.1";
        s[SettingNames.AttackMaxQueries] = "2000";

        // Small slices and executions, so even a short attack is checkpointed several times and continues as new.
        s[SettingNames.AttackSliceQueries] = "3";
        s[SettingNames.AttackSlicesPerExecution] = "2";
    }

    private static byte[] Sample(string file) => File.ReadAllBytes(Path.Combine(FashionSamples, file));

    /// <summary>Classifies a PNG as any input (decode, resize/crop to the model, score) with an independent classifier.</summary>
    private static int Classify(ModelSpec spec, byte[] png)
    {
        using var classifier = new OnnxClassifier(spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        PreparedImage image = PreparedImage.Load("check.png", png, spec);
        var logits = new float[classifier.NumClasses];
        classifier.Predict(image.Clean, 1, logits);
        return AttackCore.Models.LogitMath.ArgMax(logits);
    }

    private static async Task<AttackReport> AssertFooledAndVerifiedAsync(PipelineHarness h, string folder, ModelSpec spec)
    {
        Assert.Equal(BlobStore.ReportMarker, await h.Store.GetCompletionAsync(h.Storage.ResultsContainer, folder));
        AttackReport report = SchemaCheck.Report(System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync(folder, "report.json")));
        Assert.True(report.Outcome.Success, report.Outcome.Message);
        byte[] adversarial = await h.ReadResultAsync(folder, "adversarial.png");
        byte[] clean = await h.ReadResultAsync(folder, "clean.png");
        Assert.NotEmpty(await h.ReadResultAsync(folder, "perturbation.png"));
        Assert.Contains("<html", System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync(folder, "report.html")), StringComparison.OrdinalIgnoreCase);

        int cleanTop = Classify(spec, clean);
        int adversarialTop = Classify(spec, adversarial);
        Assert.Equal(report.Clean.TrueClass.Index, cleanTop);
        Assert.NotEqual(cleanTop, adversarialTop);
        Assert.Equal(report.Adversarial!.Top5[0].Index, adversarialTop);
        return report;
    }

    [AzuriteTheory]
    [InlineData(DurableBackend.InMemory)]
    [InlineData(DurableBackend.AzureStorage)]
    public async Task FashionUpload_CompletesWithVerifiedAdversarialReport(DurableBackend backend)
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("e2e", Fashion, backend: backend);
        (UploadOutcome outcome, string id, _) = await h.UploadAsync("fashion/0000-ankle-boot.png", Sample("0000-ankle-boot.png"));
        Assert.Equal(UploadOutcome.Scheduled, outcome);

        OrchestrationMetadata done = await h.WaitAsync(id, Timeout);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        ImageAuditResult result = done.ReadOutputAs<ImageAuditResult>()!;
        Assert.Equal((ImageOutcome.Fooled, "fashion/0000-ankle-boot.png"), (result.Outcome, result.ResultFolder));
        AttackReport report = await AssertFooledAndVerifiedAsync(h, "fashion/0000-ankle-boot.png", ModelSpecLoader.Load(FashionModel));
        Assert.Equal(report.Outcome.Queries, result.Queries);
        Assert.Equal(0.1, report.Attack.Eps);
        Assert.InRange(report.Perturbation!.LInf, 0, 0.1 + 1e-6);

        AuditStatus status = done.ReadCustomStatusAs<AuditStatus>()!;
        Assert.Equal(report.Outcome.Queries, status.QueriesUsed);
        Assert.True(status.Slices >= 1);
        Assert.Equal(0, await h.Store.DeletePrefixAsync(h.Storage.AttackWorkContainer, "runs/"));
    }

    [AzuriteFact]
    public async Task PlanFromMetadata_CheckpointedAcrossAttacks_ReportsEveryAttemptLikeAnUninterruptedRun()
    {
        const string File = "0001-pullover.png";
        var metadata = new Dictionary<string, string>
        {
            [AttackOverrides.Attacks] = "square:maxQueries=2;simba-dct:epsilon=3",
            [AttackOverrides.PlanMode] = "all",
        };
        await using PipelineHarness h = await PipelineHarness.StartAsync("plan", s =>
        {
            Fashion(s);
            s[SettingNames.AttackEps] = string.Empty;
            s[SettingNames.AttackSliceQueries] = "2";
        });
        (_, string id, _) = await h.UploadAsync(File, Sample(File), metadata);

        OrchestrationMetadata done = await h.WaitAsync(id, Timeout);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.True(done.ReadCustomStatusAs<AuditStatus>()!.Slices >= 3, "the test needs checkpoints on both sides of the switch between attacks");
        AttackReport report = await AssertFooledAndVerifiedAsync(h, "0001-pullover.png", ModelSpecLoader.Load(FashionModel));
        Assert.Equal(["square", "simba-dct"], report.Attempts.Select(a => a.Attack.Name));
        Assert.Equal((2, "l2", 3.0), (report.Attempts[0].Attack.MaxQueries, report.Attempts[1].Attack.Norm, report.Attempts[1].Attack.Eps));

        // The same plan in one process, uninterrupted.
        ModelSpec spec = ModelSpecLoader.Load(FashionModel);
        using var classifier = new OnnxClassifier(spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        AttackRequest request = AttackOverrides.Apply(new AttackDefaults { MaxQueries = 2000 }, metadata);
        PreparedImage image = PreparedImage.Load(File, Sample(File), spec);
        ImageResult direct = new AttackRunner(classifier, ModelDescription.From(classifier)).Run([image], request)[0];
        Assert.Equal(direct.AdversarialPng, await h.ReadResultAsync("0001-pullover.png", "adversarial.png"));
        Assert.Equal(direct.Report.Attempts.Select(a => (a.Queries, a.Success, a.Written)), report.Attempts.Select(a => (a.Queries, a.Success, a.Written)));
    }

    [AzuriteFact]
    public async Task WhiteBoxAttackFromMetadata_CheckpointedSlices_GivesTheUninterruptedRunsImageWithGradientCounts()
    {
        const string File = "0013-dress.png";
        var metadata = new Dictionary<string, string>
        {
            [AttackOverrides.Attacks] = "apgd-ce:iterations=30",
            [AttackOverrides.Eps] = "8/255",
        };
        await using PipelineHarness h = await PipelineHarness.StartAsync("whitebox", s =>
        {
            Fashion(s);
            s[SettingNames.AttackSliceQueries] = "2";
        });
        (_, string id, _) = await h.UploadAsync(File, Sample(File), metadata);

        OrchestrationMetadata done = await h.WaitAsync(id, Timeout);

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{done.RuntimeStatus}: {done.FailureDetails?.ErrorType} {done.FailureDetails?.ErrorMessage} {done.FailureDetails?.InnerFailure?.ErrorMessage}");
        AttackReport report = await AssertFooledAndVerifiedAsync(h, "0013-dress.png", ModelSpecLoader.Load(FashionModel));
        Assert.Equal("apgd-ce", report.Attack.Name);
        Assert.True(report.Outcome.GradientEvaluations >= 1);

        // The same attack in one process, uninterrupted, with the model's gradients.
        ModelSpec spec = ModelSpecLoader.Load(FashionModel);
        var runtime = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
        using var classifier = new OnnxClassifier(spec, runtime);
        using var gradients = new AttackCore.Gradients.OnnxGradientModel(spec, runtime, Path.Combine(Path.GetTempPath(), "advaudit-test-gradients"));
        AttackRequest request = AttackOverrides.Apply(new AttackDefaults(), metadata);
        PreparedImage image = PreparedImage.Load(File, Sample(File), spec);
        ImageResult direct = new AttackRunner(classifier, ModelDescription.From(classifier), gradients: gradients).Run([image], request)[0];
        Assert.Equal(direct.AdversarialPng, await h.ReadResultAsync("0013-dress.png", "adversarial.png"));
        Assert.Equal(direct.Report.Outcome.GradientEvaluations, report.Outcome.GradientEvaluations);
    }

    [AzuriteFact]
    public async Task Pipeline_SlicedAndCheckpointed_GivesTheSameAdversarialPngAsAnUninterruptedRunAndTheCommandLine()
    {
        const string File = "0004-shirt.png";
        await using PipelineHarness h = await PipelineHarness.StartAsync("same", s =>
        {
            Fashion(s);
            s[SettingNames.AttackSeed] = "7";
            s[SettingNames.AttackSliceQueries] = "2";
        });
        (_, string id, _) = await h.UploadAsync(File, Sample(File));
        OrchestrationMetadata done = await h.WaitAsync(id, Timeout);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        AuditStatus status = done.ReadCustomStatusAs<AuditStatus>()!;
        Assert.True(status.Slices >= 3, $"only {status.Slices} slices: the test needs several checkpoints");
        byte[] fromPipeline = await h.ReadResultAsync("0004-shirt.png", "adversarial.png");

        // The same job in one process, uninterrupted, as the command line runs it.
        ModelSpec spec = ModelSpecLoader.Load(FashionModel);
        using var classifier = new OnnxClassifier(spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        var defaults = new AttackDefaults { Eps = 0.1, MaxQueries = 2000, Seed = 7 };
        PreparedImage image = PreparedImage.Load(File, Sample(File), spec);
        ImageResult direct = new AttackRunner(classifier, ModelDescription.From(classifier)).Run([image], defaults.ToRequest())[0];

        Assert.True(direct.Report.Outcome.Success);
        Assert.Equal(direct.AdversarialPng, fromPipeline);
        Assert.Equal(direct.Report.Outcome.Queries, done.ReadOutputAs<ImageAuditResult>()!.Queries);

        // And the command-line runner itself, as a user would call it.
        string outDir = Path.Combine(Path.GetTempPath(), "advaudit-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var output = new StringWriter();
            using var errors = new StringWriter();
            int exit = await AttackCli.Program.RunAsync(
                ["attack", Path.Combine(FashionSamples, File), "--model", FashionModel, "--eps", "0.1", "--max-queries", "2000", "--seed", "7", "--provider", "cpu", "--out", outDir],
                output,
                errors);
            Assert.True(exit == 0, errors.ToString());
            Assert.Equal(fromPipeline, await System.IO.File.ReadAllBytesAsync(Path.Combine(outDir, "0004-shirt", "adversarial.png")));
        }
        finally
        {
            if (Directory.Exists(outDir))
            {
                Directory.Delete(outDir, recursive: true);
            }
        }
    }

    [AzuriteFact]
    public async Task PngTruncatedAfterItsHeader_GetsErrorJsonFromPrepareImage_AndTheUploadStays()
    {
        byte[] png = Sample("0001-pullover.png");
        byte[] truncated = png[..33]; // the 8-byte signature and the 25-byte IHDR chunk, nothing else
        await using PipelineHarness h = await PipelineHarness.StartAsync("corrupt", Fashion);
        (UploadOutcome outcome, string id, BlobInfo blob) = await h.UploadAsync("bad/cut.png", truncated);
        Assert.Equal(UploadOutcome.Scheduled, outcome); // the header is fine: only decoding finds the problem

        OrchestrationMetadata done = await h.WaitAsync(id, Timeout);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(ImageOutcome.Rejected, done.ReadOutputAs<ImageAuditResult>()!.Outcome);
        Assert.Equal(BlobStore.ErrorMarker, await h.Store.GetCompletionAsync(h.Storage.ResultsContainer, "bad/cut.png"));
        ErrorReport error = ErrorReport.Parse(System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync("bad/cut.png", "error.json")));
        Assert.Equal(("bad/cut.png", InstanceIds.NormalizeETag(blob.ETag)), (error.Input, error.ETag));
        BlobInfo after = (await h.Store.TryGetInfoAsync(h.Storage.UploadsContainer, "bad/cut.png"))!;
        Assert.Equal(blob.ETag, after.ETag);
        Assert.Equal(truncated, (await h.Store.ReadAsync(h.Storage.UploadsContainer, "bad/cut.png")).ToArray());
    }

    [AzuriteFact]
    public async Task UploadWhoseRunFailsAfterEveryRetry_GetsErrorJson_AndNoCheckpointIsLeft()
    {
        // A model file that loads as a spec but not as a network: every PrepareImage attempt fails (not an outage).
        string dir = Directory.CreateTempSubdirectory("advaudit-broken-model-").FullName;
        string spec = System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(RepoPaths.FromRoot("models/fashion-mnist-cnn/model.json")!), "\\s*\"sha256\"\\s*:\\s*\"[0-9a-f]+\",?", string.Empty);
        File.WriteAllText(Path.Combine(dir, "model.json"), spec.Replace("\"labelsPath\": \"labels.txt\",", string.Empty, StringComparison.Ordinal));
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), "not an onnx model"u8.ToArray());
        await using PipelineHarness h = await PipelineHarness.StartAsync("broken", s =>
        {
            Fashion(s);
            s[SettingNames.ModelLocalPath] = Path.Combine(dir, "model.json");
        });
        (UploadOutcome outcome, string id, BlobInfo blob) = await h.UploadAsync("f/shoe.png", Sample("0000-ankle-boot.png"));
        Assert.Equal(UploadOutcome.Scheduled, outcome);

        OrchestrationMetadata done = await h.WaitAsync(id, Timeout);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(ImageOutcome.Failed, done.ReadOutputAs<ImageAuditResult>()!.Outcome);
        ErrorReport error = ErrorReport.Parse(System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync("f/shoe.png", "error.json")));
        Assert.Equal((RecordUploadFailure.Reason, InstanceIds.NormalizeETag(blob.ETag)), (error.Reason, error.ETag));
        Assert.Contains("every retry", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await h.Store.DeletePrefixAsync(h.Storage.AttackWorkContainer, CheckpointStore.PrefixFor(id)));
        Directory.Delete(dir, recursive: true);
    }

    [AzuriteFact]
    public async Task BadMetadataOverride_GetsErrorJson()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("meta", Fashion);
        (_, string id, _) = await h.UploadAsync("m.png", Sample("0002-trouser.png"), new Dictionary<string, string> { ["advaudit_eps"] = "lots" });

        OrchestrationMetadata done = await h.WaitAsync(id, Timeout);

        Assert.Equal(ImageOutcome.Rejected, done.ReadOutputAs<ImageAuditResult>()!.Outcome);
        ErrorReport error = ErrorReport.Parse(System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync("m.png", "error.json")));
        Assert.Equal("InvalidOptions", error.Reason);
        Assert.Contains("advaudit_eps", error.Message, StringComparison.Ordinal);
    }

    [AzuriteSharedModelFact("mobilenet_v2_1.0_224")]
    public async Task SharedPhotoOnMobileNetV2_CompletesWithVerifiedAdversarialReport()
    {
        string onnx = SharedModelFactAttribute.SharedModelPath("mobilenet_v2_1.0_224") + "/model.onnx";
        await using PipelineHarness h = await PipelineHarness.StartAsync("mnv2", s =>
        {
            s[SettingNames.ModelLocalPath] = onnx;
            s[SettingNames.ModelPreset] = "mobilenet-v2";
            s[SettingNames.ModelProvider] = "cpu";
            s[SettingNames.AttackSliceQueries] = "20";
            s[SettingNames.AttackMaxQueries] = "2000";
        });
        (_, string id, _) = await h.UploadAsync("photos/cat.png", File.ReadAllBytes(RepoPaths.FromRoot("../shared/images/cat.png")!));

        OrchestrationMetadata done = await h.WaitAsync(id, TimeSpan.FromMinutes(8));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        ModelSpec spec = ModelPresets.TryGet("mobilenet-v2", out ModelSpec? preset) ? preset with { OnnxPath = onnx } : throw new InvalidOperationException("no preset");
        await AssertFooledAndVerifiedAsync(h, "photos/cat.png", spec);
    }
}
