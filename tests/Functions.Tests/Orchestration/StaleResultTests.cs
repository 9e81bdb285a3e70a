using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AdvAudit.Functions.Upload;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>
/// Two versions of one blob name in flight, run activity by activity so the order is fixed: a result is written only
/// for the version that is current, and the report names the version it describes.
/// </summary>
public sealed class StaleResultTests
{
    private const string Name = "zoo/shoe.png";
    private const string Folder = "zoo/shoe";
    private static readonly byte[] Good = File.ReadAllBytes(Path.Combine(RepoPaths.FromRoot("samples/fashion-mnist")!, "0000-ankle-boot.png"));
    private static readonly byte[] Other = File.ReadAllBytes(Path.Combine(RepoPaths.FromRoot("samples/fashion-mnist")!, "0001-pullover.png"));

    private static Task<PipelineHarness> StartAsync(string tag) => PipelineHarness.StartAsync(tag, s =>
    {
        TestServices.QuickFashionAudit(s);
        s[SettingNames.AttackMaxQueries] = "200";
        s[SettingNames.AttackEps] = "0.1";

        // Short slices, so that PrepareImage's first one does not end the attack (and write the result) by itself.
        s[SettingNames.AttackSliceQueries] = "5";
    });

    private static async Task<ImageWorkItem> UploadAsync(PipelineHarness h, byte[] content)
    {
        await h.Store.WriteAsync(h.Storage.UploadsContainer, Name, BinaryData.FromBytes(content), "image/png");
        BlobInfo info = (await h.Store.TryGetInfoAsync(h.Storage.UploadsContainer, Name))!;
        return new ImageWorkItem { Container = h.Storage.UploadsContainer, Name = Name, ETag = InstanceIds.NormalizeETag(info.ETag), ResultFolder = Folder, Length = info.Length };
    }

    /// <summary>
    /// Prepares and attacks one version to the point where only its final write is left: the checkpoint loses its
    /// result folder after PrepareImage, so the slice that ends the attack leaves the write to FinalizeImage (both end
    /// an image through the same <see cref="FinalizeImage.FinishAsync"/>), which the test calls when it chooses.
    /// </summary>
    private static async Task<ImageCheckpoint?> AttackAsync(PipelineHarness h, ImageWorkItem item, bool keepResultFolder = false)
    {
        PrepareResult prepared = await h.Services.GetRequiredService<PrepareImage>().ExecuteAsync(item, CancellationToken.None);
        if (prepared.Checkpoint is null)
        {
            return null;
        }

        Assert.Null(prepared.Checkpoint.Result);
        ImageCheckpoint checkpoint = keepResultFolder ? prepared.Checkpoint : prepared.Checkpoint with { ResultFolder = null };
        while (checkpoint is { Finished: false } && checkpoint.Slice <= checkpoint.MaxQueries)
        {
            checkpoint = await h.Services.GetRequiredService<AttackSlice>().ExecuteAsync(checkpoint, CancellationToken.None);
        }

        return checkpoint;
    }

    private static Task<ImageAuditResult> FinalizeAsync(PipelineHarness h, ImageWorkItem item, ImageCheckpoint checkpoint) =>
        h.Services.GetRequiredService<FinalizeImage>().ExecuteAsync(
            new FinalizeInput(checkpoint, item.ResultFolder) { Source = new BlobVersion(item.Container, item.Name, item.ETag), OnlyIfCurrent = true },
            CancellationToken.None);

    private static async Task<AttackReport> ReportAsync(PipelineHarness h) =>
        SchemaCheck.Report((await h.Store.ReadAsync(h.Storage.ResultsContainer, Folder + "/" + BlobStore.ReportMarker)).ToString());

    [AzuriteFact]
    public async Task OlderVersionFinishingAfterTheNewerWasRejected_WritesNothing_AndTheNewerErrorJsonStays()
    {
        await using PipelineHarness h = await StartAsync("stale1");
        ImageWorkItem v1 = await UploadAsync(h, Good);
        ImageCheckpoint older = (await AttackAsync(h, v1))!;
        ImageWorkItem v2 = await UploadAsync(h, "not a picture"u8.ToArray());
        Assert.Null(await AttackAsync(h, v2)); // rejected: error.json for v2

        ImageAuditResult late = await FinalizeAsync(h, v1, older);

        Assert.Equal(CurrentVersion.SupersededOutcome, late.Outcome);
        Assert.Contains(v2.ETag, late.Message, StringComparison.Ordinal);
        ErrorReport error = ErrorReport.Parse((await h.Store.ReadAsync(h.Storage.ResultsContainer, Folder + "/" + BlobStore.ErrorMarker)).ToString());
        Assert.Equal(v2.ETag, error.ETag);
        Assert.False(await h.Store.ExistsAsync(h.Storage.ResultsContainer, Folder + "/" + BlobStore.ReportMarker));
        Assert.Equal(0, await h.Store.DeletePrefixAsync(h.Storage.AttackWorkContainer, older.WorkPrefix));
    }

