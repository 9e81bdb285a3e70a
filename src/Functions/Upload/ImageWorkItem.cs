namespace AdvAudit.Functions.Upload;

/// <summary>The input of the per-image orchestration: which blob version to audit and where its results go. Small, so the history stays small.</summary>
public sealed record ImageWorkItem
{
    /// <summary>Gets the input container.</summary>
    public required string Container { get; init; }

    /// <summary>Gets the input blob's name.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the ETag of the version to audit (without quotes).</summary>
    public required string ETag { get; init; }

    /// <summary>Gets the result folder inside the results container (see <see cref="ResultPaths.FolderFor"/>).</summary>
    public required string ResultFolder { get; init; }

    /// <summary>Gets the input's size in bytes, as its properties said when the event arrived.</summary>
    public long Length { get; init; }

    /// <summary>Gets the blob's metadata, which may override attack settings for this image (when <see cref="Request"/> is not given).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Gets the attack request resolved before the work was scheduled (a bulk audit resolves its options once);
    /// <see langword="null"/> for an upload, whose request comes from the app's settings and the blob's metadata.
    /// </summary>
    public AttackCore.Engine.AttackRequest? Request { get; init; }

    /// <summary>
    /// Gets the transfer models fixed before the work was scheduled (empty for none); <see langword="null"/> takes the
    /// metadata's <c>advaudit_transfer_models</c>, else the app's setting.
    /// </summary>
    public IReadOnlyList<string>? TransferModels { get; init; }

    /// <summary>
    /// Gets the surrogate models fixed before the work was scheduled (empty for none); <see langword="null"/> takes the
    /// metadata's <c>advaudit_surrogate_models</c>, else the app's setting.
    /// </summary>
    public IReadOnlyList<string>? SurrogateModels { get; init; }

    /// <summary>
    /// Gets the id that names this run's work folder in the work container; <see langword="null"/> takes the
    /// per-upload instance id (<see cref="InstanceIds.ForImage"/>). A bulk audit sets its own sub-orchestration id, so
    /// an audit and the upload trigger working on the same blob version never share checkpoints.
    /// </summary>
    public string? WorkId { get; init; }

    /// <summary>
    /// Gets where the attack stands when the orchestration continues as new: <see langword="null"/> for the first
    /// execution (the image is not prepared yet), then the reference record of the last slice.
    /// </summary>
    public Orchestration.ImageCheckpoint? Checkpoint { get; init; }

    /// <summary>
    /// Gets how long, in minutes, the orchestration keeps retrying activities that failed because storage was
    /// unreachable (<see cref="Settings.ResilienceOptions.OutageToleranceMinutes"/> when the work was scheduled);
    /// <see langword="null"/> for <see cref="Orchestration.ActivityRetry.DefaultOutageToleranceMinutes"/>.
    /// </summary>
    public int? OutageToleranceMinutes { get; init; }

    /// <summary>
    /// Gets how many times an upload's run has already waited for an admission slot (<see cref="Orchestration.ImageSlots"/>)
    /// in earlier executions, so the wait between tries keeps growing across continue-as-new.
    /// </summary>
    public int SlotWaits { get; init; }
}
