using System.Text.Json.Serialization;
using AttackCore.Engine;
using AttackCore.Reporting;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// A validated audit request as stored in the work container (<c>audits/&lt;id&gt;/request.json</c>), written once by
/// <see cref="AuditApi"/> before the orchestration starts. The orchestration carries only the id, so a manifest of
/// thousands of names and labels never enters its history.
/// </summary>
public sealed record AuditPlan
{
    /// <summary>Gets the audit id (32 lower-case hex digits).</summary>
    public required string AuditId { get; init; }

    /// <summary>Gets the container the images are read from.</summary>
    public required string Container { get; init; }

    /// <summary>Gets the prefix whose blobs are audited; <see langword="null"/> when <see cref="Blobs"/> is given.</summary>
    public string? Prefix { get; init; }

    /// <summary>
    /// Gets the blob names of a manifest as parsed; <see langword="null"/> when <see cref="Prefix"/> is given. Not stored in
    /// <c>request.json</c>: <see cref="AuditStore.WritePlanAsync"/> writes them in blobs of <see cref="ChunkSize"/> names
    /// (<see cref="NameChunks"/>), so no activity reads all of them.
    /// </summary>
    public IReadOnlyList<string>? Blobs { get; init; }

    /// <summary>
    /// Gets the true classes given with the request, by blob name (an output index or a label), as parsed. Not stored in
    /// <c>request.json</c>: <see cref="AuditStore.WritePlanAsync"/> writes them sorted in blobs of
    /// <see cref="AuditStore.LabelsPerBlob"/> (<see cref="LabelBlobStarts"/>), and the listing joins them to the names.
    /// </summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the number of names of the manifest (0 for a prefix).</summary>
    public int ManifestBlobs { get; init; }

    /// <summary>Gets the number of name blobs (<c>names/000000.json</c> ...) of a manifest; 0 for a prefix.</summary>
    public int NameChunks { get; init; }

    /// <summary>Gets the first name (ordinal order) of each label blob (<c>labels/000000.json</c> ...); empty without labels.</summary>
    public IReadOnlyList<string> LabelBlobStarts { get; init; } = [];

    /// <summary>
    /// Gets the attack request every image of the audit gets, resolved once from the body's options over the app's
    /// settings when the audit was requested (so neither a later change of the settings nor a re-parse per image can
    /// change it).
    /// </summary>
    public required AttackRequest Request { get; init; }

    /// <summary>
    /// Gets the transfer models the body named (blob names in the models container; empty for none), or
    /// <see langword="null"/> when it named none and the app's <see cref="Settings.SettingNames.ModelTransferBlobNames"/> applies.
    /// </summary>
    public IReadOnlyList<string>? TransferModels { get; init; }

    /// <summary>
    /// Gets the surrogate models the body named (blob names in the models container; empty for none), or
    /// <see langword="null"/> when it named none and the app's <see cref="Settings.SettingNames.ModelSurrogateBlobNames"/> applies.
    /// </summary>
    public IReadOnlyList<string>? SurrogateModels { get; init; }

    /// <summary>Gets the resolved attack, for the summary.</summary>
    public required AuditAttack Attack { get; init; }

    /// <summary>Gets when the audit was requested.</summary>
    public required DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Gets the images per chunk (<see cref="Settings.AuditOptions.ImagesPerExecution"/> when requested).</summary>
    public required int ChunkSize { get; init; }

    /// <summary>Gets what is audited, in words.</summary>
    public string Describe() => Prefix is not null
        ? $"{Container}/{Prefix}* (prefix)"
        : $"{Math.Max(ManifestBlobs, Blobs?.Count ?? 0)} blobs named in a manifest, in {Container}";
}

/// <summary>One input of an audit, as listed: the exact version audited, where its results go, and its given label.</summary>
/// <param name="Name">The blob name.</param>
/// <param name="ETag">The version's ETag (without quotes); empty for a <paramref name="Failure"/>.</param>
/// <param name="Length">Its size in bytes.</param>
/// <param name="ResultFolder">Its result folder in the results container.</param>
/// <param name="Label">The true class given with the request, or <see langword="null"/>.</param>
/// <param name="Failure">
/// <see langword="null"/> for an image to attack; else why it failed at listing (<c>NotFound</c>: a manifest name that
/// does not exist; <c>InvalidName</c>: a name refused as unsafe), with its error.json already written.
/// </param>
public sealed record AuditItem(string Name, string ETag, long Length, string ResultFolder, string? Label = null, string? Failure = null);

