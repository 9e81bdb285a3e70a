using System.Runtime.InteropServices;
using AttackCore.Engine;
using AttackCore.Models;

namespace AttackBench;

/// <summary>Finds the repository, the shared folder (models, photos) and builds classifiers and prepared photos.</summary>
internal static class BenchEnvironment
{
    private static readonly string[] PhotoExtensions = [".png", ".jpg", ".jpeg"];

    /// <summary>The folder holding Serverless.sln, found by walking up from the current directory.</summary>
    public static string RepoRoot()
    {
        for (DirectoryInfo? dir = new(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Serverless.sln not found above {Directory.GetCurrentDirectory()}; run from inside the repository or pass paths explicitly.");
    }

    /// <summary>The shared folder beside the repository (../shared from the root).</summary>
    public static string SharedDir() => Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared"));

    public static string DefaultModelPath() => Path.Combine(SharedDir(), "models", "mobilenet_v2_1.0_224", "model.onnx");

    public static string DefaultImagesDir() => Path.Combine(SharedDir(), "images");

    /// <summary>The random-weight Inception v3 made by scripts/export_inception_v3_random.py, when it exists.</summary>
    public static string InceptionRandomPath() => Path.Combine(RepoRoot(), "bench", "models", "inception_v3_random.onnx");

    /// <summary>Resolves a model: .json spec; .onnx with a preset (its preprocessing, the file's own hash); .onnx with a sidecar; or a preset name.</summary>
    public static ModelSpec ResolveSpec(string model, string? preset)
    {
        if (preset is not null)
        {
            if (!ModelPresets.TryGet(preset, out ModelSpec? spec))
            {
                throw new ArgumentException($"unknown preset '{preset}'; presets: {string.Join(", ", ModelPresets.Names)}");
            }

            return spec with { OnnxPath = Path.GetFullPath(model), Sha256 = null, DownloadUrl = null };
        }

        ModelSpec resolved = ModelResolver.Resolve(model);
        if (resolved.OnnxPath is null || !File.Exists(resolved.OnnxPath))
        {
            throw new ArgumentException($"model '{model}' has no local ONNX file; pass --model FILE.onnx --preset NAME or a .json spec");
        }

        return resolved;
    }

    /// <summary>The model of <c>--model</c> (with <c>--preset</c>), or the shared MobileNet v2 with preset <c>mobilenet-v2</c> when none is given.</summary>
    public static ModelSpec SpecFromArgs(BenchArgs a) =>
        a.Last("--model") is string model ? ResolveSpec(model, a.Last("--preset")) : ResolveSpec(DefaultModelPath(), "mobilenet-v2");

    /// <summary>What the tables say about the machine: core count, architecture, OS and .NET version.</summary>
    public static string MachineLine() =>
        $"CPU count {Environment.ProcessorCount} ({RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.OSDescription}), .NET {Environment.Version}";

    public static OnnxClassifier Load(ModelSpec spec, ExecutionProviderKind provider, int maxBatch) =>
        new(spec, new OnnxClassifierOptions { Provider = provider, MaxBatch = Math.Max(32, maxBatch) });

    /// <summary>Every photo in <paramref name="folder"/> (sorted by name), prepared for the model as the CLI does.</summary>
    public static List<PreparedImage> LoadPhotos(string folder, ModelSpec spec)
    {
        var files = Directory.EnumerateFiles(folder)
            .Where(f => PhotoExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new InvalidOperationException($"no photos in {folder}");
        }

        return files.Select(f => PreparedImage.Load(Path.GetFileName(f), File.ReadAllBytes(f), spec)).ToList();
    }

    public static ExecutionProviderKind ParseProvider(string? text) => text?.ToLowerInvariant() switch
    {
        null or "auto" => ExecutionProviderKind.Auto,
        "cpu" => ExecutionProviderKind.Cpu,
        "cuda" => ExecutionProviderKind.Cuda,
        _ => throw new ArgumentException($"--provider must be auto, cpu or cuda; got '{text}'"),
    };
}
