using System.CommandLine;
using System.Globalization;
using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using Microsoft.Extensions.Logging;

namespace AttackCli;

/// <summary>The <c>attack</c> command: attacks image files and writes results per input.</summary>
internal static class AttackCommand
{
    public static Command Create(TextWriter output, TextWriter errors)
    {
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "Image files (PNG, JPEG, BMP, GIF, TIFF, TGA, WebP) or folders of them.",
            Arity = ArgumentArity.OneOrMore,
        };
        var outDir = new Option<string>("--out", "-o") { Description = "Folder for the results; each input gets <out>/<input name without extension>/.", DefaultValueFactory = _ => "out" };
        var model = new Option<string>("--model", "-m")
        {
            Description = "A preset name (see `advaudit models`; inception-v3 is downloaded once into the cache), a .onnx file (with a .json spec beside it, or --preset), or a .json spec.",
            DefaultValueFactory = _ => ModelPresets.DefaultName,
        };
        var preset = new Option<string?>("--preset") { Description = "Use this preset's preprocessing, classes and labels for the --model .onnx file (for example mobilenet-v2)." };
        var transferModels = new Option<string[]>("--transfer-model")
        {
            Description = "Also classify every verified adversarial image with this model (repeatable; a preset name, a .onnx file with a .json spec beside it or a --transfer-preset, or a .json spec). Reports get a transfer section, and <out>/summary.json, summary.html and summary.csv the transfer matrix.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var transferPresets = new Option<string[]>("--transfer-preset")
        {
            Description = "The preset that describes the .onnx file of the --transfer-model in the same position (repeat once per --transfer-model, in the same order).",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var attack = new Option<string[]>("--attack", "-a")
        {
            Description = $"The attack: {string.Join(", ", AttackCatalog.Names)}. Repeat it for a plan: the attacks run in order (see --plan-mode). Per-attack options after a colon, e.g. simba-dct:maxQueries=5000,stepSize=0.1.",
            DefaultValueFactory = _ => [SquareAttackOptions.Name],
            AllowMultipleArgumentsPerToken = false,
        };
        var planMode = new Option<string>("--plan-mode") { Description = "first-success: each attack of the plan runs only on the images the earlier ones did not fool. all: every attack runs on every image, for comparison.", DefaultValueFactory = _ => "first-success" };
        planMode.AcceptOnlyFromAmong("first-success", "all");
        var norm = new Option<string?>("--norm") { Description = "Perturbation norm: linf or l2. Default: each attack's own (linf, and l2 for simba-dct, which is L2 only)." };
        norm.AcceptOnlyFromAmong("linf", "l2");
        var eps = new Option<string?>("--eps") { Description = "Perturbation budget in [0,1] pixel units; a fraction like 4/255 is accepted. Default 0.05 for linf, 5 for l2 (the paper's ImageNet budgets)." };
        var maxQueries = new Option<int>("--max-queries") { Description = "Query budget per image, counting the initialization (the clean classification is free).", DefaultValueFactory = _ => 10_000 };
        var pInit = new Option<double?>("--p-init") { Description = "Square Attack: initial fraction of pixels per square. Default 0.05 for linf, 0.1 for l2." };
        var seed = new Option<ulong>("--seed") { Description = "Random seed; the same seed, image and model give the same result.", DefaultValueFactory = _ => 0UL };
        var targeted = new Option<string?>("--targeted") { Description = "Make the model answer this class: a label (\"toaster\"), an output index, random, or least-likely. Default: untargeted." };
        var noMinimize = new Option<bool>("--no-minimize") { Description = "Skip shrinking the perturbation after a success (eps* is then not reported)." };
        var minimizeSteps = new Option<int>("--minimize-steps") { Description = "Binary-search steps when shrinking the perturbation (one query each).", DefaultValueFactory = _ => 10 };
        var quantization = new Option<string?>("--quantization") { Description = "Square Attack: on-grid: every query is an 8-bit image, so successes survive saving as PNG. after-success: search continuous values as the paper's code does, then check the 8-bit version before stopping. Default: on-grid for linf, after-success for l2 (fewer queries there)." };
        quantization.AcceptOnlyFromAmong("on-grid", "after-success");
        var batch = new Option<int>("--batch") { Description = "Images attacked together (each iteration is one model call for all of them).", DefaultValueFactory = _ => 32 };
        var provider = new Option<string>("--provider") { Description = "Execution provider: auto (CUDA when it loads, else CPU), cuda, or cpu.", DefaultValueFactory = _ => "auto" };
        provider.AcceptOnlyFromAmong("auto", "cuda", "cpu");
        var cacheDir = new Option<string?>("--cache-dir") { Description = $"Where downloaded models are kept. Default ${ModelDownloader.CacheEnvironmentVariable} or {ModelDownloader.DefaultCacheDirectory}." };
        var maxImageMb = new Option<int>("--max-image-mb") { Description = "Largest input file accepted, in MiB.", DefaultValueFactory = _ => 50 };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Look for images in sub-folders too." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log details (model loading, batching) to standard error." };

        var command = new Command("attack", "Attack images and write, per input: clean.png, adversarial.png, perturbation.png, report.json and report.html.")
        {
            inputs, outDir, model, preset, transferModels, transferPresets, attack, planMode, norm, eps, maxQueries, pInit, seed, targeted, noMinimize, minimizeSteps, quantization, batch, provider, cacheDir, maxImageMb, recursive, verbose,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new AttackSettings
            {
                Inputs = parse.GetValue(inputs)!,
                OutDir = parse.GetValue(outDir)!,
                Model = parse.GetValue(model)!,
                Preset = parse.GetValue(preset),
                TransferModels = parse.GetValue(transferModels) ?? [],
                TransferPresets = parse.GetValue(transferPresets) ?? [],
                Attacks = parse.GetValue(attack) is { Length: > 0 } attacks ? attacks : [SquareAttackOptions.Name],
                PlanMode = parse.GetValue(planMode) == "all" ? PlanMode.All : PlanMode.FirstSuccess,
                Norm = parse.GetValue(norm) switch { "l2" => NormKind.L2, "linf" => NormKind.LInf, _ => null },
                Eps = parse.GetValue(eps),
                MaxQueries = parse.GetValue(maxQueries),
                PInit = parse.GetValue(pInit),
                Seed = parse.GetValue(seed),
                Target = parse.GetValue(targeted),
                Minimize = !parse.GetValue(noMinimize),
                MinimizeSteps = parse.GetValue(minimizeSteps),
                Quantization = parse.GetValue(quantization) switch { "after-success" => QuantizationMode.AfterSuccess, "on-grid" => QuantizationMode.OnGrid, _ => null },
                Batch = parse.GetValue(batch),
                Provider = parse.GetValue(provider) switch { "cuda" => ExecutionProviderKind.Cuda, "cpu" => ExecutionProviderKind.Cpu, _ => ExecutionProviderKind.Auto },
                CacheDir = parse.GetValue(cacheDir),
                MaxImageBytes = parse.GetValue(maxImageMb) * 1024L * 1024L,
                Recursive = parse.GetValue(recursive),
                Verbose = parse.GetValue(verbose),
            };
            return await new AttackJob(settings, output, errors).RunAsync(cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Parses an epsilon given as a decimal ("0.05") or a fraction ("4/255").</summary>
    public static double ParseEpsilon(string text) =>
        EpsilonText.TryParse(text, out double value)
            ? value
            : throw new ArgumentException($"--eps must be a number such as 0.05 or a fraction such as 4/255; got \"{text}\".");
}

/// <summary>The attack command's parsed options.</summary>
internal sealed record AttackSettings
{
    public required string[] Inputs { get; init; }

    public required string OutDir { get; init; }

    public required string Model { get; init; }

    public string? Preset { get; init; }

    public string[] TransferModels { get; init; } = [];

    public string[] TransferPresets { get; init; } = [];

    public string[] Attacks { get; init; } = [SquareAttackOptions.Name];

    public PlanMode PlanMode { get; init; }

    public NormKind? Norm { get; init; }

    public string? Eps { get; init; }

    public int MaxQueries { get; init; }

    public double? PInit { get; init; }

    public ulong Seed { get; init; }

    public string? Target { get; init; }

    public bool Minimize { get; init; }

    public int MinimizeSteps { get; init; }

    public QuantizationMode? Quantization { get; init; }

    public int Batch { get; init; }

    public ExecutionProviderKind Provider { get; init; }

    public string? CacheDir { get; init; }

    public long MaxImageBytes { get; init; }

    public bool Recursive { get; init; }

    public bool Verbose { get; init; }
}
