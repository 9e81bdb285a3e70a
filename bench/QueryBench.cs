using System.Diagnostics;
using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackBench;

/// <summary>
/// <c>queries</c>: query efficiency of Square Attack on the shared photos (all in one batch per run),
/// untargeted against the clean top-1, beside the public reference code's numbers (REFERENCE.md).
/// </summary>
internal static class QueryBench
{
    private static readonly HashSet<string> Known = ["--seeds", "--configs", "--quantization", "--max-queries", "--model", "--preset", "--images", "--provider"];

    private static readonly AttackConfig[] AllConfigs =
    [
        new("linf-0.05", NormKind.LInf, 0.05, 0.05, "14/14", "14/14", 37, 11, "seeds 0-4: means 26-45"),
        new("linf-4/255", NormKind.LInf, 4.0 / 255, 0.05, "14/14", "14/14", 372, 165, string.Empty),
        new("linf-2/255", NormKind.LInf, 2.0 / 255, 0.05, "14/14", "14/14", 1119, 372, string.Empty),
        new("l2-5", NormKind.L2, 5.0, 0.1, "14/14", "11/14", 308, 140, "3 successes lost when rounded to 8 bits"),
    ];

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        List<int> seeds = BenchArgs.IntList(a.Last("--seeds") ?? "0");
        string configText = a.Last("--configs") ?? "all";
        List<AttackConfig> configs = configText == "all"
            ? [.. AllConfigs]
            : configText.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(n => AllConfigs.FirstOrDefault(c => c.Name == n) ?? throw new ArgumentException($"unknown config '{n}'; known: {string.Join(", ", AllConfigs.Select(c => c.Name))}"))
                .ToList();
        List<QuantizationMode> modes = (a.Last("--quantization") ?? "on-grid") switch
        {
            "on-grid" => [QuantizationMode.OnGrid],
            "after-success" => [QuantizationMode.AfterSuccess],
            "both" => [QuantizationMode.OnGrid, QuantizationMode.AfterSuccess],
            string s => throw new ArgumentException($"--quantization must be on-grid, after-success or both; got '{s}'"),
        };
        int maxQueries = a.Int("--max-queries", 10_000);
        ModelSpec spec = BenchEnvironment.SpecFromArgs(a);
        string imagesDir = a.Last("--images") ?? BenchEnvironment.DefaultImagesDir();

        using OnnxClassifier classifier = BenchEnvironment.Load(spec, BenchEnvironment.ParseProvider(a.Last("--provider")), 32);
        List<PreparedImage> photos = BenchEnvironment.LoadPhotos(imagesDir, classifier.Spec);
        List<float[]> cleans = photos.Select(p => p.Clean).ToList();
        float[] cleanLogits = Classify(classifier, cleans);
        var goals = Enumerable.Range(0, photos.Count)
            .Select(i => new AttackGoal(LogitMath.ArgMax(cleanLogits.AsSpan(i * classifier.NumClasses, classifier.NumClasses))))
            .ToList();

        var md = new Markdown(output);
        md.Line($"# Query efficiency: Square Attack, untargeted, {spec.Name} ({classifier.ProviderName}), {photos.Count} photos in one batch, max {maxQueries} queries");
        md.Line();
        md.Line($"Photos ({imagesDir}): " + string.Join(", ", photos.Select((p, i) => $"{p.Input.Name} → {classifier.Labels[goals[i].TrueClass]}")));
        md.Line();
        md.Line("## Runs");
        md.Line();
        md.Header("config", "quantization", "seed", "success", "success after 8-bit PNG", "continuous success", "mean q", "median q", "cont. mean q", "cont. median q", "wall s");

        var runs = new List<RunResult>();
        foreach (int seed in seeds)
        {
            foreach (AttackConfig config in configs)
            {
                foreach (QuantizationMode mode in modes)
                {
                    RunResult r = RunOne(classifier, cleans, goals, config, mode, seed, maxQueries);
                    runs.Add(r);
                    bool after = mode == QuantizationMode.AfterSuccess;
                    md.Row(
                        config.Name,
                        ModeName(mode),
                        seed.ToString(Markdown.Inv),
                        $"{r.Succeeded}/{r.Count}",
                        $"{r.RoundedSucceeded}/{r.Count}",
                        after ? $"{r.ContinuousSucceeded}/{r.Count}" : "—",
                        Stat(r.Queries, Mean),
                        Stat(r.Queries, Median),
                        after ? Stat(r.ContinuousQueries, Mean) : "—",
                        after ? Stat(r.ContinuousQueries, Median) : "—",
                        Markdown.F(r.WallSeconds, "0.0"));
                }
            }
        }

