using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using AttackCore.Reporting;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// Activity: the partial summary of one chunk, once all its images are finished. Reads each input's result folder
/// (report.json, else error.json; 16 reads at a time) and writes what the summary needs of them to
/// <c>partials/&lt;chunk&gt;.json</c> (the report without its per-query trace), so <see cref="WriteAuditSummary"/> reads
/// one small blob per chunk instead of every report, and no activity holds more than one chunk of reports.
/// </summary>
/// <remarks>An input whose folder has no marker yet gets an error.json (reason <c>AuditFailed</c>, which a resumed audit
/// runs again), so every input ends with exactly one complete result folder. It reads the blobs, not the
/// orchestration's history, so the summary is exactly what a reader of the result folders sees.</remarks>
public sealed class SummarizeAuditChunk : IActivity<AuditPartialInput, int>
{
    /// <summary>The error.json message of an input whose run ended without a result.</summary>
    public const string NoResultMessage = "The image's run ended without a result (its failure could not be recorded, or the audit was stopped); resume the audit (POST /api/audits/{id}/resume) to run it again.";

    private const int ParallelReads = 16;
    private readonly AuditStore _audits;

    /// <summary>Initializes a new instance of the <see cref="SummarizeAuditChunk"/> class.</summary>
    /// <param name="audits">The audit blobs.</param>
    public SummarizeAuditChunk(AuditStore audits) => _audits = audits ?? throw new ArgumentNullException(nameof(audits));

    /// <inheritdoc/>
    /// <returns>The number of inputs summarized.</returns>
    public async Task<int> ExecuteAsync(AuditPartialInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        List<AuditPartialEntry> entries = await BuildAsync(input.AuditId, input.Chunk, cancellationToken).ConfigureAwait(false);
        await _audits.WritePartialAsync(input.AuditId, input.Chunk, entries, cancellationToken).ConfigureAwait(false);
        return entries.Count;
    }

    /// <summary>Reads the result folders of one chunk's inputs (without writing the partial).</summary>
    /// <param name="auditId">The audit id.</param>
    /// <param name="chunk">The chunk.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>Its inputs, in the listing's order.</returns>
    internal async Task<List<AuditPartialEntry>> BuildAsync(string auditId, int chunk, CancellationToken cancellationToken)
    {
        AuditPlan plan = await _audits.ReadPlanAsync(auditId, cancellationToken).ConfigureAwait(false);
        List<AuditItem> items = await _audits.ReadChunkAsync(auditId, chunk, cancellationToken).ConfigureAwait(false);
        var entries = new AuditPartialEntry[items.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, items.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (i, ct) => entries[i] = await ReadAsync(plan, items[i], ct).ConfigureAwait(false)).ConfigureAwait(false);
        return [.. entries];
    }

    private async Task<AuditPartialEntry> ReadAsync(AuditPlan plan, AuditItem item, CancellationToken cancellationToken)
    {
        string results = _audits.Storage.ResultsContainer;
        string folder = item.ResultFolder;

        // The report first, as a read that may find nothing: one request for nearly every input.
        if (await _audits.Blobs.TryReadAsync(results, BlobStore.Join(folder, BlobStore.ReportMarker), cancellationToken).ConfigureAwait(false) is { } report)
        {
            AttackReport slim = ReportJson.Deserialize(report.ToString()) with { Trace = [] };
            return new AuditPartialEntry(item.Name, folder, item.Label, ReportJson.Serialize(slim), null, null);
        }

        if (await _audits.Blobs.TryReadAsync(results, BlobStore.Join(folder, BlobStore.ErrorMarker), cancellationToken).ConfigureAwait(false) is { } error)
        {
            ErrorReport parsed = ErrorReport.Parse(error.ToString());
            return new AuditPartialEntry(item.Name, folder, item.Label, null, parsed.Reason, parsed.Message);
        }

        // Its run ended without a result (its failure could not be recorded, or the audit was stopped): it gets its
        // error.json now, so every input ends with exactly one complete result folder.
        var missing = new ErrorReport(item.Name, plan.Container, item.ETag, LoadAuditChunk.RetryableReason, NoResultMessage);
        await _audits.Blobs.WriteResultFolderAsync(results, folder, [missing.ToFile()], cancellationToken).ConfigureAwait(false);
        return new AuditPartialEntry(item.Name, folder, item.Label, null, missing.Reason, missing.Message);
    }
}
