using System.Globalization;

namespace AttackCore.Models;

/// <summary>Which ONNX Runtime execution provider runs the model.</summary>
public enum ExecutionProviderKind
{
    /// <summary>CUDA when its libraries and a GPU are there, else CPU (the reason is logged once).</summary>
    Auto,

    /// <summary>CUDA only; loading fails with a clear message when CUDA is unavailable.</summary>
    Cuda,

    /// <summary>CPU only.</summary>
    Cpu,
}

/// <summary>Settings of <see cref="OnnxClassifier"/>. Validate with <see cref="Validate"/> (the classifier does).</summary>
public sealed record OnnxClassifierOptions
{
    /// <summary>Gets the execution provider.</summary>
    /// <value>Defaults to <see cref="ExecutionProviderKind.Auto"/>.</value>
    public ExecutionProviderKind Provider { get; init; } = ExecutionProviderKind.Auto;

    /// <summary>Gets the CUDA device index.</summary>
    /// <value>Defaults to 0. Must be &gt;= 0.</value>
    public int DeviceId { get; init; }

    /// <summary>Gets the most images scored by one <c>Run</c>; larger requests are split into chunks.</summary>
    /// <value>Defaults to 32. Must be in [1, 4096].</value>
    public int MaxBatch { get; init; } = 32;

    private static readonly int[] DefaultBuckets = [1, 8, 32];

    /// <summary>
    /// Gets the batch sizes a GPU run is padded up to. cuDNN searches convolution algorithms and the CUDA
    /// arena plans memory for every new input shape, so a few fixed shapes keep each query fast; the padding
    /// rows cost compute but no search. Ignored on CPU, where batches run unpadded.
    /// </summary>
    /// <value>
    /// Defaults to <see langword="null"/>: 1, 8 and 32 where they do not exceed <see cref="MaxBatch"/>, plus
    /// <see cref="MaxBatch"/> itself. Each given size must be in [1, <see cref="MaxBatch"/>]; chunks larger than the
    /// largest bucket run unpadded.
    /// </value>
    public IReadOnlyList<int>? BatchBuckets { get; init; }

    /// <summary>Gets <see cref="BatchBuckets"/>, or the default for <see cref="MaxBatch"/>.</summary>
    public IReadOnlyList<int> EffectiveBatchBuckets => BatchBuckets ?? [.. DefaultBuckets.Where(b => b < MaxBatch).Append(MaxBatch)];

    /// <summary>Gets the CUDA provider's <c>cudnn_conv_algo_search</c>: <c>EXHAUSTIVE</c>, <c>HEURISTIC</c> or <c>DEFAULT</c>.</summary>
    /// <value>Defaults to <c>HEURISTIC</c>: near-best algorithms without the multi-second exhaustive search per shape.</value>
    public string CudnnConvAlgoSearch { get; init; } = "HEURISTIC";

    /// <summary>Gets the CUDA provider's <c>arena_extend_strategy</c>: <c>kNextPowerOfTwo</c> or <c>kSameAsRequested</c>.</summary>
    /// <value>Defaults to <c>kSameAsRequested</c>: the arena grows only by what is asked, so it does not double past what a batch needs.</value>
    public string ArenaExtendStrategy { get; init; } = "kSameAsRequested";

    /// <summary>Gets the number of intra-op threads on CPU.</summary>
    /// <value>Defaults to 0, ONNX Runtime's default (one per physical core). Must be &gt;= 0.</value>
    public int IntraOpThreads { get; init; }

    /// <summary>Gets whether a model with a fixed batch of 1 is rewritten to a symbolic batch (then verified).</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool MakeBatchSymbolic { get; init; } = true;

    /// <summary>Checks every option against its allowed values.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it and what is allowed.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Provider))
        {
            throw new ArgumentException($"{nameof(Provider)} must be one of {string.Join(", ", Enum.GetNames<ExecutionProviderKind>())} (got {Provider}).", nameof(Provider));
        }

        if (DeviceId < 0)
        {
            throw new ArgumentException(Invariant($"{nameof(DeviceId)} must be >= 0 (got {DeviceId})."), nameof(DeviceId));
        }

        if (MaxBatch is < 1 or > 4096)
        {
            throw new ArgumentException(Invariant($"{nameof(MaxBatch)} must be in [1, 4096] (got {MaxBatch})."), nameof(MaxBatch));
        }

        if (BatchBuckets is not null && (BatchBuckets.Count == 0 || BatchBuckets.Any(b => b < 1 || b > MaxBatch)))
        {
            throw new ArgumentException(
                Invariant($"{nameof(BatchBuckets)} must be a non-empty list of sizes in [1, {nameof(MaxBatch)} = {MaxBatch}] (got [{string.Join(", ", BatchBuckets ?? [])}])."),
                nameof(BatchBuckets));
        }

        string[] searches = ["EXHAUSTIVE", "HEURISTIC", "DEFAULT"];
        if (!searches.Contains(CudnnConvAlgoSearch, StringComparer.Ordinal))
        {
            throw new ArgumentException($"{nameof(CudnnConvAlgoSearch)} must be one of {string.Join(", ", searches)} (got '{CudnnConvAlgoSearch}').", nameof(CudnnConvAlgoSearch));
        }

        string[] strategies = ["kNextPowerOfTwo", "kSameAsRequested"];
        if (!strategies.Contains(ArenaExtendStrategy, StringComparer.Ordinal))
        {
            throw new ArgumentException($"{nameof(ArenaExtendStrategy)} must be one of {string.Join(", ", strategies)} (got '{ArenaExtendStrategy}').", nameof(ArenaExtendStrategy));
        }

        if (IntraOpThreads < 0)
        {
            throw new ArgumentException(Invariant($"{nameof(IntraOpThreads)} must be >= 0, 0 meaning ONNX Runtime's default (got {IntraOpThreads})."), nameof(IntraOpThreads));
        }
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
