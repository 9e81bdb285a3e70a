using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttackCore.Models;

/// <summary>
/// An <see cref="IClassifier"/> over one ONNX Runtime <see cref="InferenceSession"/>, on CUDA when available.
/// </summary>
/// <remarks>
/// <para>
/// Create one instance per model and process and share it (a DI singleton): the session holds the weights and,
/// on a GPU, the cuDNN algorithm choices per input shape. <see cref="Predict"/> is thread-safe; each call rents
/// its input buffer from <see cref="ArrayPool{T}.Shared"/> for the duration of one <c>Run</c> and returns it
/// before the call ends, so nothing large is allocated per query.
/// </para>
/// <para>
/// Model Zoo files fix the batch to 1. Such a model is rewritten with
/// <see cref="OnnxModelEditor.MakeBatchDimensionSymbolic"/> and then checked: two random images scored as one
/// batch must match the same images scored one at a time. When they do not (a node hard-codes the batch), the
/// classifier runs one image per <c>Run</c> and says why in the log; results stay correct, only slower.
/// </para>
/// </remarks>
public sealed partial class OnnxClassifier : IClassifier, IDisposable
{
    /// <summary>The provider name reported when the model runs on CUDA.</summary>
    public const string CudaProviderName = "CUDAExecutionProvider";

    /// <summary>The provider name reported when the model runs on the CPU.</summary>
    public const string CpuProviderName = "CPUExecutionProvider";

    private const float ProbabilityFloor = 1e-30f;
    private const double VerifyTolerance = 1e-4;

    private readonly ILogger logger;
    private readonly OnnxClassifierOptions options;
    private readonly InferenceSession session;
    private readonly RunOptions runOptions = new();
    private readonly string[] inputNames;
    private readonly string[] outputNames;
    private readonly int[] buckets;
    private readonly long[]?[] shapes;
    private readonly int imageSize;
    private readonly int plane;
    private readonly int modelChannels;
    private readonly int[] sourceChannel;
    private readonly float[] subtract;
    private readonly float[] multiply;
    private volatile bool disposed;

    /// <summary>Initializes a new instance of the <see cref="OnnxClassifier"/> class: loads, checks and prepares the model.</summary>
    /// <param name="spec">The model; <see cref="ModelSpec.OnnxPath"/> must name an existing file.</param>
    /// <param name="options">Runtime settings; <see langword="null"/> takes the defaults.</param>
    /// <param name="logger">Receives the provider choice and batching decisions; <see langword="null"/> logs nothing.</param>
    /// <exception cref="ModelSpecException">The spec is invalid, the file is missing or its hash differs, or the model's shapes contradict the spec.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException"><see cref="ExecutionProviderKind.Cuda"/> was requested and CUDA is unavailable.</exception>
    public OnnxClassifier(ModelSpec spec, OnnxClassifierOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ModelSpecLoader.Validate(spec);
        this.options = options ?? new OnnxClassifierOptions();
        this.options.Validate();
        this.logger = logger ?? NullLogger.Instance;
        Spec = spec;

        if (string.IsNullOrEmpty(spec.OnnxPath) || !File.Exists(spec.OnnxPath))
        {
            throw new ModelSpecException(
                $"Model '{spec.Name}': ONNX file '{spec.OnnxPath ?? "(onnxPath not set)"}' does not exist. " +
                "Resolve presets with ModelResolver (it downloads them) or set onnxPath.");
        }

        var original = File.ReadAllBytes(spec.OnnxPath);
        ModelSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(original));
        if (spec.Sha256 is not null && !string.Equals(spec.Sha256, ModelSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelSpecException(
                $"Model '{spec.Name}': '{spec.OnnxPath}' has SHA-256 {ModelSha256}, expected {spec.Sha256.ToLowerInvariant()}. " +
                "The file is corrupt or a different model; delete it to download it again, or remove sha256 from the spec.");
        }

        Labels = LabelSet.Resolve(spec);
        plane = spec.InputSize * spec.InputSize;

        bool rewritten = false;
        try
        {
            var declared = OnnxModelEditor.ReadInputs(original);
            Spec = spec = ModelSpecLoader.ResolveChannels(spec, declared);
            var declaredInput = declared.FirstOrDefault(i => spec.InputName is null || i.Name == spec.InputName);
            bool fixedBatch = declaredInput is { Dims.Count: > 0 } && declaredInput.Dims[0].Value == 1;
            var model = original;
            if (fixedBatch && this.options.MakeBatchSymbolic)
            {
                model = OnnxModelEditor.MakeBatchDimensionSymbolic(original);
                rewritten = !ReferenceEquals(model, original);
            }

            (session, ProviderName, ProviderNote) = CreateSession(model, rewritten ? original : null, ref rewritten);
        }
        catch (Exception ex) when (IsNotAnOnnxModel(ex))
        {
            // The parser's own words ("SkipLastField called on an end-group tag") say nothing to the person who chose the file.
            throw new ModelSpecException(
                $"Model '{spec.Name}': '{spec.OnnxPath}' is not a valid ONNX model: the file is damaged or is not an ONNX file. " +
                "Check that the path names the .onnx file itself, or export the model again.",
                ex);
        }

        modelChannels = spec.InputChannels;
        imageSize = spec.AttackChannels * plane;
        sourceChannel = new int[modelChannels];
        subtract = new float[modelChannels];
        multiply = new float[modelChannels];
        PrepareScaling(spec);

        inputNames = [ResolveName(session.InputNames, spec.InputName, "inputName")];
        outputNames = [ResolveName(session.OutputNames, spec.OutputName, "outputName")];
        InputName = inputNames[0];
        OutputName = outputNames[0];
        bool symbolicBatch = CheckShapes();

        buckets = ProviderName == CudaProviderName ? [.. this.options.EffectiveBatchBuckets.Distinct().Order()] : [];
        shapes = new long[]?[Math.Max(this.options.MaxBatch, buckets.Length == 0 ? 1 : buckets[^1]) + 1];

        SupportsBatching = symbolicBatch;
        if (rewritten && SupportsBatching)
        {
            SupportsBatching = VerifyBatching(out var reason);
            if (SupportsBatching)
            {
                LogBatchRewritten(this.logger, spec.Name);
            }
            else
            {
                LogBatchFallback(this.logger, spec.Name, reason);
            }
        }
        else if (!symbolicBatch)
        {
            LogBatchFallback(this.logger, spec.Name, "the model's batch dimension is fixed and MakeBatchSymbolic is off");
        }

        LogLoaded(this.logger, spec.Name, ProviderName, SupportsBatching, ModelSha256);
    }