    [AzuriteFact]
    public async Task OlderVersionsRejectionWrittenAfterTheNewerWasWritten_WritesNoErrorJson_AndTheNewerReportStays()
    {
        await using PipelineHarness h = await StartAsync("stale3");
        ImageWorkItem v1 = await UploadAsync(h, "not a picture"u8.ToArray());
        ImageWorkItem v2 = await UploadAsync(h, Good);
        await FinalizeAsync(h, v2, (await AttackAsync(h, v2))!);
        var rejection = new ErrorReport(Name, v1.Container, v1.ETag, "InvalidImage", "late");

        // The rejection of v1 decided before v2 was uploaded, written after v2's report (PrepareImage's race).
        bool written = await ErrorFolder.WriteAsync(h.Store, h.Storage.ResultsContainer, Folder, rejection, new BlobVersion(v1.Container, v1.Name, v1.ETag), CancellationToken.None);

        Assert.False(written);
        Assert.False(await h.Store.ExistsAsync(h.Storage.ResultsContainer, Folder + "/" + BlobStore.ErrorMarker));
        Assert.Equal(v2.ETag, (await ReportAsync(h)).Input.Version);
    }

    [AzuriteFact]
    public async Task NewerVersionRejected_ReplacesTheOlderReport_ErrorJsonIsTheOnlyMarker()
    {
        await using PipelineHarness h = await StartAsync("stale4");
        ImageWorkItem v1 = await UploadAsync(h, Good);
        await FinalizeAsync(h, v1, (await AttackAsync(h, v1))!);
        ImageWorkItem v2 = await UploadAsync(h, "not a picture"u8.ToArray());

        Assert.Null(await AttackAsync(h, v2));

        Assert.False(await h.Store.ExistsAsync(h.Storage.ResultsContainer, Folder + "/" + BlobStore.ReportMarker));
        Assert.Equal(BlobStore.ErrorMarker, await h.Store.GetCompletionAsync(h.Storage.ResultsContainer, Folder));
        Assert.Equal(v2.ETag, ErrorReport.Parse((await h.Store.ReadAsync(h.Storage.ResultsContainer, Folder + "/" + BlobStore.ErrorMarker)).ToString()).ETag);
    }

    [AzuriteFact]
    public async Task OlderVersionFinishingAfterTheNewerWasWritten_LeavesTheNewerReport()
    {
        await using PipelineHarness h = await StartAsync("stale2");
        ImageWorkItem v1 = await UploadAsync(h, Good);
        ImageCheckpoint older = (await AttackAsync(h, v1))!;
        ImageWorkItem v2 = await UploadAsync(h, Other);
        ImageCheckpoint newer = (await AttackAsync(h, v2))!;
        Assert.NotEqual(CurrentVersion.SupersededOutcome, (await FinalizeAsync(h, v2, newer)).Outcome);

        ImageAuditResult late = await FinalizeAsync(h, v1, older);

        Assert.Equal(CurrentVersion.SupersededOutcome, late.Outcome);
        AttackReport report = await ReportAsync(h);
        Assert.Equal(v2.ETag, report.Input.Version);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Other)), report.Input.Sha256);
    }

    [AzuriteFact]
    public async Task CurrentVersionFinishingAfterAnOlderOne_WritesItsReportNamingItsVersion()
    {
        await using PipelineHarness h = await StartAsync("stale3");
        ImageWorkItem v1 = await UploadAsync(h, Good);
        ImageCheckpoint older = (await AttackAsync(h, v1))!;
        Assert.NotEqual(CurrentVersion.SupersededOutcome, (await FinalizeAsync(h, v1, older)).Outcome);
        Assert.Equal(v1.ETag, (await ReportAsync(h)).Input.Version);
        ImageWorkItem v2 = await UploadAsync(h, Other);
        ImageCheckpoint newer = (await AttackAsync(h, v2))!;

        ImageAuditResult result = await FinalizeAsync(h, v2, newer);

        Assert.NotEqual(CurrentVersion.SupersededOutcome, result.Outcome);
        AttackReport report = await ReportAsync(h);
        Assert.Equal(v2.ETag, report.Input.Version);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Other)), report.Input.Sha256);
    }

    [AzuriteFact]
    public async Task OlderVersionsLastSliceAfterTheNewerWasWritten_WritesNothing_AndTheNewerReportStays()
    {
        await using PipelineHarness h = await StartAsync("stale5");
        ImageWorkItem v1 = await UploadAsync(h, Good);
        ImageCheckpoint older = (await h.Services.GetRequiredService<PrepareImage>().ExecuteAsync(v1, CancellationToken.None)).Checkpoint!;
        Assert.Null(older.Result);
        ImageWorkItem v2 = await UploadAsync(h, Other);
        ImageCheckpoint newer = (await AttackAsync(h, v2))!;
        Assert.NotEqual(CurrentVersion.SupersededOutcome, (await FinalizeAsync(h, v2, newer)).Outcome);

        // v1's slices go on; the one that ends its attack finds v2 current and writes nothing.
        while (older.Result is null && older.Slice <= older.MaxQueries)
        {
            older = await h.Services.GetRequiredService<AttackSlice>().ExecuteAsync(older, CancellationToken.None);
        }

        Assert.Equal(CurrentVersion.SupersededOutcome, older.Result!.Outcome);
        Assert.Equal(v2.ETag, (await ReportAsync(h)).Input.Version);
        Assert.Equal(0, await h.Store.DeletePrefixAsync(h.Storage.AttackWorkContainer, older.WorkPrefix));
    }
}
