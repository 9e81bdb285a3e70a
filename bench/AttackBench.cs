using System.Diagnostics;
using AttackCore.Attacks;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Models;
using AttackCore.Reporting;

namespace AttackBench;

/// <summary>
/// <c>attacks</c>: every attack of the catalog through the engine (<see cref="AttackRunner.Run"/>: the attack, then
/// minimization of each success to eps*, then verification through an 8-bit PNG), on the shared photos in one batch,
/// untargeted against the clean top-1, one markdown row per (attack, config), beside the published Inception v3
/// figures of REFERENCE.md. Square Attack goes through the same runner, so the rows are comparable.
/// </summary>
internal static class AttackBench
{
    private const string DefaultConfigs = "linf-0.05,l2-5";
    private static readonly HashSet<string> Known = ["--attacks", "--configs", "--max-queries", "--seed", "--images", "--model", "--preset", "--provider", "--max-minutes"];

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        // Attacks that craft on surrogates need a second model: bench transfer measures them.
        List<string> specs = a.Last("--attacks") is string attackText
            ? SplitSpecs(attackText)
            : [.. AttackCatalog.Names.Where(n => !AttackCatalog.Parse(n, new CommonAttackSettings()).UsesSurrogates)];
        List<BenchConfig> configs = (a.Last("--configs") ?? DefaultConfigs)
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(BenchConfig.Parse)
            .ToList();
        int maxQueries = a.Int("--max-queries", 10_000);
        ulong seed = (ulong)a.Int("--seed", 0);
        TimeSpan? timeLimit = a.Last("--max-minutes") is null ? null : TimeSpan.FromMinutes(a.Double("--max-minutes", 0));
        ModelSpec spec = BenchEnvironment.SpecFromArgs(a);
        string imagesDir = a.Last("--images") ?? BenchEnvironment.DefaultImagesDir();

        using OnnxClassifier classifier = BenchEnvironment.Load(spec, BenchEnvironment.ParseProvider(a.Last("--provider")), 32);
        List<PreparedImage> photos = BenchEnvironment.LoadPhotos(imagesDir, classifier.Spec);

        // White-box rows (and the standard plan) need the model's gradient graph; it is built once for the run.
        bool whiteBox = specs.Any(s => AttackCatalog.ParsePlan([s], new CommonAttackSettings()).Any(o => o.UsesGradients));
        using OnnxGradientModel? gradients = whiteBox
            ? new OnnxGradientModel(spec, new OnnxClassifierOptions { Provider = BenchEnvironment.ParseProvider(a.Last("--provider")), MaxBatch = 32 }, Path.Combine(Path.GetTempPath(), "advaudit-bench-gradients"))
            : null;
        var runner = new AttackRunner(classifier, ModelDescription.From(classifier), gradients: gradients);

        var md = new Markdown(output);
        md.Line($"# Attack comparison: {spec.Name}, {photos.Count} photos in one batch, untargeted, max {maxQueries} queries, seed {seed} ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        md.Line();
        md.Header("attack", "norm, eps", "success (verified / attacked)", "failure", "robust acc.", "mean q", "median q", "mean total q", "mean grads", "mean eps*", "mean L2 (written)", "wall s", "reference: Inception v3, published");
        var notes = new List<string>();
        foreach (string attackSpec in specs)
        {
            foreach (BenchConfig config in configs)
            {
                var common = new CommonAttackSettings(config.Norm, config.Epsilon, maxQueries, seed);
                IReadOnlyList<AttackOptions> options;
                try
                {
                    options = AttackCatalog.ParsePlan([attackSpec], common);
                }
                catch (ArgumentException ex) when (Unsupported(attackSpec, common) is string only)
                {
                    md.Row(attackSpec, config.Name, $"n/a ({only} only)", "—", "—", "—", "—", "—", "—", "—", "—", "—", Reference(attackSpec, config));
                    notes.Add($"{attackSpec} {config.Name}: {ex.Message}");
                    continue;
                }

                md.Row(RunOne(runner, photos, options, attackSpec, config, timeLimit).Cells());
            }
        }

        md.Line();
        md.Line("Success: images whose adversarial PNG, written at 8 bits, read back and classified again, is not the clean top-1 class, over the images attacked. " +
            "robust acc.: the photos not fooled, over all photos (the model's clean top-1 is the label, so clean accuracy is 100 % by definition). " +
            "mean q / median q: the attack's own forward queries, over successes (a plan: summed over its attacks). mean total q: the same plus the minimization and verification queries, over successes. " +
            "mean grads: gradient evaluations (one forward and one backward pass each) per attacked photo, fooled or not, summed over a plan's attacks. " +
            "mean eps*: the minimized perturbation's norm in the config's norm, over successes. mean L2 (written): the L2 norm of the written 8-bit adversarial image minus the clean one, over successes. " +
            "wall s: the whole AttackRunner.Run (attack, minimization, verification, reports) on this machine; never asserted. " +
            "A row marked (stopped) hit --max-minutes: the images not yet fooled were stopped, so its failure is an upper bound.");
        foreach (string note in notes)
        {
            md.Line($"- {note}");
        }

        md.Line();
        md.Line($"{BenchEnvironment.MachineLine()}; model {spec.Name} on {classifier.ProviderName}" +
            (string.IsNullOrEmpty(classifier.ProviderNote) ? string.Empty : $" ({classifier.ProviderNote})") + $"; photos {imagesDir}.");
        md.Line($"Command: bench attacks {string.Join(' ', args)}");
        return 0;
    }