    /// <summary>Gets the spec the classifier was built from, with <see cref="ModelSpec.Channels"/> as the ONNX input declares it.</summary>
    public ModelSpec Spec { get; }

    /// <summary>Gets the execution provider in use: <see cref="CudaProviderName"/> or <see cref="CpuProviderName"/>.</summary>
    public string ProviderName { get; }

    /// <summary>Gets why that provider was chosen, for example "CUDA unavailable: libcublasLt.so.13 not found; using CPU".</summary>
    public string ProviderNote { get; }

    /// <summary>Gets the lower-case hex SHA-256 of the ONNX file as read from disk (before any rewrite).</summary>
    public string ModelSha256 { get; }

    /// <summary>Gets whether several images go through one <c>Run</c>; <see langword="false"/> means one run per image.</summary>
    public bool SupportsBatching { get; }

    /// <summary>Gets the name of the input tensor fed.</summary>
    public string InputName { get; }

    /// <summary>Gets the name of the output tensor read.</summary>
    public string OutputName { get; }

    /// <inheritdoc/>
    public int InputHeight => Spec.InputSize;

    /// <inheritdoc/>
    public int InputWidth => Spec.InputSize;

    /// <inheritdoc/>
    public int Channels => Spec.AttackChannels;

    /// <inheritdoc/>
    public int NumClasses => Spec.NumClasses;

    /// <inheritdoc/>
    public IReadOnlyList<string> Labels { get; }

    /// <inheritdoc/>
    public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (images.Length < (long)count * imageSize)
        {
            throw new ArgumentException(Invariant($"images holds {images.Length} values; {count} images of {Channels} x {InputHeight} x {InputWidth} need {(long)count * imageSize}."), nameof(images));
        }

        if (logits.Length < (long)count * NumClasses)
        {
            throw new ArgumentException(Invariant($"logits holds {logits.Length} values; {count} images x {NumClasses} classes need {(long)count * NumClasses}."), nameof(logits));
        }

        int chunk = SupportsBatching ? options.MaxBatch : 1;
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            RunChunk(images.Slice(start * imageSize, n * imageSize), n, logits.Slice(start * NumClasses, n * NumClasses));
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

