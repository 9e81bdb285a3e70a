using System.Text;
using System.Text.Json;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using static AdvAudit.Functions.Tests.TestSupport.AuditCalls;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace AdvAudit.Functions.Tests.Audit;

/// <summary>
/// Bulk audits end to end against Azurite: POST, the real audit orchestrator fanning out the real per-image
/// orchestrations in the in-process durable host (the first test also on the Azure Storage durable backend), GET while
/// it runs, and the summary checked against the per-image reports; then the same under injected storage faults.
/// </summary>
public sealed class AuditPipelineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(6);
    private static readonly string FashionModel = RepoPaths.FromRoot("models/fashion-mnist-cnn/model.json")!;
    private static readonly string FashionSamples = RepoPaths.FromRoot("samples/fashion-mnist")!;
    private static readonly string[] ClassLabels = File.ReadAllLines(RepoPaths.FromRoot("models/fashion-mnist-cnn/labels.txt")!).Where(l => l.Length > 0).ToArray();

    private static readonly Dictionary<string, int> ClassOfSample = new(StringComparer.Ordinal)
    {
        ["t-shirt-top"] = 0, ["trouser"] = 1, ["pullover"] = 2, ["dress"] = 3, ["coat"] = 4,
        ["sandal"] = 5, ["shirt"] = 6, ["sneaker"] = 7, ["bag"] = 8, ["ankle-boot"] = 9,
    };

    private static void Fashion(Dictionary<string, string?> s)
    {
        s[SettingNames.ModelLocalPath] = FashionModel;
        s[SettingNames.ModelPreset] = string.Empty;
        s[SettingNames.ModelProvider] = "cpu";
        s[SettingNames.AttackSliceQueries] = "100";
        s[SettingNames.AttackSlicesPerExecution] = "2";
        s[SettingNames.AuditMaxConcurrency] = "4";
        s[SettingNames.AuditImagesPerExecution] = "10";
    }

    private static int ClassOf(string sampleFile) => ClassOfSample[Path.GetFileNameWithoutExtension(sampleFile)[5..]];

    private static byte[] Flipped(byte[] png)
    {
        using Image<Rgba32> image = Image.Load<Rgba32>(png);
        image.Mutate(x => x.Flip(FlipMode.Horizontal));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    [AzuriteTheory]
    [InlineData(DurableBackend.InMemory)]
    [InlineData(DurableBackend.AzureStorage)]
    public async Task Audit_TwentyFiveInputs_SummaryMatchesThePerImageReports_AndGetShowsProgress(DurableBackend backend)
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("audit", Fashion, backend: backend);
        var labels = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (string file in Directory.GetFiles(FashionSamples, "*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal)!)
        {
            byte[] png = await File.ReadAllBytesAsync(Path.Combine(FashionSamples, file!));
            await h.Store.WriteAsync(h.Storage.UploadsContainer, "batch/" + file, BinaryData.FromBytes(png), "image/png");
            await h.Store.WriteAsync(h.Storage.UploadsContainer, "batch/flip/" + file, BinaryData.FromBytes(Flipped(png)), "image/png");
            labels["batch/" + file] = ClassLabels[ClassOf(file!)];   // a label, as text
            labels["batch/flip/" + file] = ClassOf(file!);            // an output index
        }

        await h.Store.WriteAsync(h.Storage.UploadsContainer, "batch/notes.txt", BinaryData.FromString("not an image"), "text/plain");
        await h.Store.WriteAsync(h.Storage.UploadsContainer, "elsewhere/0000.png", BinaryData.FromBytes(await File.ReadAllBytesAsync(Path.Combine(FashionSamples, "0000-ankle-boot.png"))), "image/png");

        string id = await StartAsync(h, new { prefix = "batch/", options = new { eps = 0.1, maxQueries = 300, seed = 1 }, labels });

        // GET while it runs: the progress moves and never claims more than there is.
        var seen = new List<(int Done, int Running, int Total)>();
        using var cts = new CancellationTokenSource(Timeout);
        for (JsonElement status = await GetAsync(h, id); status.GetProperty("runtimeStatus").GetString() is "Pending" or "Running"; status = await GetAsync(h, id))
        {
            JsonElement p = status.GetProperty("progress");
            seen.Add((p.GetProperty("done").GetInt32(), p.GetProperty("running").GetInt32(), p.GetProperty("total").GetInt32()));
            Assert.False(status.TryGetProperty("summary", out _));
            await Task.Delay(200, cts.Token);
        }

        OrchestrationMetadata done = await h.Client.WaitForInstanceCompletionAsync(AuditStore.InstanceId(id), getInputsAndOutputs: true, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Contains(seen, s => s.Total == 25 && s.Done < 25 && s.Running is > 0 and <= 4);
        Assert.All(seen, s => Assert.InRange(s.Done, 0, 25));
        JsonElement final = await GetAsync(h, id);
        Assert.Equal(25, final.GetProperty("progress").GetProperty("done").GetInt32());
        Assert.EndsWith("summary.json", final.GetProperty("summary").GetProperty("json").GetString(), StringComparison.Ordinal);

        // Recompute from the per-image folders.
        Dictionary<string, List<string>> markers = await MarkersAsync(h, id);
        Assert.Equal(25, markers.Count);
        Assert.All(markers.Values, files => Assert.Single(files));
        var reports = new Dictionary<string, AttackReport>(StringComparer.Ordinal);
        foreach ((string folder, List<string> files) in markers.Where(m => m.Value[0] == BlobStore.ReportMarker))
        {
            reports[folder] = SchemaCheck.Report(await ReadTextAsync(h, folder + "/report.json"));
        }

        Assert.Equal(24, reports.Count);
        string Input(AttackReport r) => r.Input.Name;
        bool Correct(AttackReport r) => r.Clean.Top5[0].Index == ClassOf(Path.GetFileName(Input(r)));
        List<AttackReport> fooled = [.. reports.Values.Where(r => r.Outcome.Status == OutcomeStatus.Fooled)];
        int correct = reports.Values.Count(Correct);

        AuditSummary summary = SchemaCheck.Summary(await ReadTextAsync(h, AuditStore.ResultsFolder(id) + "/summary.json"));
        Assert.Equal(AuditSummary.CurrentSchemaVersion, summary.SchemaVersion);
        Assert.Equal(new AuditCounts
        {
            Images = 25, Attacked = 24, Fooled = fooled.Count, NotFooled = 24 - fooled.Count, Skipped = 0, Failed = 1, Evaluated = 24, CleanCorrect = correct,
        }, summary.Counts);
        Assert.InRange(fooled.Count, 1, 24);
        Assert.True(correct >= 12, $"only {correct} of 24 clean images are correct");
        Assert.Equal(CleanResult.SourceGiven, summary.TrueClassSource);
        Assert.Equal((double)correct / 24, summary.CleanAccuracy.Rate!.Value, 12);
        Assert.Equal((double)fooled.Count / 24, summary.AttackSuccessOverAllImages.Rate!.Value, 12);
        Assert.Equal(fooled.Count(Correct), summary.AttackSuccessOverCorrectlyClassified.Count);
        Assert.Equal(correct, summary.AttackSuccessOverCorrectlyClassified.Of);
        Assert.Equal(fooled.Average(r => r.Outcome.Queries), summary.Queries.Mean!.Value, 9);
        Assert.Equal(AuditSummaryBuilder.Median(fooled.Select(r => (double)r.Outcome.Queries)), summary.Queries.Median);
        Assert.Equal(fooled.Count, summary.Queries.Histogram.Sum(b => b.Count));
        Assert.Equal(fooled.Average(r => r.Outcome.EpsStar!.Value), summary.EpsStar.Mean!.Value, 9);
        Assert.Equal((0.1, 300, "linf"), (summary.Attack.Eps, summary.Attack.MaxQueries, summary.Attack.Norm));
        Assert.All(reports.Values, r => Assert.Equal((0.1, 300, 1L), (r.Attack.Eps, r.Attack.MaxQueries, r.Attack.Seed)));
        Assert.Equal(correct, summary.RobustAccuracy[0].Robust);
        Assert.Equal(correct - fooled.Count(Correct), summary.RobustAccuracy[^1].Robust);
        Assert.Equal(25, summary.PerClass.Sum(c => c.Images));
        Assert.Equal(fooled.Count(r => Path.GetFileName(r.Input.Name).Contains("trouser", StringComparison.Ordinal)), summary.PerClass.Where(c => c.TrueClass is "Trouser" or "1").Sum(c => c.Fooled));
        AuditFailure failure = Assert.Single(summary.Failures);
        Assert.Equal("batch/notes.txt", failure.Input);
        Assert.False(string.IsNullOrWhiteSpace(failure.Message));
        Assert.DoesNotContain(summary.Images, i => i.Input.StartsWith("elsewhere/", StringComparison.Ordinal));

        string[] csv = (await ReadTextAsync(h, AuditStore.ResultsFolder(id) + "/summary.csv")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(26, csv.Length);
        Assert.Equal(summary.Images.Select(i => i.Input).Order(StringComparer.Ordinal), csv.Skip(1).Select(l => l.Split(',')[0]).Order(StringComparer.Ordinal));
        string html = await ReadTextAsync(h, AuditStore.ResultsFolder(id) + "/summary.html");
        Assert.Contains("<td class=\"n\">25</td><td class=\"n\">24</td><td class=\"n\">" + fooled.Count + "</td>", html, StringComparison.Ordinal);
        Assert.Contains("over correctly classified", html, StringComparison.Ordinal);
        // The images table links each report beside the summary's folder: resolved from summary.html, the link is the folder's report.html.
        var page = new Uri("https://account.blob/results/" + AuditStore.ResultsFolder(id) + "/summary.html");
        foreach (AuditImageRow row in summary.Images.Where(r => r.Thumbnail is not null))
        {
            string href = System.Text.RegularExpressions.Regex.Match(html, "<a href=\"([^\"]*)\"><img class=\"thumb\" src=\"[^\"]*\" alt=\"" + System.Net.WebUtility.HtmlEncode(row.Input) + "\"").Groups[1].Value;
            Assert.Equal("/results/" + row.ResultFolder + "/report.html", Uri.UnescapeDataString(new Uri(page, System.Net.WebUtility.HtmlDecode(href)).AbsolutePath));
            Assert.Contains(row.ResultFolder, markers.Keys);
        }
    }

    [AzuriteFact]
    public async Task Audit_StorageFaultsMidAudit_CompletesWithOneResultPerInput_NothingLostOrDuplicated()
    {
        var faults = new FaultInjectionPolicy(healthyRequests: 40, faultyRequests: 600, every: 4);
        await using PipelineHarness h = await PipelineHarness.StartAsync(
            "fault",
            s =>
            {
                Fashion(s);
                s[SettingNames.ResilienceMaxRetries] = "4";
                s[SettingNames.AuditImagesPerExecution] = "5";
            },
            services =>
            {
                var options = new BlobClientOptions();
                options.Retry.MaxRetries = 0;
                options.AddPolicy(faults, HttpPipelinePosition.PerRetry);
                services.Replace(ServiceDescriptor.Singleton(new BlobServiceClient(Azurite.ConnectionString, options)));
            });

        string[] files = [.. Directory.GetFiles(FashionSamples, "*.png").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        var names = new List<string>();
        foreach (string file in files[..10])
        {
            await h.Store.WriteAsync(h.Storage.UploadsContainer, "f/" + file, BinaryData.FromBytes(await File.ReadAllBytesAsync(Path.Combine(FashionSamples, file))), "image/png");
            names.Add("f/" + file);
        }

        names.Add("f/missing.png");
        int before = faults.Requests;
        string id = await StartAsync(h, new { blobs = names, options = new { eps = 0.1, maxQueries = 200 } });

        using var cts = new CancellationTokenSource(Timeout);
        OrchestrationMetadata done = await h.Client.WaitForInstanceCompletionAsync(AuditStore.InstanceId(id), getInputsAndOutputs: true, cts.Token);

        faults.Stop();
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.True(faults.Faults >= 10, $"only {faults.Faults} faults were injected in {faults.Requests - before} requests");
        Dictionary<string, List<string>> markers = await MarkersAsync(h, id);
        Assert.Equal(11, markers.Count);
        Assert.All(markers, m => Assert.True(m.Value.Count == 1, $"{m.Key} has {string.Join(", ", m.Value)}"));
        AuditSummary summary = SchemaCheck.Summary(await ReadTextAsync(h, AuditStore.ResultsFolder(id) + "/summary.json"));
        Assert.Equal(11, summary.Counts.Images);
        Assert.Equal(names.Order(StringComparer.Ordinal), summary.Images.Select(i => i.Input).Order(StringComparer.Ordinal));
        Assert.Equal(10, summary.Counts.Attacked);
        Assert.Equal(("f/missing.png", "NotFound"), (summary.Failures.Single().Input, summary.Failures.Single().Reason));
        foreach (AuditImageRow row in summary.Images.Where(i => i.Status != "failed"))
        {
            AttackReport report = SchemaCheck.Report(await ReadTextAsync(h, row.ResultFolder + "/report.json"));
            Assert.Equal((row.Input, row.Queries), (report.Input.Name, report.Outcome.Queries));
        }

        Assert.Equal(0, await h.Store.DeletePrefixAsync(h.Storage.AttackWorkContainer, "runs/aud-" + id));
    }
}
