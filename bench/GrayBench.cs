using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Models;

namespace AttackBench;

/// <summary>
/// <c>gray</c>: Square Attack on the one-channel Fashion-MNIST model against the same model behind a channel-mean
/// RGB wrapper (what the bundled model was before it became one-channel), on the first Fashion-MNIST test images,
/// beside the reference code's figures on the one-channel model (issue 13).
/// </summary>
internal static class GrayBench
{
    public const string DefaultData = "/usr/share/datasets/fashion-mnist";

    private static readonly HashSet<string> Known = ["--data", "--images", "--max-queries", "--seed", "--model", "--provider"];

    // The reference (github.com/max-andr/square-attack) on the one-channel model and advaudit (before this change)
    // on the RGB-wrapped model, as issue 13 measured them: 100 test images, the 91 classified correctly, 1,000 queries, seed 0.
    private static readonly GrayConfig[] Configs =
    [
        new("linf-0.1", NormKind.LInf, 0.1, 0.05, "86/91", 40.5, "58/91", 91.5),
        new("l2-1.5", NormKind.L2, 1.5, 0.1, "75/91", 121, "38/91", 356.5),
    ];

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        string data = a.Last("--data") ?? DefaultData;
        int count = a.Int("--images", 100);
        int maxQueries = a.Int("--max-queries", 1000);
        ulong seed = (ulong)a.Int("--seed", 0);
        string modelPath = a.Last("--model") ?? Path.Combine(BenchEnvironment.RepoRoot(), "models", "fashion-mnist-cnn", "model.json");
        (byte[][] pixels, int[] labels) = ReadTestSet(data, count);

        using OnnxClassifier gray = BenchEnvironment.Load(BenchEnvironment.ResolveSpec(modelPath, null), BenchEnvironment.ParseProvider(a.Last("--provider")), 128);
        if (gray.Channels != 1 || gray.InputHeight != 28)
        {
            throw new InvalidOperationException($"{modelPath} is not a one-channel 28 x 28 model (it takes {gray.Channels} x {gray.InputHeight} x {gray.InputWidth}).");
        }

        var wrapped = new ChannelMeanClassifier(gray);
        List<float[]> grayImages = [.. pixels.Select(p => p.Select(v => v / 255f).ToArray())];
        float[] logits = QueryBench.Classify(gray, grayImages);
        var attacked = Enumerable.Range(0, count).Where(i => LogitMath.ArgMax(logits.AsSpan(i * 10, 10)) == labels[i]).ToList();
        var goals = attacked.Select(i => new AttackGoal(labels[i])).ToList();
        List<float[]> grayCleans = [.. attacked.Select(i => grayImages[i])];
        List<float[]> rgbCleans = [.. grayCleans.Select(g => (float[])[.. g, .. g, .. g])];

        var md = new Markdown(output);
        md.Line($"### Square Attack on a one-channel Fashion-MNIST model ({gray.Spec.Name}, sha256 {gray.ModelSha256[..12]}, {gray.ProviderName})");
        md.Line();
        md.Line($"First {count} test images of {data}; the {attacked.Count} the model classifies correctly are attacked, untargeted, {maxQueries} queries, seed {seed}, p_init 0.05 (L-inf) and 0.1 (L2), the attack's default quantization (L-inf on the 8-bit grid; L2 continuous, its 8-bit image checked before success). "
            + "\"RGB wrapper\" is the same model behind a channel mean (the bundled model's first layer before it became one-channel): the attack works on 3 x 28 x 28 replicated gray. Fooled = the attack's own success, which is always an 8-bit image; \"after PNG\" writes it as PNG, reads it back and classifies it. Queries: mean and median over fooled images (grid checks included); \"cont.\" is the query at which the continuous L2 candidate first fooled, the reference's count. " + BenchEnvironment.MachineLine());
        md.Line();
        md.Header("config", "run", "fooled", "after PNG", "mean q", "median q", "cont. fooled", "cont. median q", "wall s");
        foreach (GrayConfig config in Configs)
        {
            md.Row(config.Name, "reference, 1 channel (issue 13)", config.RefFooled, "—", "—", Markdown.F(config.RefMedian, "0.#"), "—", "—", "—");
            md.Row(config.Name, "advaudit before, RGB wrapper (issue 13)", config.OldFooled, "—", "—", Markdown.F(config.OldMedian, "0.#"), "—", "—", "—");
            WriteRow(md, config, "advaudit, RGB wrapper (this run)", RunOne(wrapped, rgbCleans, goals, config, maxQueries, seed));
            WriteRow(md, config, "advaudit, 1 channel (this run)", RunOne(gray, grayCleans, goals, config, maxQueries, seed));
        }

