using System.Text.Json;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AdvAudit.Functions.Upload;
using AttackCore.Tests.TestSupport;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using static AdvAudit.Functions.Tests.TestSupport.AuditCalls;

namespace AdvAudit.Functions.Tests.Audit;

/// <summary>
/// <c>POST /api/audits/{id}/resume</c> against Azurite: a stopped audit is resumed and runs only the inputs without a
/// complete result (and those whose run failed), every input ends with exactly one result, no checkpoint is left.
/// </summary>
public sealed class AuditResumeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(6);
    private static readonly string FashionSamples = RepoPaths.FromRoot("samples/fashion-mnist")!;

    private static void Sequential(Dictionary<string, string?> s)
    {
        TestServices.QuickFashionAudit(s);
        s[SettingNames.AuditMaxConcurrency] = "1";
        s[SettingNames.AttackSlicesPerExecution] = "2";
    }

    private static async Task UploadSamplesAsync(PipelineHarness h, int count)
    {
        foreach (string file in Directory.GetFiles(FashionSamples, "*.png").Order(StringComparer.Ordinal).Take(count))
        {
            await h.Store.WriteAsync(h.Storage.UploadsContainer, "batch/" + Path.GetFileName(file), BinaryData.FromBytes(await File.ReadAllBytesAsync(file)), "image/png");
        }
    }

    private static async Task<ApiResponse> ResumeAsync(PipelineHarness h, string id, bool force = false) =>
        await h.Services.GetRequiredService<AuditApi>().ResumeAsync(id, force, PostUrl, h.Client);

    private static async Task<Dictionary<string, Azure.ETag>> MarkerETagsAsync(PipelineHarness h, string id)
    {
        var etags = new Dictionary<string, Azure.ETag>(StringComparer.Ordinal);
        await foreach (BlobItem item in h.Store.Service.GetBlobContainerClient(h.Storage.ResultsContainer).GetBlobsAsync(new GetBlobsOptions { Prefix = AuditStore.ResultsFolder(id) + "/images/" }))
        {
            if (item.Name.EndsWith("/" + BlobStore.ReportMarker, StringComparison.Ordinal) || item.Name.EndsWith("/" + BlobStore.ErrorMarker, StringComparison.Ordinal))
            {
                etags[item.Name] = item.Properties.ETag!.Value;
            }
        }

        return etags;
    }

    private static async Task<OrchestrationMetadata> WaitAsync(PipelineHarness h, string id, int resume = 0)
    {
        using var cts = new CancellationTokenSource(Timeout);
        return await h.Client.WaitForInstanceCompletionAsync(AuditStore.InstanceId(id, resume), getInputsAndOutputs: true, cts.Token);
    }

    private static async Task WaitForDoneAsync(PipelineHarness h, string id, int done)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while ((await GetAsync(h, id)).GetProperty("progress").GetProperty("done").GetInt32() < done)
        {
            await Task.Delay(50, cts.Token);
        }
    }

    [AzuriteFact]
    public async Task StoppedAudit_Resumed_RunsOnlyWhatHasNoResult_AndRerunsAFailedRun_OneResultPerInput()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("resume", Sequential);
        await UploadSamplesAsync(h, 8);
        string id = await StartAsync(h, new { prefix = "batch/", options = new { eps = 0.1, maxQueries = 3000, minimize = true } });
        await WaitForDoneAsync(h, id, 2);
        await h.Client.TerminateInstanceAsync(AuditStore.InstanceId(id), new TerminateInstanceOptions("test stop", Recursive: true));
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await WaitAsync(h, id)).RuntimeStatus);
        await Task.Delay(500);   // a slice that was running when the audit stopped ends

        Dictionary<string, Azure.ETag> before = await MarkerETagsAsync(h, id);
        Assert.InRange(before.Count, 2, 7);
        // One finished input whose run "failed" (error.json with reason AuditFailed): the resume runs it again.
        string failed = before.Keys.Order(StringComparer.Ordinal).First();
        string failedFolder = failed[..failed.LastIndexOf('/')];
        await h.Store.DeletePrefixAsync(h.Storage.ResultsContainer, failedFolder + "/");
        await h.Store.WriteResultFolderAsync(h.Storage.ResultsContainer, failedFolder, [new ErrorReport("batch/x.png", h.Storage.UploadsContainer, "e", LoadAuditChunk.RetryableReason, "injected").ToFile()]);
        before.Remove(failed);

        ApiResponse resumed = await ResumeAsync(h, id);
        Assert.True(resumed.Status == 202, resumed.Body);
        Assert.Equal(1, JsonDocument.Parse(resumed.Body).RootElement.GetProperty("resume").GetInt32());
        OrchestrationMetadata done = await WaitAsync(h, id, resume: 1);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Dictionary<string, List<string>> markers = await MarkersAsync(h, id);
        Assert.Equal(8, markers.Count);
        Assert.All(markers, m => Assert.Equal([BlobStore.ReportMarker], m.Value));
        Dictionary<string, Azure.ETag> after = await MarkerETagsAsync(h, id);
        Assert.All(before, b => Assert.Equal(b.Value, after[b.Key]));   // finished inputs were not run again
        Assert.Contains(failedFolder + "/" + BlobStore.ReportMarker, after.Keys);
        AuditResult result = done.ReadOutputAs<AuditResult>()!;
        Assert.Equal((8, 0), (result.Images, result.Failed));
        Assert.Equal(8, (await GetAsync(h, id)).GetProperty("progress").GetProperty("done").GetInt32());
        Assert.Equal(0, await CheckpointBlobsAsync(h, id));
    }

    [AzuriteFact]
    public async Task RunningAudit_IsNotResumedWithoutForce_ForceStopsAndResumesIt_UnknownIdIs404()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("force", Sequential);
        await UploadSamplesAsync(h, 4);
        string id = await StartAsync(h, new { prefix = "batch/", options = new { eps = 0.1, maxQueries = 3000, minimize = true } });

        ApiResponse refused = await ResumeAsync(h, id);
        ApiResponse unknown = await ResumeAsync(h, new string('a', 32));
        ApiResponse forced = await ResumeAsync(h, id, force: true);
        OrchestrationMetadata stopped = await WaitAsync(h, id);
        OrchestrationMetadata done = await WaitAsync(h, id, resume: 1);

        Assert.Equal(409, refused.Status);
        Assert.Contains("?force=true", refused.Body, StringComparison.Ordinal);
        Assert.Equal(404, unknown.Status);
        Assert.True(forced.Status == 202, forced.Body);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, stopped.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(1, (await GetAsync(h, id)).GetProperty("resume").GetInt32());
        Dictionary<string, List<string>> markers = await MarkersAsync(h, id);
        Assert.Equal(4, markers.Count);
        Assert.All(markers, m => Assert.Single(m.Value));
        Assert.Equal(4, done.ReadOutputAs<AuditResult>()!.Images);
    }
}
