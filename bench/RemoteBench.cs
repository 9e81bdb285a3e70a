using System.Diagnostics;
using AttackCore.Attacks.Square;
using AttackCore.Engine;
using AttackCore.Models;
using AttackCore.Models.Remote;
using AttackCore.Reporting;
using AttackCore.Tests.Models.Remote;

namespace AttackBench;

/// <summary>
/// <c>remote</c>: the same Square Attack run on the local ONNX file and through the tests' HTTP service
/// (<see cref="ClassifierServer"/>: Kestrel on 127.0.0.1 serving that file, one image per model call), so the
/// HTTP cost per query is known: PNG encoding, the request, the server's decoding, JSON both ways. One row per model
/// and request shape; the attacks are checked to spend the same queries and write the same images.
/// </summary>
internal static class RemoteBench
{
    private static readonly HashSet<string> Known = ["--max-queries", "--seed", "--rounds", "--concurrency"];

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        int maxQueries = a.Int("--max-queries", 300);
        ulong seed = (ulong)a.Int("--seed", 0);
        int rounds = a.Int("--rounds", 3);
        List<int> concurrency = BenchArgs.IntList(a.Last("--concurrency") ?? "1,8");
        string root = BenchEnvironment.RepoRoot();

        var md = new Markdown(output);
        md.Line($"### Remote model: queries per second through a local HTTP service vs the local file ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        md.Line();
        md.Line($"{BenchEnvironment.MachineLine()}. Square Attack, L-inf eps 1/255 (few images fooled, so nearly every image spends its budget), max {maxQueries} queries, seed {seed}; best of {rounds} rounds. The service runs the same file on the CPU, one image per call, in the same process.");
        md.Line();
        md.Header("model", "input", "images", "target", "queries", "wall s", "queries/s", "ms/query", "HTTP overhead ms/query", "requests", "cache hits", "same images and queries");

        var models = new List<(ModelSpec Spec, List<PreparedImage> Images)>();
        ModelSpec fashion = ModelSpecLoader.Load(Path.Combine(root, "models", "fashion-mnist-cnn", "model.json"));
        models.Add((fashion, BenchEnvironment.LoadPhotos(Path.Combine(root, "samples", "fashion-mnist"), fashion)));
        if (File.Exists(BenchEnvironment.DefaultModelPath()))
        {
            ModelSpec mobilenet = BenchEnvironment.ResolveSpec(BenchEnvironment.DefaultModelPath(), "mobilenet-v2");
            models.Add((mobilenet, BenchEnvironment.LoadPhotos(BenchEnvironment.DefaultImagesDir(), mobilenet).Take(4).ToList()));
        }

        var request = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 1.0 / 255, MaxQueries = maxQueries, Seed = seed }, Minimize = false };
        foreach ((ModelSpec spec, List<PreparedImage> images) in models)
        {
            using OnnxClassifier local = BenchEnvironment.Load(spec, ExecutionProviderKind.Cpu, images.Count);
            (double localSeconds, IReadOnlyList<ImageResult> localResults) = Best(rounds, () => new AttackRunner(local, ModelDescription.From(local)).Run(images, request));
            long queries = localResults.Sum(r => r.Report.Outcome.Queries);
            string input = $"{spec.InputSize}x{spec.InputSize}";
            md.Row(spec.Name, input, $"{images.Count}", "local file", $"{queries}", Markdown.F(localSeconds, "0.00"), Markdown.F(queries / localSeconds, "0"), Markdown.F(1000 * localSeconds / queries, "0.000"), "—", "—", "—", "—");

            ClassifierServer server = ClassifierServer.StartAsync(local).GetAwaiter().GetResult();
            try
            {
                using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
                var shapes = concurrency.Select(c => ($"PNG body, {c} in flight", new RemoteEndpoint { Url = server.Url, MaxConcurrency = c }))
                    .Append(("JSON base64, 16 per request, 2 in flight", new RemoteEndpoint { Url = server.Url, Body = RemoteBody.JsonBase64, BatchSize = 16, MaxConcurrency = 2 }));
                foreach ((string label, RemoteEndpoint endpoint) in shapes)
                {
                    RemoteQueryCounts counts = default;
                    (double seconds, IReadOnlyList<ImageResult> results) = Best(rounds, () =>
                    {
                        // A fresh classifier per round: its cache would otherwise answer the whole repeat.
                        using var remote = new RemoteClassifier(spec with { OnnxPath = null, Sha256 = null, DownloadUrl = null, Remote = endpoint }, http);
                        IReadOnlyList<ImageResult> run = new AttackRunner(remote, ModelDescription.From(remote)).Run(images, request);
                        counts = remote.Counts;
                        return run;
                    });
                    bool same = results.Zip(localResults).All(p => p.First.Report.Outcome.Queries == p.Second.Report.Outcome.Queries && (p.First.AdversarialPng ?? []).AsSpan().SequenceEqual(p.Second.AdversarialPng ?? []));
                    md.Row(spec.Name, input, $"{images.Count}", label, $"{queries}", Markdown.F(seconds, "0.00"), Markdown.F(queries / seconds, "0"), Markdown.F(1000 * seconds / queries, "0.000"),
                        Markdown.F(1000 * (seconds - localSeconds) / queries, "0.000"), $"{counts.Requests}", $"{counts.CacheHits}", same ? "yes" : "NO");
                }
            }
            finally
            {
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }

        return 0;
    }

    private static (double Seconds, IReadOnlyList<ImageResult> Results) Best(int rounds, Func<IReadOnlyList<ImageResult>> run)
    {
        run(); // warm-up: JIT, ONNX Runtime's first run, connections
        double best = double.MaxValue;
        IReadOnlyList<ImageResult> results = [];
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            results = run();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return (best, results);
    }
}