/// <summary>The listing of an audit (<c>audits/&lt;id&gt;/manifest.json</c>, created once when the last chunk is listed).</summary>
/// <param name="Chunks">The number of chunk blobs (<c>chunks/000000.json</c> ...), each a list of <see cref="AuditItem"/>.</param>
/// <param name="Items">The images to attack.</param>
/// <param name="Missing">The inputs that failed at listing (names that do not exist or were refused), each with an error.json.</param>
public sealed record AuditManifest(int Chunks, int Items, int Missing);

/// <summary>The input of one call of <see cref="ListAuditImages"/>: the next chunk to list and where the listing stands.</summary>
/// <param name="AuditId">The audit id.</param>
/// <param name="Chunk">The chunk to list (from 0).</param>
/// <param name="Continuation">The container listing's continuation token after the previous chunk (prefix audits); <see langword="null"/> at the start.</param>
/// <param name="Items">The images listed by the previous chunks.</param>
/// <param name="Missing">The inputs failed at listing by the previous chunks.</param>
public sealed record AuditListInput(string AuditId, int Chunk = 0, string? Continuation = null, int Items = 0, int Missing = 0);

/// <summary>What one call of <see cref="ListAuditImages"/> returns: the listing so far, and the manifest once it is complete.</summary>
/// <param name="Next">The input of the next call; <see langword="null"/> when the listing is complete.</param>
/// <param name="Listed">The complete listing (as stored in manifest.json); <see langword="null"/> until then.</param>
public sealed record AuditListPart(AuditListInput? Next, AuditManifestInfo? Listed);

/// <summary>The audit orchestration's input: small, so every execution's history stays small.</summary>
public sealed record AuditInput
{
    /// <summary>Gets the audit id.</summary>
    public required string AuditId { get; init; }

    /// <summary>Gets the most per-image orchestrations running at once.</summary>
    public required int MaxConcurrency { get; init; }

    /// <summary>Gets when the audit started.</summary>
    public required DateTimeOffset StartedUtc { get; init; }

    /// <summary>Gets the listing once made; <see langword="null"/> in the first execution.</summary>
    public AuditManifestInfo? Listed { get; init; }

    /// <summary>Gets where the listing stands when an execution continued as new before it was complete; <see langword="null"/> before it starts.</summary>
    public AuditListInput? Listing { get; init; }

    /// <summary>Gets the next chunk to fan out.</summary>
    public int NextChunk { get; init; }

    /// <summary>Gets the progress so far (carried across executions).</summary>
    public AuditProgress Progress { get; init; } = new();

    /// <summary>
    /// Gets how many times the audit was resumed (<c>POST /api/audits/{id}/resume</c>): 0 for the first run. A resumed
    /// run skips the inputs that already have a complete result and gives the others new sub-orchestration ids.
    /// </summary>
    public int Resume { get; init; }

    /// <summary>Gets how long, in minutes, activities are retried through a storage outage (<see cref="Orchestration.ActivityRetry"/>); <see langword="null"/> for the default.</summary>
    public int? OutageToleranceMinutes { get; init; }
}

/// <summary>What the orchestration keeps of the listing.</summary>
/// <param name="Chunks">The number of chunks.</param>
/// <param name="Items">The images to attack.</param>
/// <param name="Missing">The manifest names that did not exist (already failed).</param>
public sealed record AuditManifestInfo(int Chunks, int Items, int Missing);

/// <summary>The audit orchestration's custom status, updated as each image finishes; <c>GET /api/audits/{id}</c> shows it.</summary>
public sealed record AuditProgress
{
    /// <summary>Gets the phase (answered as its name: <c>"Listing"</c>, <c>"Attacking"</c>, ...).</summary>
    /// <value>Defaults to <see cref="AuditPhase.Listing"/>.</value>
    public AuditPhase Phase { get; init; } = AuditPhase.Listing;

    /// <summary>Gets the inputs of the audit (0 until listed).</summary>
    public int Total { get; init; }

