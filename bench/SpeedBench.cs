using System.Diagnostics;
using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Engine;
using AttackCore.Models;

namespace AttackBench;

/// <summary>
/// <c>speed</c>: raw ONNX Runtime throughput (<see cref="OnnxClassifier.Predict"/> on a fixed batch) against
/// attack throughput (<see cref="SquareAttack.Step"/> on the same batch size), and the attack's overhead.
/// </summary>
/// <remarks>
/// Raw and attack measurements alternate in rounds (raw, attack, raw, attack, ...) so that a slow spell of a
/// shared machine hits both about equally; the ratio is what to read, not the absolute numbers.
/// </remarks>
internal static class SpeedBench
{
    private const double OverheadTarget = 0.05;
    private const int OverheadTargetBatch = 32;
    private const int AllocationProbeIterations = 4;
    private const int DefaultRounds = 3;
    private static readonly HashSet<string> Known = ["--model", "--preset", "--batches", "--seconds", "--provider", "--images", "--rounds"];

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        List<int> batches = BenchArgs.IntList(a.Last("--batches") ?? "1,8,32");
        double seconds = a.Double("--seconds", 12);
        int rounds = Math.Max(1, a.Int("--rounds", DefaultRounds));
        ExecutionProviderKind provider = BenchEnvironment.ParseProvider(a.Last("--provider"));
        string imagesDir = a.Last("--images") ?? BenchEnvironment.DefaultImagesDir();
        List<ModelSpec> specs = ModelsFrom(a);

        var md = new Markdown(output);
        md.Line($"# Speed: raw ONNX Runtime vs Square Attack step ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        md.Line();
        md.Line($"{BenchEnvironment.MachineLine()}, " +
            $"{Markdown.F(seconds, "0.#")} s per measurement in {rounds} alternating rounds, after warm-up. " +
            "Attack: L-inf eps 1/255 on the 8-bit grid, p_init 0.05, a criterion that never reports success (no image finishes), MaxQueries 10,000,000.");
        md.Line();
        md.Header("model", "provider", "input", "batch", "raw images/s", "attack queries/s", "overhead (1 - ratio)", "time outside Predict in Step", $"target < {OverheadTarget:P0} at batch {OverheadTargetBatch}", "raw B/image", "attack B/query (timed)", "attack B/query (marginal)", "attack B/Step call (fixed)");
        foreach (ModelSpec spec in specs)
        {
            using OnnxClassifier classifier = BenchEnvironment.Load(spec, provider, batches.Max());
            List<PreparedImage> photos = BenchEnvironment.LoadPhotos(imagesDir, classifier.Spec);
            foreach (int batch in batches)
            {
                Measurement m = Measure(classifier, photos, batch, seconds, rounds);
                double overhead = 1 - (m.AttackQueriesPerSecond / m.RawImagesPerSecond);
                string verdict = batch == OverheadTargetBatch ? (overhead < OverheadTarget ? "PASS" : "FAIL") : "—";
                md.Row(
                    spec.Name,
                    classifier.ProviderName + (classifier.SupportsBatching ? string.Empty : " (1 image per run)"),
                    $"{spec.InputSize}x{spec.InputSize}",
                    batch.ToString(Markdown.Inv),
                    Markdown.F(m.RawImagesPerSecond, "0.0"),
                    Markdown.F(m.AttackQueriesPerSecond, "0.0"),
                    Markdown.F(overhead * 100, "0.00") + " %",
                    Markdown.F(m.OutsidePredictShare * 100, "0.00") + " %",
                    verdict,
                    Markdown.F(m.RawBytesPerImage, "0"),
                    Markdown.F(m.AttackBytesPerQuery, "0"),
                    Markdown.F(m.MarginalBytesPerQuery, "0"),
                    Markdown.F(m.BytesPerStepCall, "0"));
            }

            md.Line($"<!-- {spec.Name}: {classifier.ProviderNote} -->");
        }

        return 0;
    }

    private static List<ModelSpec> ModelsFrom(BenchArgs a)
    {
        var specs = new List<ModelSpec>();
        for (int i = 0; i < a.Pairs.Count; i++)
        {
            if (a.Pairs[i].Name != "--model")
            {
                continue;
            }

            string? preset = i + 1 < a.Pairs.Count && a.Pairs[i + 1].Name == "--preset" ? a.Pairs[i + 1].Value : null;
            specs.Add(BenchEnvironment.ResolveSpec(a.Pairs[i].Value, preset));
        }

        if (specs.Count == 0)
        {
            specs.Add(BenchEnvironment.ResolveSpec(BenchEnvironment.DefaultModelPath(), "mobilenet-v2"));
            string inception = BenchEnvironment.InceptionRandomPath();
            if (File.Exists(inception))
            {
                specs.Add(BenchEnvironment.ResolveSpec(inception, null));
            }
        }

        return specs;
    }

