namespace AdvAudit.Functions.Settings;

/// <summary>The model each worker loads once (section <c>Model</c>).</summary>
public sealed class ModelOptions
{
    /// <summary>The section name.</summary>
    public const string Section = "Model";

    /// <summary>
    /// Gets or sets the preset that gives the model's preprocessing and classes (and, for Model Zoo presets, its SHA-256);
    /// may be empty when <see cref="LocalPath"/> is a model JSON spec, or when the ONNX file (local or blob) has a sidecar
    /// JSON beside it (<c>&lt;name&gt;.json</c> or <c>model.json</c>), which then describes it (a sidecar wins over the preset).
    /// </summary>
    /// <value>Defaults to <c>inception-v3</c>.</value>
    public string Preset { get; set; } = "inception-v3";

    /// <summary>Gets or sets the ONNX file's name in the models container; empty when <see cref="LocalPath"/> is used.</summary>
    /// <value>Defaults to empty.</value>
    public string? BlobName { get; set; }

    /// <summary>
    /// Gets or sets the transfer models: comma-separated ONNX blob names in the models container, each described by a
    /// sidecar JSON beside it (<c>&lt;name&gt;.json</c> or <c>model.json</c>). Every verified adversarial image is also
    /// classified by each, and its report gets a <c>transfer</c> section. An audit's <c>transferModels</c> option or an
    /// upload's <c>advaudit_transfer_models</c> metadata replaces this list for its images.
    /// </summary>
    /// <value>Defaults to empty (no transfer evaluation).</value>
    public string? TransferBlobNames { get; set; }

    /// <summary>
    /// Gets or sets the surrogate models: comma-separated ONNX blob names in the models container, each described by a
    /// sidecar JSON beside it, that surrogate-based attacks (<c>transfer</c>) craft on; the served model is then only
    /// queried to check the result. A surrogate with another input size sees the served model's crop resized. An
    /// audit's <c>surrogateModels</c> option or an upload's <c>advaudit_surrogate_models</c> metadata replaces this list
    /// for its images.
    /// </summary>
    /// <value>Defaults to empty (no surrogate; a transfer attack is then refused with error.json).</value>
    public string? SurrogateBlobNames { get; set; }

    /// <summary>Gets or sets a local path of the ONNX file (or a model JSON spec); empty when <see cref="BlobName"/> is used.</summary>
    /// <value>Defaults to empty.</value>
    public string? LocalPath { get; set; }

    /// <summary>Gets or sets the expected SHA-256 of the ONNX file, as 64 hex digits; empty takes the preset's.</summary>
    /// <value>Defaults to empty.</value>
    public string? Sha256 { get; set; }

    /// <summary>Gets or sets the execution provider: <c>auto</c>, <c>cuda</c> or <c>cpu</c>.</summary>
    /// <value>Defaults to <c>auto</c> (CUDA when it loads, else CPU).</value>
    public string Provider { get; set; } = "auto";

    /// <summary>Gets or sets the most images merged into one model call.</summary>
    /// <value>Defaults to 32. Between 1 and 1024.</value>
    public int MaxBatch { get; set; } = 32;

    /// <summary>
    /// Gets or sets the longest a model call waits, in milliseconds, for attacking activities whose queries are not in
    /// its batch yet; a batch that holds every attacking activity's queries goes at once.
    /// </summary>
    /// <value>Defaults to 5. Between 0 and 1000.</value>
    public int MaxWaitMs { get; set; } = 5;

    /// <summary>Gets or sets where the verified local copy of the model is kept; empty uses <c>advaudit-models</c> under the temp folder.</summary>
    /// <value>Defaults to empty.</value>
    public string? CacheDir { get; set; }
}