        md.Line();
        md.Line("## Summary per config (over seeds), with the reference");
        md.Line();
        md.Line("Mean/median queries are over successful images; over seeds, the mean of the per-seed values with their range. " +
            "\"continuous\" is the first query at which a not-yet-rounded candidate fooled the model (after-success mode only), the quantity the reference counts.");
        md.Line();
        md.Header("config", "quantization", "seeds", "success", "after 8-bit PNG", "continuous success", "mean q (range)", "median q (range)", "cont. mean q (range)", "cont. median q (range)", "wall s (total)");
        foreach (AttackConfig config in configs)
        {
            md.Row($"**{config.Name}** reference (seed 0)", "continuous, rounded after", "0", config.RefSuccess, config.RefRounded, config.RefSuccess, config.RefMean.ToString(Markdown.Inv), config.RefMedian.ToString(Markdown.Inv), "—", "—", config.RefNote);
            foreach (QuantizationMode mode in modes)
            {
                List<RunResult> rs = runs.Where(r => r.Config == config && r.Mode == mode).ToList();
                if (rs.Count == 0)
                {
                    continue;
                }

                bool after = mode == QuantizationMode.AfterSuccess;
                md.Row(
                    config.Name,
                    ModeName(mode),
                    string.Join(",", rs.Select(r => r.Seed)),
                    $"{rs.Sum(r => r.Succeeded)}/{rs.Sum(r => r.Count)}",
                    $"{rs.Sum(r => r.RoundedSucceeded)}/{rs.Sum(r => r.Count)}",
                    after ? $"{rs.Sum(r => r.ContinuousSucceeded)}/{rs.Sum(r => r.Count)}" : "—",
                    Range(rs.Select(r => r.Queries), Mean),
                    Range(rs.Select(r => r.Queries), Median),
                    after ? Range(rs.Select(r => r.ContinuousQueries), Mean) : "—",
                    after ? Range(rs.Select(r => r.ContinuousQueries), Median) : "—",
                    Markdown.F(rs.Sum(r => r.WallSeconds), "0"));
            }
        }

        return 0;
    }

    private static RunResult RunOne(OnnxClassifier classifier, List<float[]> cleans, List<AttackGoal> goals, AttackConfig config, QuantizationMode mode, int seed, int maxQueries)
    {
        var options = new SquareAttackOptions
        {
            Norm = config.Norm,
            Epsilon = config.Epsilon,
            PInit = config.PInit,
            MaxQueries = maxQueries,
            Seed = (ulong)seed,
            Quantization = mode,
        };
        var attack = new SquareAttack(options);
        var watch = Stopwatch.StartNew();
        AttackState state = attack.Start(classifier, cleans, goals);
        attack.Step(state, classifier, StepBudget.Unlimited);
        double wall = watch.Elapsed.TotalSeconds;

        // The 8-bit check: write each best image as PNG, read it back and classify it (not counted as a query).
        float[] logits = Classify(classifier, RereadThroughPng(state));
        int rounded = 0;
        for (int i = 0; i < state.Images.Count; i++)
        {
            if (TopOneCriterion.Instance.IsAdversarial(logits.AsSpan(i * classifier.NumClasses, classifier.NumClasses), goals[i]))
            {
                rounded++;
            }
        }

        var succeeded = state.Images.Where(i => i.Status == ImageAttackStatus.Succeeded).ToList();
        var continuous = state.Images.Where(i => i.ContinuousSuccessQueries.HasValue).Select(i => i.ContinuousSuccessQueries!.Value).ToList();
        return new RunResult(config, mode, seed, state.Images.Count, succeeded.Count, rounded, continuous.Count, succeeded.Select(i => i.Queries).ToList(), continuous, wall);
    }

    /// <summary>Each best image of <paramref name="state"/> written as PNG and read back, as the engine verifies it.</summary>
    internal static List<float[]> RereadThroughPng(AttackState state) => state.Images.Select(image =>
    {
        using Image<Rgb24> decoded = PngCodec.Decode(PngCodec.EncodeChw(image.Best, state.Height, state.Width));
        var tensor = new float[state.ImageLength];
        TensorImage.WriteChw(decoded, tensor);
        return tensor;
    }).ToList();

    /// <summary>Scores images in one call.</summary>
    internal static float[] Classify(IClassifier classifier, List<float[]> images)
    {
        int length = classifier.Channels * classifier.InputHeight * classifier.InputWidth;
        var input = new float[images.Count * length];
        for (int i = 0; i < images.Count; i++)
        {
            images[i].CopyTo(input, i * length);
        }

        var logits = new float[images.Count * classifier.NumClasses];
        classifier.Predict(input, images.Count, logits);
        return logits;
    }

    private static string ModeName(QuantizationMode mode) => mode == QuantizationMode.OnGrid ? "on-grid" : "after-success";

    private static double Mean(List<int> values) => values.Average();

    private static double Median(List<int> values) => Stats.Median(values.Select(v => (double)v));

    private static string Stat(List<int> values, Func<List<int>, double> f) => values.Count == 0 ? "—" : Markdown.F(f(values), "0.#");

    private static string Range(IEnumerable<List<int>> perSeed, Func<List<int>, double> f)
    {
        var values = perSeed.Where(v => v.Count > 0).Select(f).ToList();
        if (values.Count == 0)
        {
            return "—";
        }

        string mean = Markdown.F(values.Average(), "0.#");
        return values.Count == 1 ? mean : $"{mean} ({Markdown.F(values.Min(), "0.#")}–{Markdown.F(values.Max(), "0.#")})";
    }

    private sealed record AttackConfig(string Name, NormKind Norm, double Epsilon, double PInit, string RefSuccess, string RefRounded, int RefMean, int RefMedian, string RefNote);

    private sealed record RunResult(AttackConfig Config, QuantizationMode Mode, int Seed, int Count, int Succeeded, int RoundedSucceeded, int ContinuousSucceeded, List<int> Queries, List<int> ContinuousQueries, double WallSeconds);
}