        return 0;
    }

    /// <summary>
    /// The first <paramref name="count"/> Fashion-MNIST test images (28 x 28 bytes each) and labels, from the gzipped IDX
    /// files of Debian's dataset-fashion-mnist.
    /// </summary>
    internal static (byte[][] Pixels, int[] Labels) ReadTestSet(string folder, int count)
    {
        string images = Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), labels = Path.Combine(folder, "t10k-labels-idx1-ubyte.gz");
        if (!File.Exists(images) || !File.Exists(labels))
        {
            throw new InvalidOperationException(
                $"The Fashion-MNIST test set is not in {folder} (t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz are needed). " +
                "Install Debian's package: apt-get install dataset-fashion-mnist, or pass --data DIR with those two files.");
        }

        byte[] imageBytes = Gunzip(images), labelBytes = Gunzip(labels);
        if (BinaryPrimitives.ReadInt32BigEndian(imageBytes) != 0x803 || BinaryPrimitives.ReadInt32BigEndian(labelBytes) != 0x801
            || BinaryPrimitives.ReadInt32BigEndian(imageBytes.AsSpan(8)) != 28 || BinaryPrimitives.ReadInt32BigEndian(imageBytes.AsSpan(12)) != 28)
        {
            throw new InvalidOperationException($"{images} or {labels} is not a 28 x 28 IDX image file with its label file.");
        }

        int available = Math.Min(BinaryPrimitives.ReadInt32BigEndian(imageBytes.AsSpan(4)), BinaryPrimitives.ReadInt32BigEndian(labelBytes.AsSpan(4)));
        if (count < 1 || count > available)
        {
            throw new ArgumentException($"--images must be in 1..{available}; got {count}");
        }

        var pixels = new byte[count][];
        var classes = new int[count];
        for (int i = 0; i < count; i++)
        {
            pixels[i] = imageBytes.AsSpan(16 + (i * 784), 784).ToArray();
            classes[i] = labelBytes[8 + i];
        }

        return (pixels, classes);
    }

    private static byte[] Gunzip(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }

    private static void WriteRow(Markdown md, GrayConfig config, string name, RunResult r)
    {
        bool l2 = config.Norm == NormKind.L2;
        md.Row(
            config.Name,
            name,
            $"{r.Queries.Count}/{r.Count}",
            $"{r.AfterPng}/{r.Count}",
            r.Queries.Count == 0 ? "—" : Markdown.F(r.Queries.Average(), "0.#"),
            r.Queries.Count == 0 ? "—" : Markdown.F(Stats.Median(r.Queries.Select(q => (double)q)), "0.#"),
            l2 ? $"{r.Continuous.Count}/{r.Count}" : "—",
            l2 && r.Continuous.Count > 0 ? Markdown.F(Stats.Median(r.Continuous.Select(q => (double)q)), "0.#") : "—",
            Markdown.F(r.WallSeconds, "0"));
    }

    private static RunResult RunOne(IClassifier classifier, List<float[]> cleans, List<AttackGoal> goals, GrayConfig config, int maxQueries, ulong seed)
    {
        var attack = new SquareAttack(new SquareAttackOptions { Norm = config.Norm, Epsilon = config.Epsilon, PInit = config.PInit, MaxQueries = maxQueries, Seed = seed });
        var watch = Stopwatch.StartNew();
        AttackState state = attack.Start(classifier, cleans, goals);
        attack.Step(state, classifier, StepBudget.Unlimited);
        double wall = watch.Elapsed.TotalSeconds;

        float[] logits = QueryBench.Classify(classifier, QueryBench.RereadThroughPng(state));
        int afterPng = Enumerable.Range(0, goals.Count).Count(i => LogitMath.ArgMax(logits.AsSpan(i * 10, 10)) != goals[i].TrueClass);
        var fooled = state.Images.Where(i => i.Status == ImageAttackStatus.Succeeded).Select(i => i.Queries).ToList();
        var continuous = state.Images.Where(i => i.ContinuousSuccessQueries.HasValue).Select(i => i.ContinuousSuccessQueries!.Value).ToList();
        return new RunResult(goals.Count, fooled, afterPng, continuous, wall);
    }

    private sealed record GrayConfig(string Name, NormKind Norm, double Epsilon, double PInit, string RefFooled, double RefMedian, string OldFooled, double OldMedian);

    private sealed record RunResult(int Count, List<int> Queries, int AfterPng, List<int> Continuous, double WallSeconds);

    /// <summary>
    /// A one-channel model seen as an RGB model whose first layer is the channel mean, as the bundled model was:
    /// the attack works on three planes and the model sees (R + G + B) / 3, summed and divided in float32 as ONNX
    /// Runtime's ReduceMean does.
    /// </summary>
    private sealed class ChannelMeanClassifier(IClassifier gray) : IClassifier
    {
        public int InputHeight => gray.InputHeight;

        public int InputWidth => gray.InputWidth;

        public int Channels => 3;

        public int NumClasses => gray.NumClasses;

        public IReadOnlyList<string> Labels => gray.Labels;

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            int plane = InputHeight * InputWidth;
            float[] buffer = ArrayPool<float>.Shared.Rent(count * plane);
            try
            {
                for (int i = 0; i < count; i++)
                {
                    ReadOnlySpan<float> rgb = images.Slice(i * 3 * plane, 3 * plane);
                    for (int p = 0; p < plane; p++)
                    {
                        buffer[(i * plane) + p] = (rgb[p] + rgb[plane + p] + rgb[(2 * plane) + p]) / 3f;
                    }
                }

                gray.Predict(buffer.AsSpan(0, count * plane), count, logits);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        }
    }
}