    /// <summary>Gets the inputs finished (with a complete result folder).</summary>
    public int Done { get; init; }

    /// <summary>Gets the fooled images.</summary>
    public int Fooled { get; init; }

    /// <summary>Gets the attacked images not fooled.</summary>
    public int NotFooled { get; init; }

    /// <summary>Gets the images not attacked (already misclassified or at the target).</summary>
    public int Skipped { get; init; }

    /// <summary>Gets the failed inputs (rejected, missing, or whose run failed).</summary>
    public int Failed { get; init; }

    /// <summary>Gets the per-image orchestrations running now.</summary>
    public int Running { get; init; }
}

/// <summary>Where an audit stands; saved in its custom status and answered by <c>GET /api/audits/{id}</c> as the name.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AuditPhase>))]
public enum AuditPhase
{
    /// <summary>Listing the images (the prefix or the manifest).</summary>
    Listing,

    /// <summary>Attacking the images, a chunk at a time.</summary>
    Attacking,

    /// <summary>Writing the summary.</summary>
    Summarizing,

    /// <summary>Done; the summary is written.</summary>
    Completed,
}

/// <summary>The input of <see cref="LoadAuditChunk"/>.</summary>
/// <param name="AuditId">The audit id.</param>
/// <param name="Chunk">The chunk's number.</param>
/// <param name="Resume">The run's <see cref="AuditInput.Resume"/>: above 0, inputs with a complete result are not run again.</param>
public sealed record AuditChunkInput(string AuditId, int Chunk, int Resume = 0);

/// <summary>What <see cref="LoadAuditChunk"/> returns: the images to run, and the outcomes of those a resumed audit already finished.</summary>
/// <param name="Items">The per-image work items to run.</param>
/// <param name="Finished">The outcomes of the chunk's inputs that already have a complete result (empty in a first run).</param>
public sealed record AuditChunk(List<Upload.ImageWorkItem> Items, List<Orchestration.ImageOutcome> Finished);

/// <summary>The input of <see cref="RecordImageFailure"/>: an image whose orchestration failed or found its blob gone.</summary>
/// <param name="Item">The image's work item.</param>
/// <param name="Message">The failure.</param>
/// <param name="Reason">The reason written to error.json: <c>AuditFailed</c> (the orchestration failed) or <c>Gone</c> (the listed version was deleted or replaced).</param>
public sealed record ImageFailureInput(Upload.ImageWorkItem Item, string Message, string Reason = "AuditFailed");

/// <summary>The input of <see cref="SummarizeAuditChunk"/>.</summary>
/// <param name="AuditId">The audit id.</param>
/// <param name="Chunk">The chunk whose images are all finished.</param>
public sealed record AuditPartialInput(string AuditId, int Chunk);

/// <summary>One input of a partial summary (<c>partials/000000.json</c>): what the summary needs of its result folder.</summary>
/// <param name="Input">The input's name.</param>
/// <param name="ResultFolder">Its result folder.</param>
/// <param name="Label">The given true class, or <see langword="null"/>.</param>
/// <param name="Report">Its report.json without the per-query trace (the summary does not use it), or <see langword="null"/>.</param>
/// <param name="Reason">Its error.json's reason when it has no report.</param>
/// <param name="Message">Its error.json's message when it has no report.</param>
public sealed record AuditPartialEntry(string Input, string ResultFolder, string? Label, string? Report, string? Reason, string? Message);

/// <summary>The input of <see cref="WriteAuditSummary"/>.</summary>
/// <param name="AuditId">The audit id.</param>
/// <param name="StartedUtc">When the audit started.</param>
/// <param name="FinishedUtc">The orchestration's time when the summary was requested.</param>
public sealed record AuditSummaryInput(string AuditId, DateTimeOffset StartedUtc, DateTimeOffset FinishedUtc);

/// <summary>The audit orchestration's output.</summary>
/// <param name="SummaryJson">The summary's blob name in the results container.</param>
/// <param name="Images">The inputs.</param>
/// <param name="Fooled">The fooled images.</param>
/// <param name="Failed">The failed inputs.</param>
public sealed record AuditResult(string SummaryJson, int Images, int Fooled, int Failed);