    private static Row RunOne(AttackRunner runner, List<PreparedImage> photos, IReadOnlyList<AttackOptions> options, string attackSpec, BenchConfig config, TimeSpan? timeLimit)
    {
        var request = new AttackRequest { Attacks = options, Minimize = true };
        using var limit = timeLimit is TimeSpan t ? new CancellationTokenSource(t) : new CancellationTokenSource();
        var watch = Stopwatch.StartNew();

        // On cancellation the runner stops the attack between iterations and still minimizes, verifies and reports what was reached.
        IReadOnlyList<ImageResult> results = runner.Run(photos, request, new Progress(attackSpec, config.Name, watch), limit.Token);
        double wall = watch.Elapsed.TotalSeconds;
        var attacked = results.Select(r => r.Report).Where(r => r.Outcome.Status is OutcomeStatus.Fooled or OutcomeStatus.NotFooled).ToList();
        var fooled = attacked.Where(r => r.Outcome.Success).ToList();
        return new Row(
            attackSpec,
            config,
            attacked.Count,
            fooled.Select(r => (double)(r.Outcome.PlanQueries ?? r.Outcome.Queries)).ToList(),
            fooled.Select(r => (double)((r.Outcome.PlanQueries ?? r.Outcome.Queries) + r.Outcome.MinimizeQueries + r.Outcome.VerificationQueries)).ToList(),
            attacked.Select(r => (double)(r.Attempts?.Sum(x => x.GradientEvaluations ?? 0) ?? r.Outcome.GradientEvaluations ?? 0)).ToList(),
            fooled.Where(r => r.Outcome.EpsStar.HasValue).Select(r => r.Outcome.EpsStar!.Value).ToList(),
            fooled.Where(r => r.Perturbation is not null).Select(r => r.Perturbation!.L2).ToList(),
            wall,
            limit.IsCancellationRequested);
    }

    /// <summary>The norm an attack is limited to, when <paramref name="common"/> fails only because of its norm; else null.</summary>
    private static string? Unsupported(string attackSpec, CommonAttackSettings common)
    {
        NormKind other = common.Norm == NormKind.LInf ? NormKind.L2 : NormKind.LInf;
        try
        {
            AttackCatalog.Parse(attackSpec, common with { Norm = other, Epsilon = null });
        }
        catch (ArgumentException)
        {
            return null;
        }

        return other == NormKind.L2 ? "L2" : "L-inf";
    }

