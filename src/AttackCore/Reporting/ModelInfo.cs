namespace AttackCore.Reporting;

/// <summary>The model that was attacked, as far as a reader needs it to reproduce the run.</summary>
public sealed record ModelInfo
{
    /// <summary>Gets the model's short name (for example <c>inception-v3-timm</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Gets the SHA-256 (lower-case hex) of the ONNX file that was run; for a remote model, of its spec's remote section (there is no file).</summary>
    public required string Sha256 { get; init; }

    /// <summary>Gets the execution provider that ran the model (for example <c>CPUExecutionProvider</c>), or <c>remote</c> for a model reached over HTTP.</summary>
    public required string Provider { get; init; }

    /// <summary>Gets why that provider was chosen or what failed (for example "CUDA not available"); omitted when there is nothing to say.</summary>
    public string? ProviderNote { get; init; }

    /// <summary>Gets the model's input height and width in pixels.</summary>
    public required int InputSize { get; init; }

    /// <summary>
    /// Gets the channels the attack worked in: 3 (RGB) or 1 (gray, for a grayscale model). The adversarial image,
    /// the perturbation and every norm in the report are in this space; gray images are written as 8-bit grayscale PNG.
    /// </summary>
    /// <value>Defaults to 3 (reports written before gray models were attacked in one channel).</value>
    public int Channels { get; init; } = 3;

    /// <summary>Gets the number of scores the model outputs per image.</summary>
    public required int NumClasses { get; init; }

    /// <summary>Gets how many leading outputs are not ImageNet classes (1 when index 0 is "background").</summary>
    public int BackgroundOffset { get; init; }

    /// <summary>
    /// Gets the preprocessing in words, for example
    /// "resize shortest side to 342 (bilinear), center crop 299, mean/std".
    /// </summary>
    public required string Preprocessing { get; init; }

    /// <summary>Gets the URL of a remote model; omitted for an ONNX model.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Gets a value indicating whether the model answers with its top-1 label only (then only decision-based attacks run).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool LabelOnly { get; init; }
}
