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

/// <summary>
/// Bulk audits at scale on Azurite: a manifest of thousands of names (listed in chunks, joined with their labels,
/// summarized per chunk), and a prefix audit of many tiny images attacked end to end; one result per input and bounded
/// memory.
/// </summary>
/// <remarks>
/// The attacked audit runs 10,000 images (<c>ADVAUDIT_SCALE_IMAGES</c> sets another number) on an Azurite of its own,
/// in memory: Azurite's metadata store scans every blob of the account on most requests, so the 60,000 blobs of its
/// results would slow every other test on the shared one. Its attack ends in each image's first slice, so each image
/// takes one activity (<see cref="Orchestration.PrepareImage"/>) and about eight blob requests. The class runs alone,
/// after the others (<see cref="AuditScaleGroup"/>), so the process's managed memory is this audit's.
/// </remarks>
[Collection(AuditScaleGroup.Name)]
public sealed class AuditScaleTests(ITestOutputHelper output)
{
    /// <summary>The images of the attacked audit; <c>ADVAUDIT_SCALE_IMAGES</c> overrides it.</summary>
    private static readonly int Images = int.TryParse(Environment.GetEnvironmentVariable("ADVAUDIT_SCALE_IMAGES"), out int n) ? n : 10_000;

    [AzuriteFact]
    public async Task Audit_ManifestOfThousandsOfNames_ListedInChunks_LabelsJoined_OneResultPerInput()
    {
        int Names = int.TryParse(Environment.GetEnvironmentVariable("ADVAUDIT_SCALE_NAMES"), out int names) ? names : 2_000, Existing = 4;
        await using PipelineHarness h = await PipelineHarness.StartAsync("manifest", s =>
        {
            TestServices.QuickFashionAudit(s);
            s[SettingNames.AuditImagesPerExecution] = "500";
        });
        byte[] png = File.ReadAllBytes(RepoPaths.FromRoot("samples/fashion-mnist/0000-ankle-boot.png")!);
        // A few names exist; the others are missing, so the listing checks every name and the summary merges one partial per chunk of 500.
        string[] all = [.. Enumerable.Range(0, Names).Select(i => $"m/{i:D5}.png")];
        await Parallel.ForEachAsync(all.Where((_, i) => i % (Names / Existing) == 0), async (name, ct) =>
            await h.Store.WriteAsync(h.Storage.UploadsContainer, name, BinaryData.FromBytes(png), "image/png", ct));
        // Labels as text and as output indexes, alternating among the images.
        var labels = all.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i % 1000 == 0 ? (object)"Ankle boot" : 9, StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        string id = await StartAsync(h, new { blobs = all, labels, options = new { eps = 0.1, maxQueries = 20, seed = 1, minimize = false } });
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        Task<OrchestrationMetadata> running = h.Client.WaitForInstanceCompletionAsync(AuditStore.InstanceId(id), getInputsAndOutputs: true, cts.Token);
        await Task.WhenAny(running, Task.Delay(TimeSpan.FromMinutes(4.5)));
        output.WriteLine(ActivityTimes.Report());
        OrchestrationMetadata done = await running;
        output.WriteLine($"{Names} names ({Existing} images): audited in {clock.Elapsed.TotalSeconds:0.0} s");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        AuditSummary summary = SchemaCheck.Summary((await h.Store.ReadAsync(h.Storage.ResultsContainer, AuditStore.ResultsFolder(id) + "/summary.json")).ToString());
        Assert.Equal((Names, Existing, Names - Existing), (summary.Counts.Images, summary.Counts.Evaluated, summary.Counts.Failed));
        Assert.Equal(all, summary.Images.Select(i => i.Input));   // the request's order, across 20 chunks
        Assert.All(summary.Failures, f => Assert.Equal("NotFound", f.Reason));
        Assert.Equal(Existing, summary.CleanAccuracy.Of);
        Assert.All(summary.Images.Where(i => i.Status != "failed"), i => Assert.Equal(labels[i.Input].ToString(), i.TrueClass));
        Dictionary<string, List<string>> markers = await MarkersAsync(h, id);
        Assert.Equal(Names, markers.Count);
        Assert.All(markers.Values, files => Assert.Single(files));
        // request.json keeps the options only: no activity reads the 10,000 names and labels in one piece.
        BinaryData request = await h.Store.ReadAsync(h.Storage.AttackWorkContainer, AuditStore.WorkFolder(id) + "request.json");
        Assert.True(request.ToMemory().Length < 20_000, $"request.json is {request.ToMemory().Length} bytes");
    }

    [PrivateAzuriteFact]
    public async Task Audit_TenThousandTinyImagesAttacked_OneResultPerInput_BoundedMemory()
    {
        await using AzuriteProcess azurite = await AzuriteProcess.StartAsync(inMemory: true);
        await using PipelineHarness h = await PipelineHarness.StartAsync("scale", s =>
        {
            TestServices.QuickFashionAudit(s);
            s[SettingNames.StorageConnection] = azurite.ConnectionString;
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
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(30));

        string id = await StartAsync(h, new { prefix = "many/", options = new { eps = 0.1, maxQueries = 20, seed = 1, minimize = false } });
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
        // Generous: the model and one chunk of reports, and what grows with the audit, the in-memory durable backend's
        // finished orchestrations and one compact summary row per input (bench audit-scale: a peak of 160 MiB above the
        // start at 1,000 images, 321 MiB at 10,000).
        Assert.True(peak - before < 512L * 1024 * 1024, $"peak managed memory grew by {(peak - before) / 1048576} MiB");
    }
}

/// <summary>The scale tests, run apart from every other test of the assembly (xUnit runs such a collection after the parallel ones).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AuditScaleGroup
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Audit scale";
}
