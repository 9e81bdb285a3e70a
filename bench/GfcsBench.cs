using System.Diagnostics;
using AttackCore.Attacks;
using AttackCore.Attacks.Gfcs;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Models;
using BenchConfig = AttackBench.AttackBench.BenchConfig;

namespace AttackBench;

/// <summary>
/// <c>gfcs</c>: the surrogate-guided GFCS attack beside Square Attack and SimBA-DCT on the same target, images and
/// budget (all images in one batch, untargeted against the clean top-1; a success counts only when its best image,
/// written as an 8-bit PNG and read back, still fools the target): success, mean and median target queries over
/// successes, surrogate gradient evaluations and the share of ODS directions.
/// Defaults: the bundled Fashion-MNIST CNN as the target, the strided CNN as the surrogate, the 12 samples.
/// </summary>
internal static class GfcsBench
{
    private const string DefaultConfigs = "linf-0.1,l2-1.5";
    private static readonly HashSet<string> Known = ["--target", "--target-preset", "--surrogate", "--surrogate-preset", "--images", "--configs", "--attacks", "--max-queries", "--seed", "--provider"];

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        string root = BenchEnvironment.RepoRoot();
        ModelSpec targetSpec = BenchEnvironment.ResolveSpec(a.Last("--target") ?? Path.Combine(root, "models", "fashion-mnist-cnn", "model.json"), a.Last("--target-preset"));
        List<string> surrogatePaths = [.. a.Pairs.Where(p => p.Name == "--surrogate").Select(p => p.Value)];
        if (surrogatePaths.Count == 0)
        {
            surrogatePaths.Add(Path.Combine(root, "models", "fashion-mnist-strided", "model.json"));
        }

        List<BenchConfig> configs = [.. (a.Last("--configs") ?? DefaultConfigs).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(BenchConfig.Parse)];
        List<string> attacks = AttackBench.SplitSpecs(a.Last("--attacks") ?? "gfcs,square,simba-dct");
        int maxQueries = a.Int("--max-queries", 10_000);
        ulong seed = (ulong)a.Int("--seed", 0);
        ExecutionProviderKind provider = BenchEnvironment.ParseProvider(a.Last("--provider"));
        string imagesDir = a.Last("--images") ?? Path.Combine(root, "samples", "fashion-mnist");

        using OnnxClassifier target = BenchEnvironment.Load(targetSpec, provider, 32);
        var gradientOptions = new OnnxClassifierOptions { Provider = provider, MaxBatch = 32 };
        string cache = Path.Combine(Path.GetTempPath(), "advaudit-bench-gradients");
        List<string> surrogatePresets = [.. a.Pairs.Where(p => p.Name == "--surrogate-preset").Select(p => p.Value)];

        // Each surrogate on the target's pixel grid (resized inside its gradient graph when its input differs).
        List<OnnxGradientModel> surrogates = [.. surrogatePaths.Select((p, i) => OnnxGradientModel.ForPixelGrid(
            BenchEnvironment.ResolveSpec(p, i < surrogatePresets.Count ? surrogatePresets[i] : null), target.InputHeight, target.InputWidth, target.Channels, gradientOptions, cache))];
        try
        {
            List<PreparedImage> photos = BenchEnvironment.LoadPhotos(imagesDir, target.Spec);
            List<float[]> cleans = [.. photos.Select(p => p.Clean)];
            float[] cleanLogits = QueryBench.Classify(target, cleans);
            List<AttackGoal> goals = [.. Enumerable.Range(0, cleans.Count).Select(i => new AttackGoal(LogitMath.ArgMax(cleanLogits.AsSpan(i * target.NumClasses, target.NumClasses))))];
            var md = new Markdown(output);
            md.Line($"# GFCS beside Square and SimBA-DCT: target {targetSpec.Name}, surrogate(s) {string.Join(", ", surrogates.Select(s => s.Spec.Name))}, {photos.Count} images, untargeted, max {maxQueries} queries, seed {seed} ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
            md.Line();
            md.Header("attack", "norm, eps", "success (verified / attacked)", "mean q", "median q", "mean surrogate grads", "ODS share of gfcs iterations", "wall s");
            foreach (BenchConfig config in configs)
            {
                foreach (string attack in attacks)
                {
                    List<AttackOptions> plan;
                    try
                    {
                        // A plan: attacks separated by '>', each run on the images the earlier ones did not fool.
                        plan = [.. attack.Split('>', StringSplitOptions.TrimEntries).Select(spec => AttackCatalog.Parse(spec, new CommonAttackSettings(config.Norm, config.Epsilon, maxQueries, seed)))];
                    }
                    catch (ArgumentException ex) when (ex.InnerException is ArgumentException { ParamName: "Norm" })
                    {
                        md.Row(attack, config.Name, $"n/a (not for {config.Norm})", "—", "—", "—", "—", "—");
                        continue;
                    }

                    md.Row(RunPlan(target, surrogates, cleans, goals, plan, attack, config));
                }
            }

            md.Line();
            md.Line("Success: images whose best image, written as an 8-bit PNG, read back and classified again, is not the clean top-1 class, over all images (the clean top-1 is the label). " +
                "mean q / median q: the attack's forward queries on the target, over successes (the clean image's query included, as in the references). " +
                "mean surrogate grads: surrogate gradient evaluations per attacked image (never counted as queries). " +
                "ODS share: the fraction of GFCS iterations, summed over images, whose direction was an ODS direction rather than a surrogate loss gradient. " +
                "A row a → b is a plan: b runs on the images a did not fool, with its own budget, and queries are summed over the plan.");
            md.Line();
            md.Line($"{BenchEnvironment.MachineLine()}; target on {target.ProviderName}; images {imagesDir}.");
            md.Line($"Command: bench gfcs {string.Join(' ', args)}");
            return 0;
        }
        finally
        {
            foreach (OnnxGradientModel s in surrogates)
            {
                s.Dispose();
            }
        }
    }

