using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AttackCore.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace AttackCore.Gradients;

/// <summary>
/// An <see cref="IGradientModel"/> over one ONNX Runtime session of the model's derived graph (preprocessing,
/// model, losses and the reverse pass, all standard ONNX ops), on CUDA when available, with the same session
/// options as <see cref="OnnxClassifier"/>.
/// </summary>
/// <remarks>
/// <para>
/// The derived graph is built once per model (it runs the model once on the CPU to learn its shapes) and kept in
/// memory for the process and on disk under <see cref="DefaultCacheDirectory"/>, keyed by the model's SHA-256, the
/// builder version and the preprocessing and losses baked into it. A later load reads the cached file.
/// </para>
/// <para>
/// Create one instance per model and process and share it. <see cref="ComputeGradients"/> is thread-safe; each
/// call rents its input buffers from <see cref="ArrayPool{T}.Shared"/> for one <c>Run</c> and returns them, and
/// disposes every <see cref="OrtValue"/> it creates.
/// </para>
/// </remarks>
public sealed partial class OnnxGradientModel : IGradientModel, IDisposable
{
    private static readonly ConcurrentDictionary<string, Lazy<DerivedGraph>> MemoryCache = new(StringComparer.Ordinal);

    private readonly InferenceSession session;
    private readonly RunOptions runOptions = new();
    private readonly OnnxClassifierOptions options;
    private readonly int imageSize;
    private readonly int[] lossSlots;
    private readonly string[] inputNames = [GradientGraphBuilder.PixelsName, GradientGraphBuilder.LabelsName, GradientGraphBuilder.TargetsName, GradientGraphBuilder.LossWeightsName, GradientGraphBuilder.LogitWeightsName];
    private readonly string[] outputNames = [GradientGraphBuilder.LogitsName, GradientGraphBuilder.LossName, GradientGraphBuilder.GradientName];
    private volatile bool disposed;

    /// <summary>Initializes a new instance of the <see cref="OnnxGradientModel"/> class: loads the model and builds (or reads the cached) derived graph.</summary>
    /// <param name="spec">The model, as given to <see cref="OnnxClassifier"/>; <see cref="ModelSpec.OnnxPath"/> must name an existing file.</param>
    /// <param name="options">Runtime settings, shared with the classifier; <see langword="null"/> takes the defaults.</param>
    /// <param name="cacheDirectory">Where derived graphs are kept; <see langword="null"/> takes <see cref="DefaultCacheDirectory"/>.</param>
    /// <param name="logger">Receives the provider choice and cache use; <see langword="null"/> logs nothing.</param>
    /// <exception cref="ModelSpecException">The spec is invalid, or the file is missing or has the wrong SHA-256.</exception>
    /// <exception cref="GradientNotSupportedException">The model contains an operator (named in the message) that cannot be differentiated.</exception>
    public OnnxGradientModel(ModelSpec spec, OnnxClassifierOptions? options = null, string? cacheDirectory = null, ILogger? logger = null)
        : this(spec, options, cacheDirectory, logger, pixelGrid: null)
    {
    }

    private OnnxGradientModel(ModelSpec spec, OnnxClassifierOptions? options, string? cacheDirectory, ILogger? logger, (int Height, int Width)? pixelGrid)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ModelSpecLoader.Validate(spec);
        this.options = options ?? new OnnxClassifierOptions();
        this.options.Validate();
        var log = logger ?? NullLogger.Instance;
        Spec = spec;
        if (string.IsNullOrEmpty(spec.OnnxPath) || !File.Exists(spec.OnnxPath))
        {
            throw new ModelSpecException($"Model '{spec.Name}': ONNX file '{spec.OnnxPath ?? "(onnxPath not set)"}' does not exist.");
        }

        var bytes = File.ReadAllBytes(spec.OnnxPath);
        ModelSha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (spec.Sha256 is not null && !string.Equals(spec.Sha256, ModelSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelSpecException($"Model '{spec.Name}': '{spec.OnnxPath}' has SHA-256 {ModelSha256}, expected {spec.Sha256.ToLowerInvariant()}.");
        }

        Spec = spec = ModelSpecLoader.ResolveChannels(spec, OnnxModelEditor.ReadInputs(bytes));
        Labels = LabelSet.Resolve(spec);
        (InputHeight, InputWidth) = pixelGrid ?? (spec.InputSize, spec.InputSize);
        imageSize = spec.AttackChannels * InputHeight * InputWidth;
        string key = CacheKey(spec, ModelSha256, pixelGrid);
        CachePath = Path.Combine(cacheDirectory ?? DefaultCacheDirectory, key + ".onnx");
        var grid = pixelGrid;
        var derived = MemoryCache.GetOrAdd(CachePath, path => new Lazy<DerivedGraph>(() => LoadOrBuild(bytes, spec, grid, path, log))).Value;
        SupportedLosses = derived.Losses;
        lossSlots = [.. Enum.GetValues<GradientLoss>().Select(l => derived.Losses.ToList().IndexOf(l))];
        (session, ProviderName, _) = OnnxSessions.Create(derived.Model, this.options, spec.Name, log);
        SupportsBatching = !session.ModelMetadata.CustomMetadataMap.TryGetValue(GradientGraphBuilder.BatchingKey, out var batching) || batching == "true";
        LogLoaded(log, spec.Name, ProviderName, SupportsBatching, CachePath);
    }

