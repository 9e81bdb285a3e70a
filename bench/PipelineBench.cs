using System.Diagnostics;
using System.Text.Json;
using AdvAudit.Functions;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Serving;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Engine;
using AttackCore.Models;
using AttackCore.Reporting;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AttackBench;

/// <summary>
/// <c>pipeline</c>: the pipeline's own cost. The same images and attack settings go once through the CLI's engine
/// (<see cref="AttackRunner.Run"/> on all images in one batch, as <c>advaudit attack --batch N</c> runs them) and once
/// through a bulk audit in the real orchestration: the app's services over Azurite, its orchestrators and activities in
/// the in-memory durable backend of the tests, at most <c>--activities</c> activities at once (host.json's
/// <c>maxConcurrentActivityFunctions</c>), one shared model behind the batching front. Prints images/s and queries/s of
/// both and where the pipeline's activity slots spent their time.
/// </summary>
internal static class PipelineBench
{
    private static readonly HashSet<string> Known = ["--models", "--images", "--max-queries", "--slice-queries", "--activities", "--eps", "--seed", "--connection", "--rounds"];
    private static readonly Uri ApiUrl = new("http://localhost:7071/api/audits");

    public static int Run(IReadOnlyList<string> args, TextWriter output) => RunAsync(args, output).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        // The test host's gRPC sidecar logs every request at Information to stdout, which holds the tables.
        Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
        int images = a.Int("--images", 8);
        int rounds = a.Int("--rounds", 2);
        int activities = a.Int("--activities", 8);
        int maxQueries = a.Int("--max-queries", 300);
        int sliceQueries = a.Int("--slice-queries", 500);
        string? eps = a.Last("--eps");
        string seed = a.Last("--seed") ?? "0";
        string connection = a.Last("--connection") ?? "UseDevelopmentStorage=true";
        string[] models = (a.Last("--models") ?? "fashion,mobilenet-v2").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

