using System.Text.Json;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>
/// Transfer models in the per-image pipeline against Azurite: a transfer model stored as a blob with its sidecar JSON,
/// chosen by the app setting or by the upload's metadata, classifies the verified adversarial image before report.json
/// is written.
/// </summary>
public sealed class TransferPipelineTests
{
    private const string TransferBlob = "transfer/fashion.onnx";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private static readonly string FashionSamples = FashionModel.Samples;

    private static void Settings(Dictionary<string, string?> s)
    {
        FashionModel.Serve(s);
        s[SettingNames.AttackMaxQueries] = "2000";
        s[SettingNames.ModelTransferBlobNames] = TransferBlob;
    }

    [AzuriteFact]
    public async Task Upload_TransferModelInSettingOrMetadata_ReportHasTransferOnlyWhereNamed()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("xfer", Settings);
        await FashionModel.UploadAsync(h, TransferBlob);
        const string Sample = "0000-ankle-boot.png";
        byte[] image = File.ReadAllBytes(Path.Combine(FashionSamples, Sample));

        (_, string bySetting, _) = await h.UploadAsync("setting/" + Sample, image);
        (_, string byMetadata, _) = await h.UploadAsync("metadata/" + Sample, image, new Dictionary<string, string> { [AttackOverrides.TransferModels] = TransferBlob });
        (_, string none, _) = await h.UploadAsync("none/" + Sample, image, new Dictionary<string, string> { [AttackOverrides.TransferModels] = "none" });

        foreach (string id in new[] { bySetting, byMetadata, none })
        {
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await h.WaitAsync(id, Timeout)).RuntimeStatus);
        }

        foreach (string folder in new[] { "setting/0000-ankle-boot.png", "metadata/0000-ankle-boot.png" })
        {
            AttackReport report = await ReadReportAsync(h, folder);
            Assert.True(report.Outcome.Success, report.Outcome.Message);

            // The target is the attacked model itself, so it must see exactly what the verification saw.
            TransferResult entry = Assert.Single(report.Transfer!);
            Assert.Equal(("fashion-mnist-cnn", report.Model.Sha256), (entry.Model.Name, entry.Model.Sha256));
            Assert.Equal(report.Clean.Top5[0].Index, entry.CleanTop5[0].Index);
            Assert.Equal(report.Adversarial!.Top5[0].Index, entry.AdversarialTop5[0].Index);
            Assert.True(entry.Fooled);
            Assert.True(entry.AgreesOnClean);
            Assert.Contains("id=\"transfer\"", System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync(folder, "report.html")), StringComparison.Ordinal);
        }

        Assert.Null((await ReadReportAsync(h, "none/0000-ankle-boot.png")).Transfer);
    }

    [AzuriteFact]
    public async Task Upload_TransferModelMissing_WritesTheAttackResultWithoutTransfer()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("xmiss", Settings);
        const string Sample = "0000-ankle-boot.png";

        (_, string id, _) = await h.UploadAsync(Sample, File.ReadAllBytes(Path.Combine(FashionSamples, Sample)));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await h.WaitAsync(id, Timeout)).RuntimeStatus);
        AttackReport report = await ReadReportAsync(h, "0000-ankle-boot.png");
        Assert.True(report.Outcome.Success);
        Assert.Null(report.Transfer);
    }

    [AzuriteFact]
    public async Task Audit_TransferModelsOption_SummaryMatrixCountsThePerImageTransferEntries()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("xaudit", s =>
        {
            Settings(s);
            s[SettingNames.ModelTransferBlobNames] = string.Empty; // the audit's option names the model
        });
        await FashionModel.UploadAsync(h, TransferBlob);
        string[] samples = ["0000-ankle-boot.png", "0001-pullover.png", "0002-trouser.png"];
        foreach (string sample in samples)
        {
            await h.Store.WriteAsync(h.Storage.UploadsContainer, "xa/" + sample, BinaryData.FromBytes(File.ReadAllBytes(Path.Combine(FashionSamples, sample))), "image/png");
        }

        string body = JsonSerializer.Serialize(new { prefix = "xa/", options = new { transferModels = new[] { TransferBlob } } });
        ApiResponse started = await h.Services.GetRequiredService<AuditApi>().StartAsync(body, new Uri("http://localhost:7071/api/audits"), h.Client);
        Assert.True(started.Status == 202, started.Body);
        string id = JsonDocument.Parse(started.Body).RootElement.GetProperty("id").GetString()!;
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await h.WaitAsync(AuditStore.InstanceId(id), Timeout)).RuntimeStatus);

        string results = AuditStore.ResultsFolder(id);
        AuditSummary summary = SchemaCheck.Summary(System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync(results, "summary.json")));
        var reports = new List<AttackReport>();
        foreach (AuditImageRow row in summary.Images)
        {
            reports.Add(SchemaCheck.Report(System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync(row.ResultFolder, "report.json"))));
        }

        TransferMatrixCell cell = Assert.Single(summary.Transfer!);
        Assert.Equal(("fashion-mnist-cnn", "fashion-mnist-cnn"), (cell.SourceModel, cell.TargetModel));
        Assert.Equal(summary.Counts.Fooled, cell.Evaluated);
        Assert.Equal(reports.Count(r => r.Transfer is [{ Fooled: true }]), cell.Fooled);
        Assert.Equal(reports.Count(r => r.Outcome.Success), reports.Count(r => r.Transfer is { Count: 1 }));
        Assert.Contains("id=\"transfer\"", System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync(results, "summary.html")), StringComparison.Ordinal);
    }

    private static async Task<AttackReport> ReadReportAsync(PipelineHarness h, string folder) =>
        SchemaCheck.Report(System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync(folder, "report.json")));
}
