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
        var surrogates = new Option<string[]>("--surrogate")
        {
            Description = "A surrogate model you own, for attacks that craft on surrogates (transfer): its gradients shape the image and the --model target is only queried to check it (repeatable; a preset name, a .onnx file with a .json spec beside it or a --surrogate-preset, or a .json spec). A surrogate with another input size sees the target's crop resized.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var surrogatePresets = new Option<string[]>("--surrogate-preset")
        {
            Description = "The preset that describes the .onnx file of the --surrogate in the same position (repeat once per --surrogate, in the same order).",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var attack = new Option<string[]>(CliNames[AttackSetting.Attacks], "-a")
        {
            Description = $"The attack: {string.Join(", ", AttackCatalog.Names)}. Repeat it for a plan: the attacks run in order (see --plan-mode). Per-attack options after a colon, e.g. simba-dct:maxQueries=5000,stepSize=0.1.",
            DefaultValueFactory = _ => [SquareAttackOptions.Name],
            AllowMultipleArgumentsPerToken = false,
        };
        var planMode = new Option<string>(CliNames[AttackSetting.PlanMode]) { Description = "first-success: each attack of the plan runs only on the images the earlier ones did not fool. all: every attack runs on every image, for comparison.", DefaultValueFactory = _ => "first-success" };
        planMode.AcceptOnlyFromAmong("first-success", "all");
        var norm = new Option<string?>(CliNames[AttackSetting.Norm]) { Description = "Perturbation norm: linf or l2. Default: each attack's own (linf, and l2 for simba-dct, which is L2 only)." };
        norm.AcceptOnlyFromAmong("linf", "l2");
        var eps = new Option<string?>(CliNames[AttackSetting.Epsilon]) { Description = "Perturbation budget in [0,1] pixel units; a fraction like 4/255 is accepted. Default 0.05 for linf, 5 for l2 (the paper's ImageNet budgets)." };
        var maxQueries = new Option<string>(CliNames[AttackSetting.MaxQueries]) { Description = "Query budget per image and attack, counting the initialization (the clean classification is free).", DefaultValueFactory = _ => "10000" };
        var pInit = new Option<string?>(CliNames[AttackSetting.PInit]) { Description = "Square Attack: initial fraction of pixels per square, for every square attack of the plan (the same as square:pInit=...; a spec's own pInit wins). Default 0.05 for linf, 0.1 for l2." };
        var seed = new Option<string>(CliNames[AttackSetting.Seed]) { Description = "Random seed; the same seed, image and model give the same result.", DefaultValueFactory = _ => "0" };
        var targeted = new Option<string?>(CliNames[AttackSetting.Target]) { Description = "Make the model answer this class: a label (\"toaster\"), an output index, random, or least-likely. Default: untargeted." };
        var noMinimize = new Option<bool>(CliNames[AttackSetting.Minimize]) { Description = "Skip shrinking the perturbation after a success (eps* is then not reported)." };
        var minimizeSteps = new Option<string>(CliNames[AttackSetting.MinimizeSteps]) { Description = "Binary-search steps when shrinking the perturbation (one query each), 1 to 50.", DefaultValueFactory = _ => "10" };
        var quantization = new Option<string?>(CliNames[AttackSetting.Quantization]) { Description = "Square Attack, for every square attack of the plan (the same as square:quantization=...; a spec's own wins): on-grid: every query is an 8-bit image, so successes survive saving as PNG. after-success: search continuous values as the paper's code does, then check the 8-bit version before stopping. Default: on-grid for linf, after-success for l2 (fewer queries there)." };
        quantization.AcceptOnlyFromAmong("on-grid", "after-success");
        var batch = new Option<int>("--batch") { Description = "Images attacked together (each iteration is one model call for all of them).", DefaultValueFactory = _ => 32 };
        var provider = new Option<string>("--provider") { Description = "Execution provider: auto (CUDA when it loads, else CPU), cuda, or cpu.", DefaultValueFactory = _ => "auto" };
        provider.AcceptOnlyFromAmong("auto", "cuda", "cpu");
        var cacheDir = new Option<string?>("--cache-dir") { Description = $"Where downloaded models are kept. Default ${ModelDownloader.CacheEnvironmentVariable} or {ModelDownloader.DefaultCacheDirectory}." };
        var maxImageMb = new Option<int>("--max-image-mb") { Description = "Largest input file accepted, in MiB.", DefaultValueFactory = _ => 50 };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Look for images in sub-folders too." };
        var labels = new Option<string?>("--labels") { Description = $"True classes, for clean and robust accuracy in the summary: a CSV file of file name and class (an output index or a label), or \"{TrueLabels.FromFolders}\" when each image is in a folder named by its class (photos/tabby/1.png). Default: the clean top-1 class is taken as the true one." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log details (model loading, batching) to standard error." };

        var command = new Command("attack", "Attack images and write, per input: clean.png, adversarial.png, perturbation.png, report.json and report.html.")
        {
            inputs, outDir, model, preset, transferModels, transferPresets, surrogates, surrogatePresets, attack, planMode, norm, eps, maxQueries, pInit, seed, targeted, noMinimize, minimizeSteps, quantization, batch, provider, cacheDir, maxImageMb, recursive, labels, verbose,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            // A mistyped option (--max-querys 100) would otherwise be taken as two input paths and the attack would run
            // with the default; refuse it before any work, with the closest option's name.
            if (UnknownOption(parse.GetValue(inputs) ?? [], command) is string unknown)
            {
                await errors.WriteLineAsync($"error: {unknown}").ConfigureAwait(false);
                return 2;
            }

            // The attack settings travel as the text the user typed, so the one settings parser reads them (and names
            // these options in its errors); the rest are the command's own.
            var attackValues = new List<KeyValuePair<AttackSetting, string>>
            {
                new(AttackSetting.Attacks, string.Join(";", parse.GetValue(attack) is { Length: > 0 } attacks ? attacks : [SquareAttackOptions.Name])),
                new(AttackSetting.PlanMode, parse.GetValue(planMode)!),
                new(AttackSetting.MaxQueries, parse.GetValue(maxQueries)!),
                new(AttackSetting.Seed, parse.GetValue(seed)!),
                new(AttackSetting.Minimize, parse.GetValue(noMinimize) ? "false" : "true"),
                new(AttackSetting.MinimizeSteps, parse.GetValue(minimizeSteps)!),
            };
            foreach ((AttackSetting setting, string? text) in new[] { (AttackSetting.Norm, parse.GetValue(norm)), (AttackSetting.Epsilon, parse.GetValue(eps)), (AttackSetting.PInit, parse.GetValue(pInit)), (AttackSetting.Target, parse.GetValue(targeted)), (AttackSetting.Quantization, parse.GetValue(quantization)) })
            {
                if (text is not null)
                {
                    attackValues.Add(new(setting, text));
                }
            }

            var settings = new AttackJobSettings
            {
                Inputs = parse.GetValue(inputs)!,
                OutDir = parse.GetValue(outDir)!,
                Model = parse.GetValue(model)!,
                Preset = parse.GetValue(preset),
                TransferModels = parse.GetValue(transferModels) ?? [],
                TransferPresets = parse.GetValue(transferPresets) ?? [],
                Surrogates = parse.GetValue(surrogates) ?? [],
                SurrogatePresets = parse.GetValue(surrogatePresets) ?? [],
                AttackValues = attackValues,
                Batch = parse.GetValue(batch),
                Provider = parse.GetValue(provider) switch { "cuda" => ExecutionProviderKind.Cuda, "cpu" => ExecutionProviderKind.Cpu, _ => ExecutionProviderKind.Auto },
                CacheDir = parse.GetValue(cacheDir),
                MaxImageBytes = parse.GetValue(maxImageMb) * 1024L * 1024L,
                Recursive = parse.GetValue(recursive),
                Labels = parse.GetValue(labels),
                Verbose = parse.GetValue(verbose),
            };
            return await new AttackJob(settings, output, errors).RunAsync(cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Gets the command line's names of the attack settings, as its errors name them.</summary>
    public static AttackSettingNames CliNames { get; } = new(new Dictionary<AttackSetting, string>
    {
        [AttackSetting.Attacks] = "--attack",
        [AttackSetting.PlanMode] = "--plan-mode",
        [AttackSetting.Norm] = "--norm",
        [AttackSetting.Epsilon] = "--eps",
        [AttackSetting.MaxQueries] = "--max-queries",
        [AttackSetting.Seed] = "--seed",
        [AttackSetting.Target] = "--targeted",
        [AttackSetting.Minimize] = "--no-minimize",
        [AttackSetting.MinimizeSteps] = "--minimize-steps",
        [AttackSetting.PInit] = "--p-init",
        [AttackSetting.Quantization] = "--quantization",
    });

    /// <summary>Parses an epsilon given as a decimal ("0.05") or a fraction ("4/255"), as <c>--eps</c> reads it.</summary>
    public static double ParseEpsilon(string text) =>
        AttackSettings.Parse([new(CliNames[AttackSetting.Epsilon], text)], CliNames).Epsilon!.Value;

    /// <summary>
    /// Says what is wrong when an input looks like an option but none of the command's options has that name (and no
    /// file or folder of that name exists), with the closest option's name; otherwise <see langword="null"/>.
    /// </summary>
    internal static string? UnknownOption(IEnumerable<string> inputs, Command command)
    {
        var names = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal)).Distinct().ToList();
        foreach (string input in inputs)
        {
            if (!input.StartsWith('-') || input.Length < 2 || File.Exists(input) || Directory.Exists(input))
            {
                continue;
            }

            string name = input.Split('=', 2)[0];
            string? closest = names.OrderBy(n => Distance(n, name)).FirstOrDefault();
            string hint = closest is not null && Distance(closest, name) <= Math.Max(2, name.Length / 3) ? $" Did you mean {closest}?" : string.Empty;
            return $"unknown option {name}.{hint} Run `advaudit attack --help` for the options.";
        }

        return null;
    }

    /// <summary>The edit distance (insertions, deletions, substitutions) between two names.</summary>
    private static int Distance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            row[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }
}

/// <summary>The attack command's parsed options: the attack settings as typed, and the command's own.</summary>
internal sealed record AttackJobSettings
{
    public required string[] Inputs { get; init; }

    public required string OutDir { get; init; }

    public required string Model { get; init; }

    public string? Preset { get; init; }

    public string[] TransferModels { get; init; } = [];

    public string[] TransferPresets { get; init; } = [];

    /// <summary>Gets the <c>--surrogate</c> models, in order.</summary>
    public string[] Surrogates { get; init; } = [];

    /// <summary>Gets the <c>--surrogate-preset</c> of each surrogate, in order (empty, or one per surrogate).</summary>
    public string[] SurrogatePresets { get; init; } = [];

    /// <summary>Gets the attack settings as the user typed them, read by <see cref="AttackSettings"/>.</summary>
    public IReadOnlyList<KeyValuePair<AttackSetting, string>> AttackValues { get; init; } = [];

    public int Batch { get; init; }

    public ExecutionProviderKind Provider { get; init; }

    public string? CacheDir { get; init; }

    public long MaxImageBytes { get; init; }

    public bool Recursive { get; init; }

    /// <summary>Gets the <c>--labels</c> value (a CSV path or <see cref="TrueLabels.FromFolders"/>), or <see langword="null"/>.</summary>
    public string? Labels { get; init; }

    public bool Verbose { get; init; }
}
