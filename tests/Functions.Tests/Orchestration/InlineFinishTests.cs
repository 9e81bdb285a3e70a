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
/// The activity in which an image's attack ends writes its result folder itself: PrepareImage when the first slice
/// ends it, else the last AttackSlice; no state blob is left, and a retry of that activity answers what was written.
/// </summary>
public sealed class InlineFinishTests
{
    private const string Name = "inline/boot.png";
    private static readonly byte[] Boot = File.ReadAllBytes(Path.Combine(RepoPaths.FromRoot("samples/fashion-mnist")!, "0000-ankle-boot.png"));

    private static Task<PipelineHarness> StartAsync(string tag, string sliceQueries) => PipelineHarness.StartAsync(tag, s =>
    {
        TestServices.QuickFashionAudit(s);
        s[SettingNames.AttackMaxQueries] = "200";
        s[SettingNames.AttackEps] = "0.1";
        s[SettingNames.AttackSliceQueries] = sliceQueries;
    });

    private static async Task<ImageWorkItem> UploadAsync(PipelineHarness h)
    {
        await h.Store.WriteAsync(h.Storage.UploadsContainer, Name, BinaryData.FromBytes(Boot), "image/png");
        BlobInfo info = (await h.Store.TryGetInfoAsync(h.Storage.UploadsContainer, Name))!;
        return new ImageWorkItem { Container = h.Storage.UploadsContainer, Name = Name, ETag = InstanceIds.NormalizeETag(info.ETag), ResultFolder = ResultPaths.FolderFor(Name), Length = info.Length };
    }

    private static async Task<AttackReport> ReportAsync(PipelineHarness h, ImageWorkItem item) =>
        SchemaCheck.Report((await h.Store.ReadAsync(h.Storage.ResultsContainer, BlobStore.Join(item.ResultFolder, BlobStore.ReportMarker))).ToString());

    [AzuriteFact]
    public async Task AttackEndingInTheFirstSlice_PrepareImageWritesTheResult_NoStateBlob()
    {
        await using PipelineHarness h = await StartAsync("inline1", "500");
        ImageWorkItem item = await UploadAsync(h);

        PrepareResult prepared = await h.Services.GetRequiredService<PrepareImage>().ExecuteAsync(item, CancellationToken.None);

        ImageAuditResult result = prepared.Checkpoint!.Result!;
        Assert.True(prepared.Checkpoint.Finished);
        AttackReport report = await ReportAsync(h, item);
        Assert.Equal(ImageAuditResult.OutcomeOf(report.Outcome.Status), result.Outcome);
        Assert.Equal(report.Outcome.Queries, result.Queries);
        Assert.Equal(item.ETag, report.Input.Version);
        Assert.Empty(await h.Store.ListNamesAsync(h.Storage.AttackWorkContainer, prepared.Checkpoint.WorkPrefix));
    }

    [AzuriteFact]
    public async Task AttackEndingInALaterSlice_ThatSliceWritesTheResult_NoWorkBlobsLeft_AndARetryReportsWhatWasWritten()
    {
        await using PipelineHarness h = await StartAsync("inline2", "5");
        ImageWorkItem item = await UploadAsync(h);
        ImageCheckpoint checkpoint = (await h.Services.GetRequiredService<PrepareImage>().ExecuteAsync(item, CancellationToken.None)).Checkpoint!;
        Assert.Null(checkpoint.Result);
        ImageCheckpoint before = checkpoint;
        while (checkpoint.Result is null)
        {
            before = checkpoint;
            checkpoint = await h.Services.GetRequiredService<AttackSlice>().ExecuteAsync(checkpoint, CancellationToken.None);
        }

        AttackReport report = await ReportAsync(h, item);
        Assert.Equal(ImageAuditResult.OutcomeOf(report.Outcome.Status), checkpoint.Result.Outcome);
        Assert.Equal(report.Outcome.Queries, checkpoint.Result.Queries);
        Assert.Empty(await h.Store.ListNamesAsync(h.Storage.AttackWorkContainer, checkpoint.WorkPrefix));

        // The same slice again (a retry after its answer was lost): its input is gone, so it answers what was written.
        ImageCheckpoint retried = await h.Services.GetRequiredService<AttackSlice>().ExecuteAsync(before, CancellationToken.None);
        Assert.Equal(checkpoint.Result, retried.Result);
    }
}
