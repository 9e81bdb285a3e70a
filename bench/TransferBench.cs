using System.Diagnostics;
using AttackCore.Attacks;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Models;
using AttackCore.Reporting;

namespace AttackBench;

/// <summary>
/// <c>transfer</c>: the zero-query <c>transfer</c> attack between the two shared MobileNets (V2 at 224 and V1 0.5 at
/// 160), each the surrogate of the other, through the engine (<see cref="AttackRunner.Run"/> with the surrogate, no
/// minimization so the target sees one attack query per image, then the 8-bit PNG verification), on the shared photos
/// in one batch, untargeted against the target's clean top-1. One markdown row per direction, config and variant
/// (MI-FGSM alone, with DI, with TI, with both).
/// </summary>
internal static class TransferBench
{
    private const string DefaultConfigs = "linf-4/255,l2-5,linf-16/255";
    private static readonly HashSet<string> Known = ["--configs", "--iterations", "--seed", "--images", "--provider", "--variants"];

    private static readonly (string Name, string Options)[] AllVariants =
    [
        ("MI-FGSM", string.Empty),
        ("MI-FGSM + DI", "inputDiversity=true"),
        ("MI-FGSM + TI", "translationInvariance=true"),
        ("MI-FGSM + DI + TI", "inputDiversity=true,translationInvariance=true"),
    ];

    public static int Run(IReadOnlyList<string> args, TextWriter output)
    {
        BenchArgs a = BenchArgs.Parse(args, Known);
        List<AttackBench.BenchConfig> configs = [.. (a.Last("--configs") ?? DefaultConfigs).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(AttackBench.BenchConfig.Parse)];
        int iterations = a.Int("--iterations", 10);
        ulong seed = (ulong)a.Int("--seed", 0);
        string imagesDir = a.Last("--images") ?? BenchEnvironment.DefaultImagesDir();
        ExecutionProviderKind provider = BenchEnvironment.ParseProvider(a.Last("--provider"));
        HashSet<string> variants = a.Last("--variants") is string v ? [.. v.Split(',', StringSplitOptions.TrimEntries)] : [.. AllVariants.Select(x => x.Name)];
        string models = Path.Combine(BenchEnvironment.SharedDir(), "models");
        ModelSpec v2 = BenchEnvironment.ResolveSpec(Path.Combine(models, "mobilenet_v2_1.0_224", "model.onnx"), "mobilenet-v2");
        ModelSpec v1 = BenchEnvironment.ResolveSpec(Path.Combine(models, "mobilenet_v1_0.5_160", "model.onnx"), "mobilenet-v1");

        var md = new Markdown(output);
        md.Line($"# Zero-query transfer between the shared MobileNets: {iterations} iterations, seed {seed}, untargeted, no minimization ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        md.Line();
        md.Header("target <- surrogate", "norm, eps", "variant", "success (verified / attacked)", "target queries / image (attack)", "verification queries / image", "surrogate gradient evaluations / image", "mean L-inf, L2 (written)", "wall s");
        string providerName = string.Empty;
        foreach ((ModelSpec target, ModelSpec surrogate) in new[] { (v2, v1), (v1, v2) })
        {
            var runtime = new OnnxClassifierOptions { Provider = provider, MaxBatch = 32 };
            using OnnxClassifier classifier = BenchEnvironment.Load(target, provider, 32);
            using OnnxGradientModel crafter = OnnxGradientModel.ForPixelGrid(surrogate, classifier.InputHeight, classifier.InputWidth, classifier.Channels, runtime, Path.Combine(Path.GetTempPath(), "advaudit-bench-gradients"));
            providerName = classifier.ProviderName;
            List<PreparedImage> photos = BenchEnvironment.LoadPhotos(imagesDir, classifier.Spec);
            var runner = new AttackRunner(classifier, ModelDescription.From(classifier), surrogates: [crafter]);
            foreach (AttackBench.BenchConfig config in configs)
            {
                foreach ((string name, string extra) in AllVariants.Where(x => variants.Contains(x.Name)))
                {
                    string spec = $"transfer:iterations={iterations}" + (extra.Length > 0 ? "," + extra : string.Empty);
                    AttackOptions options = AttackCatalog.Parse(spec, new CommonAttackSettings(config.Norm, config.Epsilon, null, seed));
                    var watch = Stopwatch.StartNew();
                    IReadOnlyList<ImageResult> results = runner.Run(photos, new AttackRequest { Attack = options, Minimize = false });
                    double wall = watch.Elapsed.TotalSeconds;
                    var attacked = results.Select(r => r.Report).Where(r => r.Outcome.Status is OutcomeStatus.Fooled or OutcomeStatus.NotFooled).ToList();
                    var fooled = attacked.Where(r => r.Outcome.Success).ToList();
                    md.Row(
                        $"{target.Name} <- {surrogate.Name}",
                        config.Name,
                        name,
                        $"{Markdown.F(attacked.Count == 0 ? 0 : 100.0 * fooled.Count / attacked.Count, "0.0")} % ({fooled.Count} / {attacked.Count})",
                        Mean(attacked.Select(r => (double)r.Outcome.Queries), "0.##"),
                        Mean(attacked.Select(r => (double)r.Outcome.VerificationQueries), "0.##"),
                        Mean(attacked.Select(r => (double)(r.Outcome.SurrogateGradientEvaluations ?? 0)), "0.#"),
                        attacked.Count == 0 ? "—" : $"{Mean(attacked.Select(r => r.Perturbation!.LInf * 255), "0.0")}/255, {Mean(attacked.Select(r => r.Perturbation!.L2), "0.00")}",
                        Markdown.F(wall, "0.0"));
                    Console.Error.WriteLine($"{target.Name} <- {surrogate.Name} {config.Name} {name}: {fooled.Count}/{attacked.Count} in {wall:0.0} s");
                }
            }
        }

        md.Line();
        md.Line("Success: photos whose adversarial image, crafted on the surrogate alone, written as an 8-bit PNG, read back and classified by the target, is not the target's clean top-1 class, over the photos attacked (the target's clean top-1 is the label, so clean accuracy is 100 % by definition). " +
            "Target queries (attack): what the attack asked the target, one per photo (the 8-bit image of the last iterate). Verification queries: the engine's re-classification of the written PNG, counted apart as for every attack. " +
            "Surrogate gradient evaluations: one forward and backward pass of the surrogate per photo per iteration; the target never sees them. " +
            "The surrogate takes the target's crop, resized inside its gradient graph (224 to 160 or 160 to 224, bilinear). Step eps / iterations, momentum 1.0; DI: probability 0.5, resized to [H, 1.1 H) and padded; TI: 7x7 Gaussian, sigma 1. " +
            "Mean L-inf, L2 (written): of the written 8-bit image minus the clean one, over the photos attacked. wall s: the whole AttackRunner.Run on this machine; never asserted.");
        md.Line();
        md.Line($"{BenchEnvironment.MachineLine()}; provider {providerName}; photos {imagesDir}.");
        md.Line($"Command: bench transfer {string.Join(' ', args)}");
        return 0;
    }

    private static string Mean(IEnumerable<double> values, string format)
    {
        List<double> list = [.. values];
        return list.Count == 0 ? "—" : Markdown.F(list.Average(), format);
    }
}
