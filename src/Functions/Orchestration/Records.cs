using System.Text.Json.Serialization;
using AttackCore.Models.Remote;
using AttackCore.Reporting;

namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// The small reference record that travels through the orchestration instead of the attack state: blob names in the
/// work container and a few counters. It is the output of <see cref="PrepareImage"/> and of every
/// <see cref="AttackSlice"/>, and the input of the next slice and of <see cref="FinalizeImage"/>.
/// </summary>
/// <remarks>
/// <para><b>Retry safety.</b> Checkpoint blobs have deterministic names per slice: the state after slice
/// <c>k</c> is <c>&lt;WorkPrefix&gt;state-&lt;k&gt;.bin</c> and is written only by slice <c>k</c> (or by
/// <see cref="PrepareImage"/> for <c>k = 0</c>). A slice reads state <c>k</c>, which nothing overwrites, and writes
/// state <c>k + 1</c>; a retried or duplicated slice reads the same input and overwrites the same name. Because the
/// attack continues bit for bit from any saved state, every state a slice can write lies on the same trajectory, so a
/// duplicate never changes the final result. The orchestration only moves on to a name an activity reported, so a
/// half-finished attempt is never read. Slice <c>k</c> deletes state <c>k - 1</c> (never its own input, which a retry
/// still needs), so at the end only the last two states (and the job blob, when there is no state) are left, which
/// <see cref="FinalizeImage"/> deletes by name (<see cref="WorkBlobs"/>).</para>
/// </remarks>
public sealed record ImageCheckpoint
{
    /// <summary>Gets the folder of this run in the work container (ends with <c>/</c>).</summary>
    public required string WorkPrefix { get; init; }

    /// <summary>
    /// Gets the blob with the request and the image's job (JSON), written once by <see cref="PrepareImage"/> when there
    /// is no attack state; <see langword="null"/> otherwise, since every state blob holds the request and the job too.
    /// </summary>
    public string? JobBlob { get; init; }

    /// <summary>Gets the latest attack state blob, or <see langword="null"/> when nothing is attacked (the clean image already meets the goal).</summary>
    public string? StateBlob { get; init; }

    /// <summary>Gets the slices done so far.</summary>
    public int Slice { get; init; }

    /// <summary>Gets how many slices one orchestration execution runs before it continues as new (fixed when the image is prepared, so replays agree).</summary>
    public int SlicesPerExecution { get; init; } = 10;

    /// <summary>Gets the queries spent so far.</summary>
    public long Queries { get; init; }

    /// <summary>Gets the lowest margin still to close (zero or below is fooled); <see langword="null"/> when nothing runs.</summary>
    public double? LowestMargin { get; init; }

    /// <summary>Gets a value indicating whether the attack stage is over.</summary>
    public bool Finished { get; init; }

    /// <summary>Gets the wall time spent attacking so far, in milliseconds (for the report).</summary>
    public double AttackMs { get; init; }

    /// <summary>
    /// Gets the transfer models (blob names in the models container) that classify the adversarial image when the
    /// attack succeeds, fixed when the image is prepared; <see langword="null"/> for none.
    /// </summary>
    public IReadOnlyList<string>? TransferModels { get; init; }

    /// <summary>
    /// Gets the surrogate models (blob names in the models container) that surrogate-based attacks craft on, fixed when
    /// the image is prepared (so every slice uses the same); <see langword="null"/> when the plan has no such attack.
    /// </summary>
    public IReadOnlyList<string>? SurrogateModels { get; init; }

    /// <summary>Gets the query budget (bounds the number of slices).</summary>
    public int MaxQueries { get; init; }

    /// <summary>
    /// Gets what a remote model did for this image so far (queries, cache hits, requests, retries, failures), summed over
    /// the activities that ran it; <see langword="null"/> for a local model. The report's <c>remote</c> section.
    /// </summary>
    public RemoteQueryCounts? Remote { get; init; }

    /// <summary>
    /// Gets where the result goes (see <see cref="Upload.ResultPaths.FolderFor"/>), so the activity in which the attack ends
    /// writes it at once (<see cref="FinalizeImage.FinishAsync"/>); <see langword="null"/> in a checkpoint saved before
    /// that, which <see cref="FinalizeImage"/> ends as its own activity.
    /// </summary>
    public string? ResultFolder { get; init; }

    /// <summary>Gets the input blob version the result belongs to (see <see cref="FinalizeInput.Source"/>).</summary>
    public BlobVersion? Source { get; init; }

    /// <summary>Gets a value indicating whether the result is written only while <see cref="Source"/> is current (see <see cref="FinalizeInput.OnlyIfCurrent"/>).</summary>
    public bool OnlyIfCurrent { get; init; }

    /// <summary>
    /// Gets the image's result when the activity that returned this checkpoint ended the attack and wrote the result
    /// folder: the orchestration ends with it. <see langword="null"/> while the attack goes on.
    /// </summary>
    public ImageAuditResult? Result { get; init; }

    /// <summary>Gets what <see cref="FinalizeImage"/> needs to end this run (<see cref="ResultFolder"/> set).</summary>
    /// <returns>The input.</returns>
    /// <exception cref="InvalidOperationException">The checkpoint has no result folder.</exception>
    public FinalizeInput ToFinalizeInput() =>
        new(this, ResultFolder ?? throw new InvalidOperationException($"The checkpoint of {WorkPrefix} names no result folder.")) { Source = Source, OnlyIfCurrent = OnlyIfCurrent };