    /// <summary>
    /// Loads a surrogate for attacks on another model's pixel grid: the derived graph takes images of
    /// <paramref name="height"/> x <paramref name="width"/> and resizes them bilinearly to the surrogate's own input
    /// inside the graph (as PyTorch's <c>F.interpolate(mode="bilinear", align_corners=False)</c>), so its gradient is
    /// with respect to the target's pixels. The surrogate's own preprocessing follows the resize, as for any model.
    /// </summary>
    /// <param name="spec">The surrogate, as for the constructor.</param>
    /// <param name="height">The target's input height.</param>
    /// <param name="width">The target's input width.</param>
    /// <param name="channels">The target's planes (3 RGB, 1 gray); the surrogate must take the same.</param>
    /// <param name="options">Runtime settings; <see langword="null"/> takes the defaults.</param>
    /// <param name="cacheDirectory">Where derived graphs are kept; <see langword="null"/> takes <see cref="DefaultCacheDirectory"/>.</param>
    /// <param name="logger">Receives the provider choice and cache use; <see langword="null"/> logs nothing.</param>
    /// <returns>The surrogate's gradient model on the target's grid.</returns>
    /// <exception cref="ModelSpecException">The spec is invalid, the file is missing, or its channels differ from the target's.</exception>
    /// <exception cref="GradientNotSupportedException">The model contains an operator that cannot be differentiated.</exception>
    public static OnnxGradientModel ForPixelGrid(ModelSpec spec, int height, int width, int channels, OnnxClassifierOptions? options = null, string? cacheDirectory = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var model = new OnnxGradientModel(spec, options, cacheDirectory, logger, (height, width));
        if (model.Channels != channels)
        {
            string Kind(int c) => c == 1 ? "gray (1 channel)" : "RGB (3 channels)";
            model.Dispose();
            throw new ModelSpecException(
                $"Surrogate '{spec.Name}' takes {Kind(model.Channels)} images and the target {Kind(channels)}; a surrogate must see the target's channels. Use a surrogate trained on {Kind(channels)} images.");
        }

        return model;
    }

    /// <summary>Gets the default folder of derived graphs: <c>gradients/</c> inside <see cref="ModelDownloader.DefaultCacheDirectory"/>.</summary>
    public static string DefaultCacheDirectory => Path.Combine(ModelDownloader.DefaultCacheDirectory, "gradients");

    /// <summary>Gets the spec the model was built from.</summary>
    public ModelSpec Spec { get; }

    /// <summary>Gets the lower-case hex SHA-256 of the ONNX file.</summary>
    public string ModelSha256 { get; }

    /// <summary>Gets the file the derived graph is cached in.</summary>
    public string CachePath { get; }

    /// <summary>Gets the execution provider in use: <see cref="OnnxClassifier.CudaProviderName"/> or <see cref="OnnxClassifier.CpuProviderName"/>.</summary>
    public string ProviderName { get; }

    /// <summary>Gets whether several images go through one <c>Run</c>; <see langword="false"/> when the model hard-codes a batch of 1.</summary>
    public bool SupportsBatching { get; }

    /// <inheritdoc/>
    /// <value>The model's input size, or the target's grid for a surrogate (<see cref="ForPixelGrid"/>).</value>
    public int InputHeight { get; }

    /// <inheritdoc/>
    /// <value>The model's input size, or the target's grid for a surrogate (<see cref="ForPixelGrid"/>).</value>
    public int InputWidth { get; }

    /// <inheritdoc/>
    public int Channels => Spec.AttackChannels;

    /// <inheritdoc/>
    public int NumClasses => Spec.NumClasses;

    /// <inheritdoc/>
    public IReadOnlyList<string> Labels { get; }

