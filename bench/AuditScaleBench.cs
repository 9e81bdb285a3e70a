using System.Diagnostics;
using System.Text.Json;
using AdvAudit.Functions;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Reporting;
using Azure.Storage.Blobs;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AttackBench;

/// <summary>
/// <c>audit-scale</c>: how a bulk audit's time and memory grow with its size. For each size, that many copies of a
/// tiny image (the bundled Fashion-MNIST sample) are uploaded under one prefix and audited in the real orchestration
/// (the app's services over Azurite, its orchestrators and activities in the in-memory durable backend), with a short
/// attack; the table gives the wall time, images per second and the peak growth of managed memory and of the working
/// set over the start, sampled every 100 ms. Each size uses containers of its own, deleted afterwards.
/// </summary>
internal static class AuditScaleBench
{
    private static readonly HashSet<string> Known = ["--images", "--max-queries", "--concurrency", "--chunk", "--connection"];
    private static readonly Uri ApiUrl = new("http://localhost:7071/api/audits");

    public static int Run(IReadOnlyList<string> args, TextWriter output) => RunAsync(args, output).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        int[] sizes = [.. (a.Last("--images") ?? "1000,10000").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, Markdown.Inv))];
        int maxQueries = a.Int("--max-queries", 20);
        int concurrency = a.Int("--concurrency", 32);
        int chunk = a.Int("--chunk", 500);
        string connection = a.Last("--connection") ?? "UseDevelopmentStorage=true";
        string root = BenchEnvironment.RepoRoot();
        byte[] png = File.ReadAllBytes(Path.Combine(root, "samples", "fashion-mnist", "0000-ankle-boot.png"));

        var md = new Markdown(output);
        md.Line($"# Bulk audit at scale: tiny images (Fashion-MNIST, 28x28), square up to {maxQueries} queries, eps 0.1, audit concurrency {concurrency}, {chunk} images per chunk ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        md.Line();
        md.Line(BenchEnvironment.MachineLine());
        md.Line();
        md.Header("images", "upload s", "audit s", "images/s", "fooled", "peak managed memory above the start", "managed memory kept after the audit", "peak working set above the start", "activity calls", "mean activity ms");
        foreach (int images in sizes)
        {
            md.Row(await MeasureAsync(images, png, root, maxQueries, concurrency, chunk, connection).ConfigureAwait(false));
        }

        md.Line();
        md.Line("audit s: from POST /api/audits (a prefix) to the audit orchestration's completion, summary written; each image one orchestration and, when its attack ends in the first slice, one activity. " +
                "Memory: the largest of GC.GetTotalMemory and of the process working set, sampled every 100 ms while the audit runs, less their value just before it (model loaded, images uploaded). " +
                "Kept after the audit: managed memory after a full collection once the audit has completed, less the same start: what the in-memory durable backend holds of the finished orchestrations (Azure Storage keeps them in its tables), since the app itself holds nothing of an audit that is over. " +
                "Azurite's metadata store scans all blobs of the account for many requests, so a run on an emulator that already holds many blobs is slower; start it fresh (--inMemoryPersistence) for comparable rows.");
        return 0;
    }

    private static async Task<string[]> MeasureAsync(int images, byte[] png, string root, int maxQueries, int concurrency, int chunk, string connection)
    {
        var settings = new Dictionary<string, string?>
        {
            [SettingNames.StorageConnection] = connection,
            [SettingNames.UploadsContainer] = Unique("scale-up"),
            [SettingNames.ResultsContainer] = Unique("scale-res"),
            [SettingNames.ModelsContainer] = Unique("scale-mod"),
            [SettingNames.AttackWorkContainer] = Unique("scale-work"),
            [SettingNames.ModelLocalPath] = Path.Combine(root, "models", "fashion-mnist-cnn", "model.json"),
            [SettingNames.ModelPreset] = string.Empty,
            [SettingNames.ModelProvider] = "cpu",
            [SettingNames.AttackSliceQueries] = "100",
            [SettingNames.AuditMaxConcurrency] = concurrency.ToString(Markdown.Inv),
            [SettingNames.AuditImagesPerExecution] = chunk.ToString(Markdown.Inv),
        };
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(kv => SettingNames.Key(kv.Key), kv => kv.Value)).Build();
        using var meter = new PipelineMeter(concurrency);
        var blobOptions = new BlobClientOptions();
        blobOptions.Retry.MaxRetries = 0;   // as the app's own client: its Polly pipelines retry
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(new BlobServiceClient(connection, blobOptions));
        services.AddAdvAudit(configuration);
        await using ServiceProvider app = services.BuildServiceProvider();
        BlobStore store = app.GetRequiredService<BlobStore>();
        AdvAudit.Functions.Settings.StorageOptions storage = app.GetRequiredService<Microsoft.Extensions.Options.IOptions<AdvAudit.Functions.Settings.StorageOptions>>().Value;
        string[] containers = [storage.UploadsContainer, storage.ResultsContainer, storage.AttackWorkContainer];
        using ILoggerFactory logs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        try
        {
            foreach (string container in containers)
            {
                await store.EnsureContainerAsync(container).ConfigureAwait(false);
            }

            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, images), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
                await store.WriteAsync(storage.UploadsContainer, $"many/{i:D6}.png", BinaryData.FromBytes(png), "image/png", ct).ConfigureAwait(false)).ConfigureAwait(false);
            double uploadSeconds = clock.Elapsed.TotalSeconds;

            await using SidecarDurableHost host = await meter.StartHostAsync(app, logs, concurrency).ConfigureAwait(false);
            _ = await app.GetRequiredService<AdvAudit.Functions.Serving.ModelProvider>().GetAsync().ConfigureAwait(false);   // loaded before the baseline

            GC.Collect();
            GC.WaitForPendingFinalizers();
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            long managed0 = GC.GetTotalMemory(forceFullCollection: true), working0 = process.WorkingSet64;
            long managedPeak = managed0, workingPeak = working0;
            clock.Restart();
            AuditApi api = app.GetRequiredService<AuditApi>();
            string body = JsonSerializer.Serialize(new { prefix = "many/", options = new { eps = 0.1, maxQueries, seed = 1, minimize = false } });
            ApiResponse started = await api.StartAsync(body, ApiUrl, host.Client).ConfigureAwait(false);
            if (started.Status != 202)
            {
                throw new InvalidOperationException($"the audit API answered {started.Status}: {started.Body}");
            }

            string id = JsonDocument.Parse(started.Body).RootElement.GetProperty("id").GetString()!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromHours(2));
            Task<OrchestrationMetadata> done = host.Client.WaitForInstanceCompletionAsync(AuditStore.InstanceId(id), getInputsAndOutputs: false, timeout.Token);
            while (!done.IsCompleted)
            {
                process.Refresh();
                managedPeak = Math.Max(managedPeak, GC.GetTotalMemory(forceFullCollection: false));
                workingPeak = Math.Max(workingPeak, process.WorkingSet64);
                await Task.WhenAny(done, Task.Delay(100, timeout.Token)).ConfigureAwait(false);
            }

            double auditSeconds = clock.Elapsed.TotalSeconds;
            OrchestrationMetadata metadata = await done.ConfigureAwait(false);
            long retained = GC.GetTotalMemory(forceFullCollection: true) - managed0;
            if (metadata.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
            {
                throw new InvalidOperationException($"audit {id} ended {metadata.RuntimeStatus}: {metadata.FailureDetails?.ErrorMessage}");
            }

            AuditSummary summary = AuditSummaryJson.Deserialize((await store.ReadAsync(storage.ResultsContainer, AuditStore.ResultsFolder(id) + "/summary.json").ConfigureAwait(false)).ToString());
            if (summary.Counts.Images != images || summary.Counts.Failed != 0)
            {
                throw new InvalidOperationException($"audit {id} summarized {summary.Counts.Images} images ({summary.Counts.Failed} failed) of {images}.");
            }

            long calls = meter.Activities.Sum(kv => (long)kv.Value.Calls);
            double activityMs = meter.Activities.Sum(kv => kv.Value.Time.TotalMilliseconds);
            return
            [
                images.ToString(Markdown.Inv), Markdown.F(uploadSeconds, "0.0"), Markdown.F(auditSeconds, "0.0"), Markdown.F(images / auditSeconds, "0.0"),
                summary.Counts.Fooled.ToString(Markdown.Inv),
                Markdown.F((managedPeak - managed0) / 1048576.0, "0") + " MiB", Markdown.F(retained / 1048576.0, "0") + " MiB", Markdown.F((workingPeak - working0) / 1048576.0, "0") + " MiB",
                calls.ToString(Markdown.Inv), Markdown.F(activityMs / Math.Max(1, calls), "0"),
            ];
        }
        finally
        {
            foreach (string container in containers)
            {
                await store.Service.GetBlobContainerClient(container).DeleteIfExistsAsync().ConfigureAwait(false);
            }
        }
    }

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..12];
}
