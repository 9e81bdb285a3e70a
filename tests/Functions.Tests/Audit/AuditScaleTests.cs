using System.Diagnostics;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using Microsoft.DurableTask.Client;
using Xunit.Abstractions;
using static AdvAudit.Functions.Tests.TestSupport.AuditCalls;

namespace AdvAudit.Functions.Tests.Audit;

/// <summary>A bulk audit of many tiny images on Azurite: one result per input, and managed memory bounded well below what holding every report would take.</summary>
public sealed class AuditScaleTests(ITestOutputHelper output)
{
    /// <summary>The images of the scale test; <c>ADVAUDIT_SCALE_IMAGES</c> overrides it.</summary>
    private static readonly int Images = int.TryParse(Environment.GetEnvironmentVariable("ADVAUDIT_SCALE_IMAGES"), out int n) ? n : 10_000;

    [AzuriteFact]
    public async Task Audit_TenThousandTinyImages_OneResultPerInput_BoundedMemory()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("scale", s =>
        {
            TestServices.QuickFashionAudit(s);
            s[SettingNames.AuditMaxConcurrency] = "32";
            s[SettingNames.AuditImagesPerExecution] = "500";
        });
        byte[] png = File.ReadAllBytes(RepoPaths.FromRoot("samples/fashion-mnist/0000-ankle-boot.png")!);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, Images), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
            await h.Store.WriteAsync(h.Storage.UploadsContainer, $"many/{i:D6}.png", BinaryData.FromBytes(png), "image/png", ct));
        TimeSpan uploaded = clock.Elapsed;
        GC.Collect();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        long peak = before;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(10));

        string id = await StartAsync(h, new { prefix = "many/", options = new { eps = 0.1, maxQueries = 20, seed = 1 } });
        Task<OrchestrationMetadata> done = h.Client.WaitForInstanceCompletionAsync(AuditStore.InstanceId(id), getInputsAndOutputs: true, cts.Token);
        while (!done.IsCompleted)
        {
            peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
            await Task.WhenAny(done, Task.Delay(100, cts.Token));
        }

        TimeSpan audited = clock.Elapsed - uploaded;
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await done).RuntimeStatus);
        AuditSummary summary = AuditSummaryJson.Deserialize((await h.Store.ReadAsync(h.Storage.ResultsContainer, AuditStore.ResultsFolder(id) + "/summary.json")).ToString());
        output.WriteLine($"{Images} images: uploaded in {uploaded.TotalSeconds:0.0} s, audited in {audited.TotalSeconds:0.0} s, peak managed memory {(peak - before) / 1048576.0:0} MiB above the start");
        Assert.Equal(Images, summary.Counts.Images);
        Assert.Equal(0, summary.Counts.Failed);
        Assert.Equal(Images, summary.Images.Select(i => i.ResultFolder).Distinct(StringComparer.Ordinal).Count());
        Dictionary<string, List<string>> markers = await MarkersAsync(h, id);
        Assert.Equal(Images, markers.Count);
        Assert.All(markers.Values, files => Assert.Single(files));
        // Holding every report (tens of KiB each with its trace) would take far more; one chunk of them is bounded.
        Assert.True(peak - before < 1024L * 1024 * 1024, $"peak managed memory grew by {(peak - before) / 1048576} MiB");
    }
}