        var md = new Markdown(output);
        md.Line($"# Pipeline vs the CLI's engine: {images} images, square up to {maxQueries} queries, eps {eps ?? "default"}, seed {seed}, slices of {sliceQueries}, {activities} activities and audit concurrency {activities}, CPU, best of {rounds} alternating rounds ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        md.Line();
        md.Line(BenchEnvironment.MachineLine());
        md.Line();
        md.Header("model", "images", "queries (CLI / pipeline)", "CLI s", "CLI queries/s", "pipeline s", "pipeline images/s", "pipeline queries/s", "pipeline / CLI (queries/s)", "slots: storage", "slots: other activity work", "slots: idle", "durable time between an image's activities", "storage requests", "images per model call (CLI / pipeline)");
        var activityRows = new List<string[]>();
        foreach (string model in models)
        {
            (string modelPath, string preset, string imageDir) = model switch
            {
                "fashion" => (Path.Combine(BenchEnvironment.RepoRoot(), "models", "fashion-mnist-cnn", "model.json"), string.Empty, Path.Combine(BenchEnvironment.RepoRoot(), "samples", "fashion-mnist")),
                "mobilenet-v2" => (BenchEnvironment.DefaultModelPath(), "mobilenet-v2", BenchEnvironment.DefaultImagesDir()),
                _ => throw new ArgumentException($"--models: unknown model '{model}'; known: fashion, mobilenet-v2"),
            };
            List<(string Name, byte[] Bytes)> files = [.. Directory.EnumerateFiles(imageDir, "*.png").Order(StringComparer.Ordinal).Take(images).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f)))];
            if (files.Count < images)
            {
                throw new InvalidOperationException($"{imageDir} has {files.Count} PNG images; --images asks for {images}.");
            }

            var settings = new Dictionary<string, string?>
            {
                [SettingNames.StorageConnection] = connection,
                [SettingNames.UploadsContainer] = Unique("bench-up"),
                [SettingNames.ResultsContainer] = Unique("bench-res"),
                [SettingNames.ModelsContainer] = Unique("bench-mod"),
                [SettingNames.AttackWorkContainer] = Unique("bench-work"),
                [SettingNames.ModelLocalPath] = modelPath,
                [SettingNames.ModelPreset] = preset,
                [SettingNames.ModelProvider] = "cpu",
                [SettingNames.AttackMaxQueries] = maxQueries.ToString(Markdown.Inv),
                [SettingNames.AttackSliceQueries] = sliceQueries.ToString(Markdown.Inv),
                [SettingNames.AttackSeed] = seed,
                [SettingNames.AttackEps] = eps,
                [SettingNames.AuditMaxConcurrency] = activities.ToString(Markdown.Inv),
                [SettingNames.MaxConcurrentActivities] = activities.ToString(Markdown.Inv),
            };
            (string[] row, IEnumerable<string[]> perActivity) = await MeasureAsync(model, settings, files, activities, rounds).ConfigureAwait(false);
            md.Row(row);
            activityRows.AddRange(perActivity);
        }

        md.Line();
        md.Header("model", "activity", "calls", "mean ms", "share of activity time");
        activityRows.ForEach(md.Row);
        md.Line();
        md.Line("CLI: AttackRunner.Run over all images in one batch (decode, attack, minimization, 8-bit verification, reports; no files written), model loaded before timing. " +
                "Pipeline: from POST /api/audits (a manifest of the uploaded names) to the audit orchestration's completion: listing, every image's activities (PrepareImage, which runs the first slice and writes the result folder when the attack ends in it; AttackSlice and FinalizeImage otherwise), and the summary; model loaded and the path warmed by a one-image audit before timing. " +
                "slots: the pipeline's activity slots (activities x wall), split into time in blob requests, the rest of activity time (engine, decode, PNG, serialization), and slots no activity held (durable scheduling and replay, and the tail when fewer images than slots remain). " +
                "images per model call: mean images in one call of the ONNX model (the CLI's engine; the pipeline's batching front, all activities together). durable time between an image's activities: per image orchestration, from its first activity's request for a slot to its last activity's end, the share no activity of it ran. The best of the rounds of each; never asserted.");
        return 0;
    }

    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..12];

    private static async Task<(string[] Row, IEnumerable<string[]> Activities)> MeasureAsync(string model, Dictionary<string, string?> settings, List<(string Name, byte[] Bytes)> files, int activities, int rounds)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(kv => SettingNames.Key(kv.Key), kv => kv.Value)).Build();
        using var meter = new PipelineMeter(activities);
        var blobOptions = new BlobClientOptions();
        blobOptions.Retry.MaxRetries = 0;   // as the app's own client: its Polly pipelines retry
        blobOptions.AddPolicy(new StorageTimingPolicy(meter), HttpPipelinePosition.PerCall);
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(new BlobServiceClient(settings[SettingNames.StorageConnection], blobOptions));
        services.AddAdvAudit(configuration);
        await using ServiceProvider app = services.BuildServiceProvider();
        _ = app.GetRequiredService<IOptions<AuditOptions>>().Value;   // the start-up checks, concurrency included
        BlobStore store = app.GetRequiredService<BlobStore>();
        StorageOptions storage = app.GetRequiredService<IOptions<StorageOptions>>().Value;
        string[] containers = [storage.UploadsContainer, storage.ResultsContainer, storage.AttackWorkContainer];
        try
        {
            foreach (string container in containers)
            {
                await store.EnsureContainerAsync(container).ConfigureAwait(false);
            }

            foreach ((string name, byte[] bytes) in files)
            {
                await store.WriteAsync(storage.UploadsContainer, name, BinaryData.FromBytes(bytes), "image/png").ConfigureAwait(false);
            }

            ServedModel served = await app.GetRequiredService<ModelProvider>().GetAsync().ConfigureAwait(false);
            AttackRequest request = app.GetRequiredService<IOptions<AttackDefaults>>().Value.ToRequest();

            // The CLI's engine on its own session of the same model, as `advaudit attack` loads it.
            using var onnx = new OnnxClassifier(served.Spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu, MaxBatch = Math.Max(32, files.Count) });
            var cli = new CountedClassifier(onnx);
            var runner = new AttackRunner(cli, ModelDescription.From(onnx));
            _ = runner.Run([PreparedImage.Load(files[0].Name, files[0].Bytes, served.Spec)], request);   // warm-up
            using ILoggerFactory logs = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Warning));
            await using SidecarDurableHost host = await meter.StartHostAsync(app, logs, activities).ConfigureAwait(false);
            AuditApi api = app.GetRequiredService<AuditApi>();
            await AuditAsync(api, host.Client, new { blobs = new[] { files[0].Name }, options = new { maxQueries = 20 } }).ConfigureAwait(false);   // warm-up

            // Rounds alternate the two, so a change in the machine's other load hits both; the best round of each counts.
            double cliSeconds = double.MaxValue, pipelineSeconds = double.MaxValue, pipelineRate = 0;
            long cliQueries = 0;
            double cliPerCall = 0;
            string[] row = [];
            IEnumerable<string[]> perActivity = [];
            for (int round = 0; round < rounds; round++)
            {
                (long cliCalls0, long cliImages0) = (cli.Calls, cli.Images);
                var watch = Stopwatch.StartNew();
                IReadOnlyList<ImageResult> cliResults = runner.Run([.. files.Select(f => PreparedImage.Load(f.Name, f.Bytes, served.Spec))], request);
                cliSeconds = Math.Min(cliSeconds, watch.Elapsed.TotalSeconds);
                cliQueries = cliResults.Sum(r => (long)r.Report.Outcome.Queries);
                cliPerCall = (double)(cli.Images - cliImages0) / Math.Max(1, cli.Calls - cliCalls0);

                meter.Reset();
                var batching = (BatchingClassifier)served.Classifier;
                (long calls0, long images0) = (batching.InnerCalls, batching.InnerImages);
                watch.Restart();
                string auditId = await AuditAsync(api, host.Client, new { blobs = files.Select(f => f.Name).ToArray() }).ConfigureAwait(false);
                double seconds = watch.Elapsed.TotalSeconds;
                long pipelineQueries = await QueriesAsync(store, storage.ResultsContainer, auditId, files.Count).ConfigureAwait(false);
                if (seconds >= pipelineSeconds)
                {
                    continue;
                }

                pipelineSeconds = seconds;
                double slotSeconds = activities * seconds;
                double busy = meter.ActivityTime.TotalSeconds, inStorage = meter.Storage.TotalSeconds;
                string auditInstance = AuditStore.InstanceId(auditId);
                (TimeSpan span, TimeSpan between) = meter.InstanceGaps(id => id != auditInstance);
                row =
                [
                    model, files.Count.ToString(Markdown.Inv), $"{cliQueries} / {pipelineQueries}",
                    string.Empty, string.Empty,   // the CLI's best is known after the last round
                    Markdown.F(seconds, "0.0"), Markdown.F(files.Count / seconds, "0.00"), Markdown.F(pipelineQueries / seconds, "0"),
                    string.Empty,
                    Markdown.F(100 * inStorage / slotSeconds, "0.0") + " %",
                    Markdown.F(100 * (busy - inStorage) / slotSeconds, "0.0") + " %",
                    Markdown.F(100 * (1 - (busy / slotSeconds)), "0.0") + " %",
                    Markdown.F(100 * between.TotalSeconds / Math.Max(1e-9, span.TotalSeconds), "0.0") + " %",
                    meter.StorageRequests.ToString(Markdown.Inv),
                    string.Empty,
                    Markdown.F((double)(batching.InnerImages - images0) / Math.Max(1, batching.InnerCalls - calls0), "0.0"),
                ];
                pipelineRate = pipelineQueries / seconds;
                perActivity = [.. meter.Activities.OrderByDescending(kv => kv.Value.Time).Select(kv => new[]
                {
                    model, kv.Key, kv.Value.Calls.ToString(Markdown.Inv), Markdown.F(kv.Value.Time.TotalMilliseconds / kv.Value.Calls, "0"), Markdown.F(100 * kv.Value.Time.TotalSeconds / busy, "0.0") + " %",
                })];
            }

            double cliRate = cliQueries / cliSeconds;
            row[3] = Markdown.F(cliSeconds, "0.0");
            row[4] = Markdown.F(cliRate, "0");
            row[8] = Markdown.F(100 * pipelineRate / cliRate, "0") + " %";
            row[14] = $"{Markdown.F(cliPerCall, "0.0")} / {row[15]}";
            row = row[..15];
            return (row, [.. perActivity]);
        }
        finally
        {
            foreach (string container in containers)
            {
                await store.Service.GetBlobContainerClient(container).DeleteIfExistsAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Starts an audit through the app's API handler and waits for its orchestration to complete.</summary>
    private static async Task<string> AuditAsync(AuditApi api, DurableTaskClient client, object body)
    {
        ApiResponse started = await api.StartAsync(JsonSerializer.Serialize(body), ApiUrl, client).ConfigureAwait(false);
        if (started.Status != 202)
        {
            throw new InvalidOperationException($"the audit API answered {started.Status}: {started.Body}");
        }

        string id = JsonDocument.Parse(started.Body).RootElement.GetProperty("id").GetString()!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        OrchestrationMetadata done = await client.WaitForInstanceCompletionAsync(AuditStore.InstanceId(id), getInputsAndOutputs: false, timeout.Token).ConfigureAwait(false);
        if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
        {
            throw new InvalidOperationException($"audit {id} ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        }

        return id;
    }

    /// <summary>Sums the queries of the audit's per-image reports, checking there is one per image.</summary>
    private static async Task<long> QueriesAsync(BlobStore store, string resultsContainer, string auditId, int expected)
    {
        long queries = 0;
        int reports = 0;
        BlobContainerClient results = store.Service.GetBlobContainerClient(resultsContainer);
        await foreach (BlobItem item in results.GetBlobsAsync(new GetBlobsOptions { Prefix = AuditStore.ResultsFolder(auditId) + "/images/" }).ConfigureAwait(false))
        {
            if (item.Name.EndsWith("/" + BlobStore.ReportMarker, StringComparison.Ordinal))
            {
                BinaryData json = await store.ReadAsync(resultsContainer, item.Name).ConfigureAwait(false);
                queries += ReportJson.Deserialize(json.ToString()).Outcome.Queries;
                reports++;
            }
        }

        return reports == expected ? queries : throw new InvalidOperationException($"audit {auditId} wrote {reports} reports for {expected} images.");
    }
}
