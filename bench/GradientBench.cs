using System.Diagnostics;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Models;

namespace AttackBench;

/// <summary>
/// <c>gradients</c>: what one gradient evaluation (logits, loss and d loss / d pixels from the derived ONNX graph) costs
/// against one forward pass of the same model, per image, at several batch sizes. Forward and gradient rounds alternate,
/// so a slow spell of a shared machine hits both; the figure to read is their ratio.
/// </summary>
internal static class GradientBench
{
    private static readonly HashSet<string> Known = ["--model", "--preset", "--batches", "--seconds", "--rounds", "--provider"];

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        List<int> batches = BenchArgs.IntList(a.Last("--batches") ?? "1,8,32");
        double seconds = a.Double("--seconds", 12);
        int rounds = a.Int("--rounds", 3);
        ExecutionProviderKind provider = BenchEnvironment.ParseProvider(a.Last("--provider"));
        List<ModelSpec> specs = a.Last("--model") is not null
            ? [BenchEnvironment.SpecFromArgs(a)]
            : [.. new[] { BenchEnvironment.ResolveSpec(BenchEnvironment.DefaultModelPath(), "mobilenet-v2") }
                .Concat(File.Exists(BenchEnvironment.InceptionRandomPath()) ? [BenchEnvironment.ResolveSpec(BenchEnvironment.InceptionRandomPath(), null)] : [])];

        var md = new Markdown(output);
        md.Line($"# Gradient cost: forward + backward against forward, per image ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        md.Line();
        md.Header("model", "provider, input", "batch", "forward images/s", "gradient images/s", "gradient / forward cost", "target <= 3.5x", "graph build s");
        foreach (ModelSpec spec in specs)
        {
            int maxBatch = batches.Max();
            var runtime = new OnnxClassifierOptions { Provider = provider, MaxBatch = maxBatch };
            using OnnxClassifier classifier = new(spec, runtime);
            var build = Stopwatch.StartNew();
            using var gradients = new OnnxGradientModel(spec, runtime, Path.Combine(Path.GetTempPath(), "advaudit-bench-gradients"));
            double buildSeconds = build.Elapsed.TotalSeconds;
            List<PreparedImage> photos = BenchEnvironment.LoadPhotos(BenchEnvironment.DefaultImagesDir(), classifier.Spec);
            foreach (int batch in batches)
            {
                int length = classifier.Channels * spec.InputSize * spec.InputSize;
                var images = new float[batch * length];
                for (int i = 0; i < batch; i++)
                {
                    photos[i % photos.Count].Clean.CopyTo(images, i * length);
                }

                int[] labels = new int[batch];
                var logits = new float[batch * classifier.NumClasses];
                var losses = new float[batch];
                var grads = new float[batch * length];
                classifier.Predict(images, batch, logits);
                for (int i = 0; i < batch; i++)
                {
                    labels[i] = LogitMath.ArgMax(logits.AsSpan(i * classifier.NumClasses, classifier.NumClasses));
                }

                gradients.ComputeGradients(images, batch, GradientLoss.CrossEntropy, labels, [], logits, losses, grads);
                double forwardTime = 0, gradientTime = 0;
                long forwardImages = 0, gradientImages = 0;
                TimeSpan slice = TimeSpan.FromSeconds(seconds / (2 * rounds));
                for (int r = 0; r < rounds; r++)
                {
                    (double t, long n) = Time(slice, () => classifier.Predict(images, batch, logits), batch);
                    forwardTime += t;
                    forwardImages += n;
                    (t, n) = Time(slice, () => gradients.ComputeGradients(images, batch, GradientLoss.CrossEntropy, labels, [], logits, losses, grads), batch);
                    gradientTime += t;
                    gradientImages += n;
                }

                double forwardRate = forwardImages / forwardTime, gradientRate = gradientImages / gradientTime;
                double ratio = forwardRate / gradientRate;
                md.Row(spec.Name, $"{classifier.ProviderName}, {spec.InputSize}", batch.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Markdown.F(forwardRate, "0.0"), Markdown.F(gradientRate, "0.0"), Markdown.F(ratio, "0.00") + "x", ratio <= 3.5 ? "PASS" : "FAIL",
                    Markdown.F(buildSeconds, "0.0"));
            }
        }

        md.Line();
        md.Line("forward images/s: OnnxClassifier.Predict on one fixed batch of real photos (the model's preprocessing included). gradient images/s: OnnxGradientModel.ComputeGradients (cross-entropy) on the same batch: logits, loss and the pixel gradient from one Run of the derived graph. " +
            "gradient / forward cost: forward rate ÷ gradient rate, the price of one gradient evaluation in forward passes. graph build s: building the derived graph, or reading it from the cache when it exists.");
        md.Line();
        md.Line($"{BenchEnvironment.MachineLine()}.");
        md.Line($"Command: bench gradients {string.Join(' ', args)}");
        return 0;
    }

    private static (double Seconds, long Images) Time(TimeSpan length, Action run, int batch)
    {
        var watch = Stopwatch.StartNew();
        long images = 0;
        do
        {
            run();
            images += batch;
        }
        while (watch.Elapsed < length);
        return (watch.Elapsed.TotalSeconds, images);
    }
}