    /// <inheritdoc/>
    public IReadOnlyList<GradientLoss> SupportedLosses { get; }

    /// <inheritdoc/>
    public void ComputeGradients(
        ReadOnlySpan<float> images,
        int count,
        GradientLoss loss,
        ReadOnlySpan<int> labels,
        ReadOnlySpan<int> targets,
        Span<float> logits,
        Span<float> losses,
        Span<float> gradients)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int slot = Enum.IsDefined(loss) ? lossSlots[(int)loss] : -1;
        if (slot < 0)
        {
            throw new ArgumentException($"Loss {loss} is not supported by model '{Spec.Name}' ({NumClasses} classes); supported: {string.Join(", ", SupportedLosses)}.", nameof(loss));
        }

        bool targeted = loss is GradientLoss.TargetedCrossEntropy or GradientLoss.TargetedMargin or GradientLoss.TargetedDlr;
        Require(images.Length, (long)count * imageSize, nameof(images));
        Require(labels.Length, count, nameof(labels));
        Require(logits.Length, (long)count * NumClasses, nameof(logits));
        Require(losses.Length, count, nameof(losses));
        Require(gradients.Length, (long)count * imageSize, nameof(gradients));
        if (targeted)
        {
            Require(targets.Length, count, nameof(targets));
        }

        CheckClasses(labels[..count], nameof(labels));
        if (targeted)
        {
            CheckClasses(targets[..count], nameof(targets));
        }

