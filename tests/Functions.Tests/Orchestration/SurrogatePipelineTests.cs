using System.Text.Json;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Reporting;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>
/// Surrogates in the per-image pipeline against Azurite: a surrogate stored as a blob with its sidecar JSON, named by
/// the upload's metadata (or an audit's option), guides the <c>transfer</c> attack across sliced activities; the served
/// model is queried once per image and the report says so.
/// </summary>
public sealed class SurrogatePipelineTests
{
    private const string SurrogateBlob = "surrogates/fashion.onnx";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private static readonly string FashionSamples = FashionModel.Samples;

    private static void Settings(Dictionary<string, string?> s)
    {
        FashionModel.Serve(s);
        s[SettingNames.AttackSliceQueries] = "4"; // a few iterations per activity: the attack state crosses slices
    }

    [AzuriteFact]
    public async Task Upload_TransferWithSurrogateMetadata_ReportHasOneTargetQueryAndTheSurrogate()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("surr", Settings);
        await FashionModel.UploadAsync(h, SurrogateBlob);
        const string Sample = "0000-ankle-boot.png";
        var metadata = new Dictionary<string, string>
        {
            [AttackOverrides.Attacks] = "transfer:iterations=6",
            [AttackOverrides.SurrogateModels] = SurrogateBlob,
        };

        (_, string id, _) = await h.UploadAsync(Sample, File.ReadAllBytes(Path.Combine(FashionSamples, Sample)), metadata);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await h.WaitAsync(id, Timeout)).RuntimeStatus);
        AttackReport report = ReportJson.Deserialize(System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync("0000-ankle-boot.png", "report.json")));
        Assert.Equal("transfer", report.Attack.Name);
        Assert.Equal(1, report.Outcome.Queries);
        Assert.Equal(6, report.Outcome.SurrogateGradientEvaluations);
        Assert.Equal("fashion-mnist-cnn", Assert.Single(report.Attack.Surrogates!).Name);
        Assert.Contains("Surrogate gradient evaluations", System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync("0000-ankle-boot.png", "report.html")), StringComparison.Ordinal);
    }

    [AzuriteFact]
    public async Task Upload_TransferWithoutSurrogate_WritesErrorJsonNamingTheSetting()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("surrnone", Settings);
        const string Sample = "0001-pullover.png";

        (_, string id, _) = await h.UploadAsync(Sample, File.ReadAllBytes(Path.Combine(FashionSamples, Sample)), new Dictionary<string, string> { [AttackOverrides.Attacks] = "transfer" });

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await h.WaitAsync(id, Timeout)).RuntimeStatus);
        string error = System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync("0001-pullover.png", "error.json"));
        Assert.Contains(SettingNames.ModelSurrogateBlobNames, error, StringComparison.Ordinal);
        Assert.Contains(AttackOverrides.SurrogateModels, error, StringComparison.Ordinal);
    }

    [AzuriteFact]
    public async Task Upload_SurrogateBlobMissing_WritesErrorJsonNamingTheBlob()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("surrmiss", Settings);
        const string Sample = "0002-trouser.png";
        var metadata = new Dictionary<string, string> { [AttackOverrides.Attacks] = "transfer", [AttackOverrides.SurrogateModels] = "surrogates/absent.onnx" };

        (_, string id, _) = await h.UploadAsync(Sample, File.ReadAllBytes(Path.Combine(FashionSamples, Sample)), metadata);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await h.WaitAsync(id, Timeout)).RuntimeStatus);
        string error = System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync("0002-trouser.png", "error.json"));
        Assert.Contains("SurrogateUnavailable", error, StringComparison.Ordinal);
        Assert.Contains("surrogates/absent.onnx", error, StringComparison.Ordinal);
    }

    [AzuriteFact]
    public async Task Audit_SurrogateModelsOption_SummaryHasTheSurrogateTransferTable()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("surraudit", Settings);
        await FashionModel.UploadAsync(h, SurrogateBlob);
        string[] samples = ["0000-ankle-boot.png", "0001-pullover.png"];
        foreach (string sample in samples)
        {
            await h.Store.WriteAsync(h.Storage.UploadsContainer, "sa/" + sample, BinaryData.FromBytes(File.ReadAllBytes(Path.Combine(FashionSamples, sample))), "image/png");
        }

        string body = JsonSerializer.Serialize(new { prefix = "sa/", options = new { attacks = "transfer:iterations=4", surrogateModels = new[] { SurrogateBlob } } });
        ApiResponse started = await h.Services.GetRequiredService<AuditApi>().StartAsync(body, new Uri("http://localhost:7071/api/audits"), h.Client);
        Assert.True(started.Status == 202, started.Body);
        string id = JsonDocument.Parse(started.Body).RootElement.GetProperty("id").GetString()!;
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await h.WaitAsync(AuditStore.InstanceId(id), Timeout)).RuntimeStatus);

        AuditSummary summary = AuditSummaryJson.Deserialize(System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync(AuditStore.ResultsFolder(id), "summary.json")));
        SurrogateTransferRow row = Assert.Single(summary.SurrogateTransfer!);
        Assert.Equal(["fashion-mnist-cnn"], row.Surrogates);
        Assert.Equal((summary.Counts.Attacked, summary.Counts.Fooled, 1.0, 4.0), (row.Attacked, row.Fooled, row.MeanTargetQueries, row.MeanSurrogateGradientEvaluations));
    }
}