    /// <summary>Shortens an ONNX Runtime load error to its cause, e.g. "libcublasLt.so.13 not found".</summary>
    internal static string DescribeProviderError(Exception ex)
    {
        var match = MissingLibrary().Match(ex.Message);
        if (match.Success)
        {
            return $"{match.Groups[1].Value} not found";
        }

        var message = ex.Message.Replace("\r", string.Empty, StringComparison.Ordinal);
        var firstLine = message.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? ex.GetType().Name;
        return firstLine.Length > 300 ? firstLine[..300] + "..." : firstLine;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string ResolveName(IReadOnlyList<string> available, string? wanted, string field)
    {
        if (wanted is null)
        {
            return available.Count > 0 ? available[0] : throw new ModelSpecException($"The model declares no {field[..^4]}s.");
        }

        return available.Contains(wanted)
            ? wanted
            : throw new ModelSpecException($"{field} '{wanted}' is not in the model; it has: {string.Join(", ", available)}.");
    }

    // Google.Protobuf's parse errors (the file is not a ModelProto), and ONNX Runtime's own refusal of the bytes.
    private static bool IsNotAnOnnxModel(Exception ex) =>
        ex is Google.Protobuf.InvalidProtocolBufferException
        || (ex is OnnxRuntimeException && (ex.Message.Contains("INVALID_PROTOBUF", StringComparison.Ordinal) || ex.Message.Contains("Protobuf parsing failed", StringComparison.Ordinal)));

    [GeneratedRegex(@"(lib[\w.+-]+?\.so[\d.]*)\s*:\s*cannot open shared object file")]
    private static partial Regex MissingLibrary();

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model {Model} on {Provider}, batching {Batching}, sha256 {Sha256}")]
    private static partial void LogLoaded(ILogger logger, string model, string provider, bool batching, string sha256);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {Model}: fixed batch of 1 rewritten to a symbolic batch; batched and single runs agree")]
    private static partial void LogBatchRewritten(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model} runs one image per query: {Reason}")]
    private static partial void LogBatchFallback(ILogger logger, string model, string reason);

    /// <summary>
    /// How model channel <paramref name="c"/> is made from an attack-space [0, 1] image: which plane it reads and
    /// the (x - subtract) * multiply applied; shared with the gradient graph so both preprocess identically.
    /// </summary>
    /// <remarks>
    /// A colour attack image has planes R, G, B, read in the model's channel order. A gray attack image has one plane,
    /// which every model channel reads: a one-channel model's only channel, or each channel of a three-channel model
    /// declared <see cref="ChannelOrder.Gray"/>; each takes its own mean and std when the spec gives three, else the one.
    /// </remarks>
    internal static (int Source, float Subtract, float Multiply) ChannelScaling(ModelSpec spec, int c)
    {
        bool gray = spec.AttackChannels == 1;
        int s = gray ? 0 : spec.ChannelOrder == ChannelOrder.Bgr ? 2 - c : c;
        int statistic = spec.Mean.Count == 1 ? 0 : gray ? c : s;
        var (sub, mul) = spec.Scaling switch
        {
            InputScaling.MeanStd => (spec.Mean[statistic], 1f / spec.Std[statistic]),
            InputScaling.MinusOneToOne => (0.5f, 2f),
            _ => (0f, 1f),
        };
        return (s, sub, mul);
    }

    private void PrepareScaling(ModelSpec spec)
    {
        for (int c = 0; c < modelChannels; c++)
        {
            (sourceChannel[c], subtract[c], multiply[c]) = ChannelScaling(spec, c);
        }
    }

    private (InferenceSession Session, string Provider, string Note) CreateSession(byte[] model, byte[]? original, ref bool rewritten)
    {
        try
        {
            return CreateSession(model);
        }
        catch (OnnxRuntimeException ex) when (original is not null)
        {
            // The rewritten graph did not load (a node's shape check rejects the symbolic batch): use the file as is.
            LogBatchFallback(logger, Spec.Name, $"the rewritten model did not load ({DescribeProviderError(ex)})");
            rewritten = false;
            return CreateSession(original);
        }
    }

    private (InferenceSession Session, string Provider, string Note) CreateSession(byte[] model) =>
        OnnxSessions.Create(model, options, Spec.Name, logger);

    /// <summary>Checks the model's declared input and output against the spec; returns whether the batch is symbolic.</summary>
    private bool CheckShapes()
    {
        var input = session.InputMetadata[InputName];
        if (input.ElementDataType != TensorElementType.Float)
        {
            throw new ModelSpecException($"Model '{Spec.Name}': input '{InputName}' is {input.ElementDataType}; only float32 inputs are supported.");
        }

        int[] dims = input.Dimensions;
        int size = Spec.InputSize;
        int channels = modelChannels;
        int[] expected = Spec.Layout == TensorLayout.Nchw ? [-1, channels, size, size] : [-1, size, size, channels];
        bool matches = dims.Length == 4;
        for (int i = 1; matches && i < 4; i++)
        {
            matches = dims[i] <= 0 || dims[i] == expected[i];
        }

        if (!matches)
        {
            throw new ModelSpecException(
                $"Model '{Spec.Name}': input '{InputName}' has shape [{string.Join(", ", dims)}] but the spec says " +
                $"layout {Spec.Layout}, inputSize {size} and {channels} channel{(channels == 1 ? string.Empty : "s")}, i.e. [N, {string.Join(", ", expected[1..])}]. Fix inputSize, layout or channels.");
        }

        int[] outDims = session.OutputMetadata[OutputName].Dimensions;
        if (outDims.Length > 0 && outDims[^1] > 0 && outDims[^1] != Spec.NumClasses)
        {
            throw new ModelSpecException(
                $"Model '{Spec.Name}': output '{OutputName}' has {outDims[^1]} classes but the spec says numClasses {Spec.NumClasses}.");
        }

        return dims[0] <= 0;
    }

    private bool VerifyBatching(out string reason)
    {
        var random = new Random(20240611);
        var images = new float[2 * imageSize];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = random.NextSingle();
        }

        var batched = new float[2 * NumClasses];
        var single = new float[2 * NumClasses];
        try
        {
            RunChunk(images, 2, batched);
            RunChunk(images.AsSpan(0, imageSize), 1, single.AsSpan(0, NumClasses));
            RunChunk(images.AsSpan(imageSize, imageSize), 1, single.AsSpan(NumClasses, NumClasses));
        }
        catch (OnnxRuntimeException ex)
        {
            reason = $"a batch of 2 failed after making the batch symbolic ({DescribeProviderError(ex)})";
            return false;
        }
        catch (InvalidOperationException ex)
        {
            reason = $"a batch of 2 failed after making the batch symbolic ({ex.Message})";
            return false;
        }

        for (int i = 0; i < batched.Length; i++)
        {
            double a = batched[i], b = single[i];
            if (!(Math.Abs(a - b) <= VerifyTolerance * Math.Max(1.0, Math.Max(Math.Abs(a), Math.Abs(b)))))
            {
                reason = Invariant($"a batch of 2 gave {a} where single runs gave {b} (output {i}); the graph hard-codes the batch");
                return false;
            }
        }

        reason = string.Empty;
        return true;
    }