    private static string[] RunPlan(OnnxClassifier target, IReadOnlyList<IGradientModel> surrogates, List<float[]> cleans, List<AttackGoal> goals, List<AttackOptions> plan, string attack, BenchConfig config)
    {
        int n = cleans.Count, iterations = 0, ods = 0;
        var queries = new int[n];
        var gradients = new int[n];
        var fooled = new bool[n];
        var watch = Stopwatch.StartNew();
        foreach (AttackOptions options in plan)
        {
            List<int> left = [.. Enumerable.Range(0, n).Where(i => !fooled[i])];
            if (left.Count == 0)
            {
                break;
            }

            IClassifier model = options.UsesSurrogates ? new WithSurrogates(target, surrogates) : target;
            IAttack sut = options.CreateAttack();
            AttackState state = sut.Step(sut.Start(model, [.. left.Select(i => cleans[i])], [.. left.Select(i => goals[i])]), model, StepBudget.Unlimited);

            // Verified: each claimed success written as an 8-bit PNG, read back and classified again (not counted as a query).
            float[] logits = QueryBench.Classify(target, QueryBench.RereadThroughPng(state));
            for (int k = 0; k < left.Count; k++)
            {
                AttackImageState image = state.Images[k];
                int i = left[k];
                queries[i] += image.Queries;
                gradients[i] += image.GradientEvaluations;
                fooled[i] = image.Status == ImageAttackStatus.Succeeded && TopOneCriterion.Instance.IsAdversarial(logits.AsSpan(k * target.NumClasses, target.NumClasses), goals[i]);
                if (image is GfcsImageState gfcs)
                {
                    iterations += gfcs.Iterations;
                    ods += gfcs.OdsIterations;
                }
            }
        }

        double wall = watch.Elapsed.TotalSeconds;
        List<double> fooledQueries = [.. Enumerable.Range(0, n).Where(i => fooled[i]).Select(i => (double)queries[i])];
        bool surrogateBased = plan.Any(o => o.UsesSurrogates);
        return
        [
            attack.Replace(">", " → ", StringComparison.Ordinal),
            config.Name,
            $"{fooledQueries.Count}/{n}",
            fooledQueries.Count == 0 ? "—" : Markdown.F(fooledQueries.Average(), "0.#"),
            fooledQueries.Count == 0 ? "—" : Markdown.F(Stats.Median(fooledQueries), "0.#"),
            surrogateBased ? Markdown.F(gradients.Average(), "0.#") : "—",
            surrogateBased && iterations > 0 ? Markdown.F(100.0 * ods / iterations, "0.#") + " %" : "—",
            Markdown.F(wall, "0"),
        ];
    }

    /// <summary>The target's scores with the surrogates' gradients beside them, as the engine hands them to a surrogate-based attack.</summary>
    private sealed class WithSurrogates(IClassifier target, IReadOnlyList<IGradientModel> surrogates) : IClassifier, ISurrogateModels
    {
        public int InputHeight => target.InputHeight;

        public int InputWidth => target.InputWidth;

        public int Channels => target.Channels;

        public int NumClasses => target.NumClasses;

        public IReadOnlyList<string> Labels => target.Labels;

        public IReadOnlyList<IGradientModel> Surrogates => surrogates;

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits) => target.Predict(images, count, logits);
    }
}
