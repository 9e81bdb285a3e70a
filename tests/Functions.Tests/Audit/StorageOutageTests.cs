using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Tests.TestSupport;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using static AdvAudit.Functions.Tests.TestSupport.AuditCalls;

namespace AdvAudit.Functions.Tests.Audit;

/// <summary>
/// A real outage: the audit's storage (a private Azurite) is stopped with SIGTERM mid-audit for 90 s and started again
/// over the same data. With the default outage tolerance the audit rides it out: it completes with exactly one
/// result per input, none failed, and no checkpoint left behind.
/// </summary>
public sealed class StorageOutageTests
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(90);
    private static readonly string FashionSamples = RepoPaths.FromRoot("samples/fashion-mnist")!;

    [PrivateAzuriteFact]
    public async Task Audit_StorageStoppedFor90SecondsMidAudit_CompletesWithOneResultPerInput()
    {
        await using AzuriteProcess azurite = await AzuriteProcess.StartAsync();
        await using PipelineHarness h = await PipelineHarness.StartAsync("outage", s =>
        {
            TestServices.QuickFashionAudit(s);
            s[SettingNames.StorageConnection] = azurite.ConnectionString;
            s[SettingNames.AuditMaxConcurrency] = "2";
            s[SettingNames.AttackSlicesPerExecution] = "2";
        });
        string[] files = [.. Directory.GetFiles(FashionSamples, "*.png").Order(StringComparer.Ordinal).Take(6)];
        foreach (string file in files)
        {
            await h.Store.WriteAsync(h.Storage.UploadsContainer, "batch/" + Path.GetFileName(file), BinaryData.FromBytes(await File.ReadAllBytesAsync(file)), "image/png");
        }

        string id = await StartAsync(h, new { prefix = "batch/", options = new { eps = 0.1, maxQueries = 3000, minimize = true } });
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        while ((await GetAsync(h, id)).GetProperty("progress").GetProperty("phase").GetString() != nameof(AuditPhase.Attacking))
        {
            await Task.Delay(20, cts.Token);
        }

        await azurite.StopAsync();
        await Task.Delay(Outage, cts.Token);
        OrchestrationMetadata? during = await h.Client.GetInstanceAsync(AuditStore.InstanceId(id), cts.Token);
        await azurite.StartAgainAsync();
        OrchestrationMetadata done = await h.Client.WaitForInstanceCompletionAsync(AuditStore.InstanceId(id), getInputsAndOutputs: true, cts.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Running, during?.RuntimeStatus);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ToString());
        AuditResult result = done.ReadOutputAs<AuditResult>()!;
        Assert.Equal((files.Length, 0), (result.Images, result.Failed));
        Dictionary<string, List<string>> markers = await MarkersAsync(h, id);
        Assert.Equal(files.Length, markers.Count);
        Assert.All(markers, m => Assert.Equal([BlobStore.ReportMarker], m.Value));
        Assert.Equal(0, await CheckpointBlobsAsync(h, id));
    }
}
