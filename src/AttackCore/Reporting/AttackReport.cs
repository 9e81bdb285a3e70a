namespace AttackCore.Reporting;

/// <summary>
/// The per-image result of an attack: what the model said before and after, how the attack was
/// configured, what it cost and how large the change is. Serialized as <c>report.json</c> with
/// <see cref="ReportJson"/>; this JSON is the contract, and <c>report.html</c> is rendered from it alone
/// (<see cref="ReportHtml"/>). Documented field by field in <c>docs/report-schema.md</c>.
/// </summary>
/// <remarks>
/// Units shared by all sections: pixel values, epsilons and norms are on the [0, 1] scale
/// (an 8-bit step is 1/255); class indices are the model's own output indices (they include the
/// model's background offset); probabilities are softmax values in [0, 1]; durations are milliseconds.
/// No value is ever NaN or infinite: a value that may be undefined is nullable and omitted when null.
/// </remarks>
public sealed record AttackReport
{
    /// <summary>The schema version this build writes and the only one it reads.</summary>
    /// <remarks>Bump it on any change that an existing reader could misread (a renamed, removed or re-meant field).</remarks>
    public const int CurrentSchemaVersion = 2;

    /// <summary>Gets the version of the report schema.</summary>
    /// <value>Defaults to <see cref="CurrentSchemaVersion"/>.</value>
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>Gets the tool that wrote the report.</summary>
    public required ToolInfo Tool { get; init; }

    /// <summary>Gets when the report was written.</summary>
    public required DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Gets the model that was attacked.</summary>
    public required ModelInfo Model { get; init; }

    /// <summary>Gets the input image as it was received.</summary>
    public required InputInfo Input { get; init; }

    /// <summary>Gets the classification of the clean image and the class the attack moves away from.</summary>
    public required CleanResult Clean { get; init; }

    /// <summary>
    /// Gets the verified classification of the adversarial image; <see langword="null"/> when no
    /// adversarial image was written (status <see cref="OutcomeStatus.AlreadyMisclassified"/>, or
    /// <see cref="OutcomeStatus.Failed"/> before the attack finished).
    /// </summary>
    public AdversarialResult? Adversarial { get; init; }

    /// <summary>Gets how the attack was configured.</summary>
    public required AttackInfo Attack { get; init; }

    /// <summary>Gets what the attack achieved and the queries it spent.</summary>
    public required AttackOutcome Outcome { get; init; }

    /// <summary>
    /// Gets the size of the change between the clean and the adversarial image; <see langword="null"/>
    /// when no adversarial image was written.
    /// </summary>
    public PerturbationMetrics? Perturbation { get; init; }

    /// <summary>Gets how long each stage took.</summary>
    public required TimingInfo Timings { get; init; }

    /// <summary>
    /// Gets the loss and confidences over queries, oldest first, at most a few hundred points
    /// (producers thin it with <see cref="TraceDownsampler.Downsample"/>).
    /// </summary>
    /// <value>Defaults to empty.</value>
    public IReadOnlyList<TracePoint> Trace { get; init; } = [];

    /// <summary>
    /// Gets what other models (transfer targets) said about the clean and the adversarial image, one entry per
    /// target; <see langword="null"/> when no target was given or the attack did not fool the attacked model.
    /// </summary>
    public IReadOnlyList<TransferResult>? Transfer { get; init; }

    /// <summary>Gets the names of the image files written beside the report.</summary>
    /// <value>Defaults to <c>clean.png</c>, <c>adversarial.png</c> and <c>perturbation.png</c>.</value>
    public ImageFiles Images { get; init; } = new();

    /// <summary>
    /// Gets every attack of the plan that ran on this image, in plan order (one entry for a single attack). The other
    /// sections describe the attempt marked <see cref="AttemptSummary.Written"/>.
    /// </summary>
    /// <value>Defaults to empty (reports of images that were not attacked).</value>
    public IReadOnlyList<AttemptSummary> Attempts { get; init; } = [];

    /// <summary>
    /// Gets what the remote model was asked and what the network did while this image's batch ran; <see langword="null"/>
    /// for an ONNX model.
    /// </summary>
    public RemoteQueryInfo? Remote { get; init; }
}