        int chunk = SupportsBatching ? options.MaxBatch : 1;
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            RunChunk(
                images.Slice(start * imageSize, n * imageSize),
                n,
                slot,
                labels.Slice(start, n),
                targeted ? targets.Slice(start, n) : labels.Slice(start, n),
                [],
                logits.Slice(start * NumClasses, n * NumClasses),
                losses.Slice(start, n),
                gradients.Slice(start * imageSize, n * imageSize));
        }
    }

    /// <inheritdoc/>
    public void ComputeLogitGradients(
        ReadOnlySpan<float> images,
        int count,
        ReadOnlySpan<float> weights,
        Span<float> logits,
        Span<float> losses,
        Span<float> gradients)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Require(images.Length, (long)count * imageSize, nameof(images));
        Require(weights.Length, (long)count * NumClasses, nameof(weights));
        Require(logits.Length, (long)count * NumClasses, nameof(logits));
        Require(losses.Length, count, nameof(losses));
        Require(gradients.Length, (long)count * imageSize, nameof(gradients));
        foreach (float w in weights[..(count * NumClasses)])
        {
            if (!float.IsFinite(w))
            {
                throw new ArgumentException(Invariant($"weights holds {w}; every logit weight must be finite."), nameof(weights));
            }
        }

        // Labels and targets are read by the other loss columns only (weighted zero here); class 0 keeps them in range.
        int chunk = SupportsBatching ? options.MaxBatch : 1;
        int[] zeros = ArrayPool<int>.Shared.Rent(Math.Min(chunk, Math.Max(count, 1)));
        try
        {
            Array.Clear(zeros);
            for (int start = 0; start < count; start += chunk)
            {
                int n = Math.Min(chunk, count - start);
                RunChunk(
                    images.Slice(start * imageSize, n * imageSize),
                    n,
                    SupportedLosses.Count,
                    zeros.AsSpan(0, n),
                    zeros.AsSpan(0, n),
                    weights.Slice(start * NumClasses, n * NumClasses),
                    logits.Slice(start * NumClasses, n * NumClasses),
                    losses.Slice(start, n),
                    gradients.Slice(start * imageSize, n * imageSize));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(zeros);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        session.Dispose();
        runOptions.Dispose();
    }

    /// <summary>The cache file name: model hash, builder version, and a hash of everything else baked into the graph.</summary>
    internal static string CacheKey(ModelSpec spec, string modelSha256, (int Height, int Width)? pixelGrid = null)
    {
        var baked = string.Join(
            "|",
            spec.InputName,
            spec.OutputName,
            spec.InputSize.ToString(CultureInfo.InvariantCulture),
            spec.Layout,
            spec.ChannelOrder,
            spec.InputChannels.ToString(CultureInfo.InvariantCulture),
            spec.Scaling,
            string.Join(",", spec.Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            string.Join(",", spec.Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            spec.NumClasses.ToString(CultureInfo.InvariantCulture),
            spec.Output,
            string.Join(",", GradientGraphBuilder.LossesFor(spec.NumClasses)))
            + (pixelGrid is { } grid && grid != (spec.InputSize, spec.InputSize) ? Invariant($"|grid {grid.Height}x{grid.Width}") : string.Empty);
        string bakedHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(baked)))[..16];
        return Invariant($"{modelSha256}-grad{GradientGraphBuilder.Version}-{bakedHash}");
    }

    private static DerivedGraph LoadOrBuild(byte[] bytes, ModelSpec spec, (int Height, int Width)? grid, string path, ILogger logger)
    {
        var losses = GradientGraphBuilder.LossesFor(spec.NumClasses);
        if (File.Exists(path))
        {
            LogCacheHit(logger, spec.Name, path);
            return new DerivedGraph(File.ReadAllBytes(path), losses);
        }

        var derived = GradientGraphBuilder.BuildForClassifier(bytes, spec, grid);
        try
        {
            // Written to a temporary name and moved, so a concurrent reader never sees a partial file.
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllBytes(temporary, derived.Model);
            File.Move(temporary, path, overwrite: true);
        }
        catch (IOException ex)
        {
            LogCacheWriteFailed(logger, spec.Name, path, ex.Message);
        }
        catch (UnauthorizedAccessException ex)
        {
            LogCacheWriteFailed(logger, spec.Name, path, ex.Message);
        }

        return derived;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static void Require(int length, long needed, string name)
    {
        if (length < needed)
        {
            throw new ArgumentException(Invariant($"{name} holds {length} values; {needed} are needed."), name);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded gradient model {Model} on {Provider}, batching {Batching}, derived graph {Path}")]
    private static partial void LogLoaded(ILogger logger, string model, string provider, bool batching, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gradient model {Model}: derived graph read from the cache {Path}")]
    private static partial void LogCacheHit(ILogger logger, string model, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gradient model {Model}: could not cache the derived graph at {Path}: {Reason}")]
    private static partial void LogCacheWriteFailed(ILogger logger, string model, string path, string reason);

    private void CheckClasses(ReadOnlySpan<int> classes, string name)
    {
        foreach (int c in classes)
        {
            if ((uint)c >= (uint)NumClasses)
            {
                throw new ArgumentException(Invariant($"{name} holds class {c}; classes are 0 to {NumClasses - 1}."), name);
            }
        }
    }

    private void RunChunk(
        ReadOnlySpan<float> images,
        int n,
        int slot,
        ReadOnlySpan<int> labels,
        ReadOnlySpan<int> targets,
        ReadOnlySpan<float> logitWeights,
        Span<float> logits,
        Span<float> losses,
        Span<float> gradients)
    {
        // logitWeights: n x classes for the weighted-logit slot, empty (zeros fed) for the other losses.
        // Owned by this call only: rented here, pinned by the OrtValues during Run, returned below.
        int length = n * imageSize;
        float[] pixels = ArrayPool<float>.Shared.Rent(length);
        long[] classes = ArrayPool<long>.Shared.Rent(2 * n);
        int slots = SupportedLosses.Count + 1;
        float[] weights = ArrayPool<float>.Shared.Rent(slots);
        float[] logitWeightValues = ArrayPool<float>.Shared.Rent(n * NumClasses);
        try
        {
            images.CopyTo(pixels);
            for (int i = 0; i < n; i++)
            {
                classes[i] = labels[i];
                classes[n + i] = targets[i];
            }

            Array.Clear(weights, 0, slots);
            weights[slot] = 1f;
            if (logitWeights.IsEmpty)
            {
                Array.Clear(logitWeightValues, 0, n * NumClasses);
            }
            else
            {
                logitWeights.CopyTo(logitWeightValues);
            }

            using var pixelValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels.AsMemory(0, length), [n, Channels, InputHeight, InputWidth]);
            using var labelValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, classes.AsMemory(0, n), [n]);
            using var targetValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, classes.AsMemory(n, n), [n]);
            using var weightValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, weights.AsMemory(0, slots), [slots]);
            using var logitWeightValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, logitWeightValues.AsMemory(0, n * NumClasses), [n, NumClasses]);
            using var results = session.Run(runOptions, inputNames, [pixelValue, labelValue, targetValue, weightValue, logitWeightValue], outputNames);
            results[0].GetTensorDataAsSpan<float>()[..(n * NumClasses)].CopyTo(logits);
            results[1].GetTensorDataAsSpan<float>()[..n].CopyTo(losses);
            results[2].GetTensorDataAsSpan<float>()[..length].CopyTo(gradients);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pixels);
            ArrayPool<long>.Shared.Return(classes);
            ArrayPool<float>.Shared.Return(weights);
            ArrayPool<float>.Shared.Return(logitWeightValues);
        }
    }
}