    private int PaddedSize(int n)
    {
        if (!SupportsBatching)
        {
            return n;
        }

        foreach (int bucket in buckets)
        {
            if (bucket >= n)
            {
                return bucket;
            }
        }

        return n;
    }

    private long[] Shape(int batch)
    {
        // Shapes are immutable once built; a race only builds the same array twice.
        var shape = batch < shapes.Length ? shapes[batch] : null;
        if (shape is null)
        {
            long s = Spec.InputSize;
            long m = modelChannels;
            shape = Spec.Layout == TensorLayout.Nchw ? [batch, m, s, s] : [batch, s, s, m];
            if (batch < shapes.Length)
            {
                shapes[batch] = shape;
            }
        }

        return shape;
    }

    /// <summary>Runs one <c>Run</c> for <paramref name="n"/> images (padded to a bucket on GPU).</summary>
    private void RunChunk(ReadOnlySpan<float> images, int n, Span<float> logits)
    {
        int padded = PaddedSize(n);
        int length = padded * modelChannels * plane;
        int modelImage = modelChannels * plane;

        // Owned by this call only: rented here, pinned by the OrtValue during Run, returned below.
        float[] buffer = ArrayPool<float>.Shared.Rent(length);
        try
        {
            var data = buffer.AsSpan(0, length);
            for (int i = 0; i < n; i++)
            {
                Preprocess(images.Slice(i * imageSize, imageSize), data.Slice(i * modelImage, modelImage));
            }

            data[(n * modelImage)..].Clear();
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, length), Shape(padded));
            using var results = session.Run(runOptions, inputNames, [input], outputNames);
            var output = results[0].GetTensorDataAsSpan<float>();
            if (output.Length != (long)padded * NumClasses)
            {
                throw new InvalidOperationException(Invariant(
                    $"Model '{Spec.Name}' returned {output.Length} values for {padded} images; expected {padded} x numClasses {NumClasses}."));
            }

            var wanted = output[..(n * NumClasses)];
            if (Spec.Output == OutputKind.Probabilities)
            {
                for (int i = 0; i < wanted.Length; i++)
                {
                    logits[i] = MathF.Log(MathF.Max(wanted[i], ProbabilityFloor));
                }
            }
            else
            {
                wanted.CopyTo(logits);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>One attack-space CHW [0, 1] image (RGB, or one gray plane) into the model's channels, layout, channel order and scaling.</summary>
    private void Preprocess(ReadOnlySpan<float> image, Span<float> destination)
    {
        int channels = modelChannels;
        for (int c = 0; c < channels; c++)
        {
            var src = image.Slice(sourceChannel[c] * plane, plane);
            float sub = subtract[c], mul = multiply[c];
            if (Spec.Layout == TensorLayout.Nchw)
            {
                var dst = destination.Slice(c * plane, plane);
                for (int i = 0; i < plane; i++)
                {
                    dst[i] = (src[i] - sub) * mul;
                }
            }
            else
            {
                for (int i = 0; i < plane; i++)
                {
                    destination[(i * channels) + c] = (src[i] - sub) * mul;
                }
            }
        }
    }
}