    /// <summary>Gets the checkpoint with <paramref name="more"/> added to <see cref="Remote"/>.</summary>
    /// <param name="more">What the remote model did in one activity, or <see langword="null"/> for a local model.</param>
    /// <returns>The checkpoint.</returns>
    public ImageCheckpoint WithRemote(RemoteQueryCounts? more) =>
        more is { } m ? this with { Remote = (Remote ?? default).Plus(m) } : this;

    /// <summary>
    /// Gets the work blobs this run can have left, the one <see cref="CheckpointStore.LoadAsync"/> reads last: the job
    /// blob, or the states after the last two slices.
    /// </summary>
    /// <returns>The blob names.</returns>
    public IReadOnlyList<string> WorkBlobs()
    {
        var blobs = new List<string>(3);
        if (StateBlob is not null && Slice >= 1)
        {
            blobs.Add(StateBlobAfter(Slice - 1));
        }

        if (JobBlob is not null)
        {
            blobs.Add(JobBlob);
        }

        if (StateBlob is not null)
        {
            blobs.Add(StateBlob);
        }

        return blobs;
    }

    /// <summary>Gets the name of the state blob after <paramref name="slice"/> slices.</summary>
    /// <param name="slice">The slices done.</param>
    /// <returns>The blob name.</returns>
    public string StateBlobAfter(int slice) => WorkPrefix + "state-" + slice.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + ".bin";
}

/// <summary>What <see cref="PrepareImage"/> did.</summary>
/// <param name="Checkpoint">The checkpoint to attack from, or <see langword="null"/> when the image was refused or is gone.</param>
/// <param name="Outcome">What happened when there is no checkpoint: <see cref="ImageOutcome.Rejected"/> (error.json written) or <see cref="ImageOutcome.Gone"/> (the version no longer exists).</param>
/// <param name="Message">Why, for a person.</param>
public sealed record PrepareResult(ImageCheckpoint? Checkpoint, ImageOutcome? Outcome = null, string? Message = null);

/// <summary>
/// How one image's orchestration ended: the report's verdict, or why there is no report. Saved and answered as its
/// name (<c>"Fooled"</c>, <c>"Rejected"</c>, ...), the text the orchestration outputs always held.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImageOutcome>))]
public enum ImageOutcome
{
    /// <summary>The report's <see cref="OutcomeStatus.Fooled"/>: a verified adversarial image was found.</summary>
    Fooled,

    /// <summary>The report's <see cref="OutcomeStatus.NotFooled"/>.</summary>
    NotFooled,

    /// <summary>The report's <see cref="OutcomeStatus.AlreadyMisclassified"/>: nothing to attack.</summary>
    AlreadyMisclassified,

    /// <summary>The report's <see cref="OutcomeStatus.Failed"/>, or (in an audit) the image's orchestration failed.</summary>
    Failed,

    /// <summary>The input or its options were refused; error.json says why.</summary>
    Rejected,

    /// <summary>The version to audit was deleted or replaced before it was attacked.</summary>
    Gone,

    /// <summary>A newer version of the upload arrived while this one was attacked; this late result was not written.</summary>
    Superseded,
}

/// <summary>The orchestration's custom status, updated after every slice.</summary>
/// <param name="QueriesUsed">Queries spent so far.</param>
/// <param name="LowestMargin">The lowest margin still to close; <see langword="null"/> when nothing runs.</param>
/// <param name="Slices">Slices done so far (over all executions).</param>
public sealed record AuditStatus(long QueriesUsed, double? LowestMargin, int Slices);

/// <summary>The orchestration's output.</summary>
public sealed record ImageAuditResult
{
    /// <summary>Gets the outcome: the report's status (<see cref="ImageOutcome.Fooled"/>, ...), or <see cref="ImageOutcome.Rejected"/> / <see cref="ImageOutcome.Gone"/>.</summary>
    public required ImageOutcome Outcome { get; init; }

    /// <summary>Gets the orchestration outcome of a report's verdict.</summary>
    /// <param name="status">The verdict.</param>
    /// <returns>The outcome of the same name.</returns>
    public static ImageOutcome OutcomeOf(OutcomeStatus status) => status switch
    {
        OutcomeStatus.Fooled => ImageOutcome.Fooled,
        OutcomeStatus.NotFooled => ImageOutcome.NotFooled,
        OutcomeStatus.AlreadyMisclassified => ImageOutcome.AlreadyMisclassified,
        _ => ImageOutcome.Failed,
    };

    /// <summary>Gets the result folder in the results container.</summary>
    public required string ResultFolder { get; init; }

    /// <summary>Gets a value indicating whether a verified adversarial image was found.</summary>
    public bool Success { get; init; }

    /// <summary>Gets the queries the attack spent.</summary>
    public int Queries { get; init; }

    /// <summary>Gets the clean top-1 label.</summary>
    public string? CleanLabel { get; init; }

    /// <summary>Gets the verified top-1 label of the adversarial image.</summary>
    public string? AdversarialLabel { get; init; }

    /// <summary>Gets a message for a person (why it was rejected, or the report's message).</summary>
    public string? Message { get; init; }
}