    /// <summary>Splits <c>square,bandits-td:tileSize=8,fdLearningRate=0.1;simba-dct</c>: a comma-separated piece with <c>=</c> belongs to the attack before it.</summary>
    internal static List<string> SplitSpecs(string text)
    {
        var specs = new List<string>();
        foreach (string piece in text.Split([',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (piece.Contains('=', StringComparison.Ordinal) && !piece.Contains(':', StringComparison.Ordinal) && specs.Count > 0)
            {
                specs[^1] += "," + piece;
            }
            else
            {
                specs.Add(piece);
            }
        }

        return specs;
    }

    /// <summary>The published figure on Inception v3 (REFERENCE.md) for the attack and config, or a dash.</summary>
    private static string Reference(string attackSpec, BenchConfig config)
    {
        string name = attackSpec.Split(':', 2)[0].Trim().ToLowerInvariant();
        return (name, config.Norm, config.Epsilon) switch
        {
            ("square", NormKind.LInf, 0.05) => "0.3% failure, 197 mean, 24 median (Square paper, Table 2)",
            ("square", NormKind.L2, 5.0) => "7.1% failure, 1100 mean, 385 median (Square paper, Table 2)",
            ("bandits-td", NormKind.LInf, 0.05) => "4.6% failure, 1117 mean (MadryLab/blackbox-bandits)",
            ("bandits-td", NormKind.L2, 5.0) => "15.5% failure, 1858 mean (MadryLab/blackbox-bandits)",
            ("simba-dct", NormKind.L2, 5.0) => "35.5% failure, 651 mean, 564 median (Square paper, Table 2)",
            ("hopskipjump", _, _) => "decision-based; defaults max_iter 64, init_eval 100",
            ("standard" or "apgd-ce" or "apgd-t", NormKind.LInf, double e) when Math.Abs(e - (4 / 255.0)) < 1e-9 => "standard ResNet-50: 0.00 % robust at 4/255 (RobustBench, AutoAttack)",
            _ => "—",
        };
    }

    /// <summary>A norm and budget, written <c>linf-0.05</c>, <c>linf-4/255</c> or <c>l2-5</c>.</summary>
    internal sealed record BenchConfig(string Name, NormKind Norm, double Epsilon)
    {
        public static BenchConfig Parse(string name)
        {
            string[] parts = name.Split('-', 2);
            NormKind? norm = parts[0].ToLowerInvariant() switch
            {
                "linf" => NormKind.LInf,
                "l2" => NormKind.L2,
                _ => null,
            };
            if (parts.Length != 2 || norm is null || !EpsilonText.TryParse(parts[1], out double eps))
            {
                throw new ArgumentException($"config '{name}' is not linf-EPS or l2-EPS (for example linf-0.05, linf-4/255, l2-5)");
            }

            return new BenchConfig(name, norm.Value, eps);
        }
    }

    private sealed record Row(string Attack, BenchConfig Config, int Attacked, List<double> Queries, List<double> TotalQueries, List<double> Gradients, List<double> EpsStar, List<double> L2, double WallSeconds, bool Stopped)
    {
        public string[] Cells()
        {
            int fooled = Queries.Count;
            double failure = Attacked == 0 ? 0 : 100.0 * (Attacked - fooled) / Attacked;
            return
            [
                Attack,
                Config.Name,
                $"{fooled}/{Attacked}",
                Stopped ? $"≤ {Markdown.F(failure, "0.0")} % (stopped)" : Markdown.F(failure, "0.0") + " %",
                (Stopped ? "≤ " : string.Empty) + Markdown.F(failure, "0.0") + " %",
                Mean(Queries, "0.#"),
                fooled == 0 ? "—" : Markdown.F(Stats.Median(Queries), "0.#"),
                Mean(TotalQueries, "0.#"),
                Gradients.Any(g => g > 0) ? Mean(Gradients, "0.#") : "—",
                Mean(EpsStar, "0.0000"),
                Mean(L2, "0.000"),
                Markdown.F(WallSeconds, "0") + (Stopped ? " (stopped)" : string.Empty),
                Reference(Attack, Config),
            ];
        }

        private static string Mean(List<double> values, string format) => values.Count == 0 ? "—" : Markdown.F(values.Average(), format);
    }

    /// <summary>Prints a progress line to stderr at most every 30 s, so a long run shows it is alive.</summary>
    private sealed class Progress(string attack, string config, Stopwatch watch) : IProgress<AttackProgress>
    {
        private double _lastPrinted = double.NegativeInfinity;

        public void Report(AttackProgress value)
        {
            double now = watch.Elapsed.TotalSeconds;
            if (now - _lastPrinted < 30 && value.ImagesDone < value.ImagesTotal)
            {
                return;
            }

            _lastPrinted = now;
            Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {attack} {config}: {value.ImagesDone}/{value.ImagesTotal} done, {value.Queries} queries, {now:0} s");
        }
    }
}
