using System.Text.Json;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using Microsoft.DurableTask.Client;
using static AdvAudit.Functions.Tests.TestSupport.AuditCalls;

namespace AdvAudit.Functions.Tests.Audit;

/// <summary>
/// A crash of the storage service under the Azure Storage durable backend: mid-audit, the private Azurite that holds
/// the audit's blobs and the task hub's queues, tables and leases is killed with SIGKILL and started again over the
/// same data folder and ports. The audit completes with exactly one result per input, nothing lost or duplicated.
/// </summary>
/// <remarks>
/// Azurite keeps its metadata (blob and queue indexes, every table row) in memory and writes each store to its data
/// folder every 5 s (write to a temporary file, then rename, so a kill never leaves a torn file); a SIGKILL therefore
/// loses the writes of the last seconds that it had already acknowledged, each store to a different point in time (of
/// 60 blob, queue and table writes made over 3 s before a kill, 23, 24 and 25 survived): a queue message lost whose
/// history row survived, a report blob lost whose completion the orchestration recorded. Azure
/// Storage never loses an acknowledged write, and no durable backend recovers from storage that does, so the test
/// cuts the clients off first (a <see cref="TcpGate"/> per service resets every connection, as a network failure
/// does), waits until Azurite has saved what it acknowledged, and only then kills it: the restart comes from exactly
/// the acknowledged state, with messages in flight, leases held and activities mid-write, as a real crash leaves it.
/// </remarks>
public sealed class StorageKillTests
{
    /// <summary>Azurite's save interval (its stores' <c>autosaveInterval</c>) and a margin for the save itself.</summary>
    private static readonly TimeSpan SaveWait = TimeSpan.FromSeconds(5 + 2);

    private static readonly string FashionSamples = RepoPaths.FromRoot("samples/fashion-mnist")!;

    [PrivateAzuriteFact]
    public async Task Audit_AzuriteKilledAndRestartedMidAudit_OnTheAzureStorageBackend_CompletesWithOneResultPerInput()
    {
        await using AzuriteProcess azurite = await AzuriteProcess.StartAsync(queueAndTable: true);
        await using var blobs = new TcpGate(azurite.Port);
        await using var queues = new TcpGate(azurite.QueuePort);
        await using var tables = new TcpGate(azurite.TablePort);
        TcpGate[] gates = [blobs, queues, tables];
        await using PipelineHarness h = await PipelineHarness.StartAsync(
            "kill",
            s =>
            {
                TestServices.QuickFashionAudit(s);
                s[SettingNames.StorageConnection] = AzuriteProcess.ConnectionStringFor(blobs.Port, queues.Port, tables.Port);
                s[SettingNames.AuditMaxConcurrency] = "2";
                s[SettingNames.AttackSlicesPerExecution] = "2";
            },
            backend: DurableBackend.AzureStorage);
        string[] files = [.. Directory.GetFiles(FashionSamples, "*.png").Order(StringComparer.Ordinal).Take(8)];
        foreach (string file in files)
        {
            await h.Store.WriteAsync(h.Storage.UploadsContainer, "batch/" + Path.GetFileName(file), BinaryData.FromBytes(await File.ReadAllBytesAsync(file)), "image/png");
        }

        string id = await StartAsync(h, new { prefix = "batch/", options = new { eps = 0.1, maxQueries = 3000, minimize = true } });
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6));

        // Mid-audit: some images done, others being attacked.
        JsonElement status;
        do
        {
            await Task.Delay(50, cts.Token);
            status = await GetAsync(h, id);
        }
        while (status.GetProperty("progress").GetProperty("done").GetInt32() == 0 && status.GetProperty("runtimeStatus").GetString() is "Pending" or "Running");

        foreach (TcpGate gate in gates)
        {
            gate.Close();
        }

        await Task.Delay(SaveWait, cts.Token);
        await azurite.KillAsync();
        await azurite.StartAgainAsync();
        foreach (TcpGate gate in gates)
        {
            gate.Open();
        }

        OrchestrationMetadata done = await h.Client.WaitForInstanceCompletionAsync(AuditStore.InstanceId(id), getInputsAndOutputs: true, cts.Token);

        Assert.True(status.GetProperty("progress").GetProperty("done").GetInt32() < files.Length, $"the audit was not mid-way at the kill: {status}");
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{done.RuntimeStatus}: {done.FailureDetails}");
        AuditResult result = done.ReadOutputAs<AuditResult>()!;
        Assert.Equal((files.Length, 0), (result.Images, result.Failed));
        Dictionary<string, List<string>> markers = await MarkersAsync(h, id);
        Assert.Equal(files.Length, markers.Count);
        Assert.All(markers, m => Assert.Equal([BlobStore.ReportMarker], m.Value));
        AuditSummary summary = SchemaCheck.Summary(await ReadTextAsync(h, AuditStore.ResultsFolder(id) + "/summary.json"));
        Assert.Equal(files.Select(f => "batch/" + Path.GetFileName(f)).Order(StringComparer.Ordinal), summary.Images.Select(i => i.Input).Order(StringComparer.Ordinal));
        foreach (AuditImageRow row in summary.Images)
        {
            AttackReport report = SchemaCheck.Report(await ReadTextAsync(h, row.ResultFolder + "/report.json"));
            Assert.Equal((row.Input, row.Queries), (report.Input.Name, report.Outcome.Queries));
        }

        Assert.Equal(0, await CheckpointBlobsAsync(h, id));
    }
}