    private static Measurement Measure(OnnxClassifier classifier, List<PreparedImage> photos, int batch, double seconds, int rounds)
    {
        int length = classifier.Channels * classifier.InputHeight * classifier.InputWidth;
        var cleans = Enumerable.Range(0, batch).Select(i => photos[i % photos.Count].Clean).ToList();
        var input = new float[batch * length];
        for (int i = 0; i < batch; i++)
        {
            cleans[i].CopyTo(input, i * length);
        }

        var logits = new float[batch * classifier.NumClasses];
        var goals = new List<AttackGoal>(batch);
        for (int i = 0; i < batch; i++)
        {
            classifier.Predict(cleans[i], 1, logits.AsSpan(0, classifier.NumClasses));
            goals.Add(new AttackGoal(LogitMath.ArgMax(logits.AsSpan(0, classifier.NumClasses))));
        }

        var options = new SquareAttackOptions
        {
            Norm = NormKind.LInf,
            Epsilon = 1.0 / 255,
            MaxQueries = 10_000_000,
            Quantization = QuantizationMode.OnGrid,
        };
        var attack = new SquareAttack(options, criterion: NeverAdversarial.Instance);
        var timed = new TimedClassifier(classifier);
        AttackState state = attack.Start(timed, cleans, goals);

        // Warm-up: JIT (tier-1 after PGO), ORT's arena and thread pool, for both loops.
        TimeSpan warm = TimeSpan.FromSeconds(Math.Min(2, seconds / 2));
        RawLoop(classifier, input, batch, logits, warm);
        attack.Step(state, timed, new StepBudget(MaxDuration: warm));

        TimeSpan slice = TimeSpan.FromSeconds(seconds / rounds);
        double rawSeconds = 0, attackSeconds = 0, insidePredictSeconds = 0;
        long rawImages = 0, attackQueries = 0, rawBytes = 0, attackBytes = 0;
        for (int round = 0; round < rounds; round++)
        {
            (long images, double elapsed, long bytes) = RawLoop(classifier, input, batch, logits, slice);
            rawImages += images;
            rawSeconds += elapsed;
            rawBytes += bytes;

            long queriesBefore = state.TotalQueries;
            long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
            double predictBefore = timed.Seconds;
            long start = Stopwatch.GetTimestamp();
            attack.Step(state, timed, new StepBudget(MaxDuration: slice));
            attackSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            insidePredictSeconds += timed.Seconds - predictBefore;
            attackBytes += GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
            attackQueries += state.TotalQueries - queriesBefore;
        }

        // Allocation split: Step allocates its workspace once per call (a candidate buffer for the whole batch);
        // what matters is the marginal cost per query, from two calls that differ only in iterations.
        (long shortBytes, long shortQueries) = AllocatedInStep(attack, state, timed, 1);
        (long longBytes, long longQueries) = AllocatedInStep(attack, state, timed, 1 + AllocationProbeIterations);
        double marginal = (double)(longBytes - shortBytes) / (longQueries - shortQueries);
        double perCall = shortBytes - (marginal * shortQueries);

        if (state.Images.Any(i => i.Status != ImageAttackStatus.Running))
        {
            throw new InvalidOperationException("an image finished during the speed measurement; the batch shrank and the numbers are not comparable");
        }

        return new Measurement(
            rawImages / rawSeconds,
            attackQueries / attackSeconds,
            (double)rawBytes / rawImages,
            (double)attackBytes / attackQueries,
            1 - (insidePredictSeconds / attackSeconds),
            marginal,
            perCall);
    }

    private static (long Bytes, long Queries) AllocatedInStep(SquareAttack attack, AttackState state, IClassifier classifier, int iterations)
    {
        long queriesBefore = state.TotalQueries;
        long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
        attack.Step(state, classifier, StepBudget.Iterations(iterations));
        return (GC.GetAllocatedBytesForCurrentThread() - bytesBefore, state.TotalQueries - queriesBefore);
    }

    private static (long Images, double Seconds, long Bytes) RawLoop(OnnxClassifier classifier, float[] input, int batch, float[] logits, TimeSpan duration)
    {
        long images = 0;
        long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        do
        {
            classifier.Predict(input, batch, logits);
            images += batch;
        }
        while (Stopwatch.GetElapsedTime(start) < duration);

        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (images, elapsed, GC.GetAllocatedBytesForCurrentThread() - bytesBefore);
    }

    private sealed record Measurement(double RawImagesPerSecond, double AttackQueriesPerSecond, double RawBytesPerImage, double AttackBytesPerQuery, double OutsidePredictShare, double MarginalBytesPerQuery, double BytesPerStepCall);

    /// <summary>Measures the wall time spent inside <see cref="IClassifier.Predict"/>: the rest of a Step is the attack's own work.</summary>
    private sealed class TimedClassifier(OnnxClassifier inner) : IClassifier
    {
        private long _ticks;

        public double Seconds => (double)_ticks / Stopwatch.Frequency;

        public int InputHeight => inner.InputHeight;

        public int InputWidth => inner.InputWidth;

        public int NumClasses => inner.NumClasses;

        public IReadOnlyList<string> Labels => inner.Labels;

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            long start = Stopwatch.GetTimestamp();
            inner.Predict(images, count, logits);
            _ticks += Stopwatch.GetTimestamp() - start;
        }
    }

    /// <summary>Keeps every image running so the batch stays full for the whole measurement; the loss is the real one.</summary>
    private sealed class NeverAdversarial : IAdversarialCriterion
    {
        public static NeverAdversarial Instance { get; } = new();

        public bool IsAdversarial(ReadOnlySpan<float> logits, AttackGoal goal) => false;
    }
}
