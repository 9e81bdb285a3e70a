using System.Text.Json;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AdvAudit.Functions.Upload;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AdvAudit.Functions.Tests.Audit;

/// <summary>
/// Hostile blob names at every door, against Azurite: the SDK resolves <c>..</c> in a blob URL, so an unchecked
/// name would read another container's blob and write results outside the audit's folder.
/// </summary>
public sealed class AuditBlobNameTests
{
    private static readonly Uri PostUrl = new("http://localhost:7071/api/audits");
    private static readonly byte[] Sample = File.ReadAllBytes(Path.Combine(RepoPaths.FromRoot("samples/fashion-mnist")!, "0000-ankle-boot.png"));

    private static async Task<Dictionary<string, string>> SnapshotAsync(BlobContainerClient container)
    {
        var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (BlobItem item in container.GetBlobsAsync())
        {
            blobs[item.Name] = item.Properties.ETag.ToString()!;
        }

        return blobs;
    }

    [AzuriteFact]
    public async Task Audit_ManifestWithTraversalAndBadNames_RefusesEachAloneAndTouchesNothingOutsideTheAudit()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("names", TestServices.QuickFashionAudit);
        BlobContainerClient victim = h.Store.Service.GetBlobContainerClient(Azurite.UniqueContainer("victim"));
        await victim.CreateIfNotExistsAsync();
        await victim.GetBlobClient("z.png").UploadAsync(BinaryData.FromBytes(Sample));
        await h.Store.WriteAsync(h.Storage.UploadsContainer, "good.png", BinaryData.FromBytes(Sample), "image/png");
        // The results container's own blob: ".." from uploads would reach it too.
        await h.Store.WriteAsync(h.Storage.ResultsContainer, "z.png", BinaryData.FromBytes(Sample), "image/png");
        BlobContainerClient uploads = h.Store.Service.GetBlobContainerClient(h.Storage.UploadsContainer);
        Dictionary<string, string> victimBefore = await SnapshotAsync(victim);
        Dictionary<string, string> uploadsBefore = await SnapshotAsync(uploads);
        string[] bad = [$"../{victim.Name}/z.png", $"../{h.Storage.ResultsContainer}/z.png", "./good.png", "a\\..\\good.png", "/good.png", "bell\u0007.png", "a/../../x.png"];

        ApiResponse started = await h.Services.GetRequiredService<AuditApi>().StartAsync(
            JsonSerializer.Serialize(new { blobs = bad.Prepend("good.png"), options = new { eps = 0.1, maxQueries = 50, seed = 1 } }), PostUrl, h.Client);
        Assert.True(started.Status == 202, started.Body);
        string id = JsonDocument.Parse(started.Body).RootElement.GetProperty("id").GetString()!;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        OrchestrationMetadata done = await h.Client.WaitForInstanceCompletionAsync(AuditStore.InstanceId(id), getInputsAndOutputs: true, cts.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        AuditSummary summary = SchemaCheck.Summary((await h.Store.ReadAsync(h.Storage.ResultsContainer, AuditStore.ResultsFolder(id) + "/summary.json")).ToString());
        Assert.Equal((8, 1, 7), (summary.Counts.Images, summary.Counts.Evaluated, summary.Counts.Failed));
        Assert.Equal(bad.Order(StringComparer.Ordinal), summary.Failures.Select(f => f.Input).Order(StringComparer.Ordinal));
        Assert.All(summary.Failures, f => Assert.Equal(BlobNames.InvalidNameReason, f.Reason));
        Assert.Contains(summary.Failures, f => f.Message.Contains("'..' segment", StringComparison.Ordinal));
        Assert.Contains(summary.Failures, f => f.Message.Contains("backslash", StringComparison.Ordinal));
        Assert.Contains(summary.Failures, f => f.Message.Contains("control character (U+0007)", StringComparison.Ordinal));
        Assert.Contains(summary.Failures, f => f.Message.Contains("starts with '/'", StringComparison.Ordinal));

        // Nothing outside the audit's own folder was written, and no other container changed.
        Dictionary<string, string> results = await SnapshotAsync(h.Store.Service.GetBlobContainerClient(h.Storage.ResultsContainer));
        Assert.All(results.Keys.Where(k => k != "z.png"), k => Assert.StartsWith(AuditStore.ResultsFolder(id) + "/", k, StringComparison.Ordinal));
        Assert.Equal(victimBefore, await SnapshotAsync(victim));
        Assert.Equal(uploadsBefore, await SnapshotAsync(uploads));
        string images = AuditStore.ResultsFolder(id) + "/images/";
        Assert.Contains(images + "good.png/report.json", results.Keys);
        Assert.Equal(7, results.Keys.Count(k => k.StartsWith(images + BlobNames.InvalidNamesFolder + "/", StringComparison.Ordinal) && k.EndsWith("/" + BlobStore.ErrorMarker, StringComparison.Ordinal)));
        // Only good.png was attacked: one report in the whole results container.
        Assert.Single(results.Keys, k => k.EndsWith("/report.json", StringComparison.Ordinal));
    }

    [AzuriteFact]
    public async Task Start_PrefixWithTraversal_Is400()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("prefix", TestServices.QuickFashionAudit);

        ApiResponse answer = await h.Services.GetRequiredService<AuditApi>().StartAsync("{\"prefix\": \"../other/\"}", PostUrl, h.Client);

        Assert.Equal(400, answer.Status);
        string error = JsonDocument.Parse(answer.Body).RootElement.GetProperty("error").GetString()!;
        Assert.StartsWith("Invalid 'prefix': ", error, StringComparison.Ordinal);
        Assert.Contains("'..' segment", error, StringComparison.Ordinal);
    }

    [AzuriteFact]
    public async Task Upload_NameWithTraversal_IsRefusedWithoutReadingTheOtherContainer()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("upname", TestServices.QuickFashionAudit);
        BlobContainerClient victim = h.Store.Service.GetBlobContainerClient(Azurite.UniqueContainer("victim"));
        await victim.CreateIfNotExistsAsync();
        await victim.GetBlobClient("z.png").UploadAsync(BinaryData.FromBytes(Sample));
        string name = $"../{victim.Name}/z.png";

        UploadOutcome outcome = await h.Services.GetRequiredService<UploadHandler>().HandleAsync(h.Storage.UploadsContainer, name, UploadSource.Polling, h.Client);

        Assert.Equal(UploadOutcome.Rejected, outcome);
        ErrorReport error = ErrorReport.Parse((await h.Store.ReadAsync(h.Storage.ResultsContainer, BlobNames.InvalidNameFolder(string.Empty, name) + "/" + BlobStore.ErrorMarker)).ToString());
        Assert.Equal((name, BlobNames.InvalidNameReason), (error.Input, error.Reason));
        Assert.Equal([BlobNames.InvalidNameFolder(string.Empty, name) + "/" + BlobStore.ErrorMarker], (await SnapshotAsync(h.Store.Service.GetBlobContainerClient(h.Storage.ResultsContainer))).Keys.Where(k => !k.StartsWith('.')));
    }
}
