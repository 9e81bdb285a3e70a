using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Storage;
using AttackCore.Reporting;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// Activity: the fan-in. Merges the partial summaries of the audit's chunks (<see cref="SummarizeAuditChunk"/>), one
/// blob per chunk, in the listing's order, builds the summary (<see cref="AuditSummaryBuilder"/>) and writes
/// <c>summary.csv</c>, <c>summary.html</c> and then <c>summary.json</c> (the marker) to <c>results/audits/&lt;id&gt;/</c>.
/// </summary>
/// <remarks>
/// A chunk without its partial (its run was stopped before the chunk was summarized) is summarized here. Reports were
/// slimmed to what the summary uses when the partial was written, so this activity holds one slim report per input,
/// never the full reports, and reads one blob per chunk. The checkpoints of the audit's image runs are deleted.
/// </remarks>
public sealed partial class WriteAuditSummary : IActivity<AuditSummaryInput, AuditResult>
{
    private readonly AuditStore _audits;
    private readonly SummarizeAuditChunk _chunks;
    private readonly ILogger<WriteAuditSummary> _logger;

    /// <summary>Initializes a new instance of the <see cref="WriteAuditSummary"/> class.</summary>
    /// <param name="audits">The audit blobs.</param>
    /// <param name="chunks">Summarizes a chunk without its partial.</param>
    /// <param name="logger">The logger.</param>
    public WriteAuditSummary(AuditStore audits, SummarizeAuditChunk chunks, ILogger<WriteAuditSummary> logger)
    {
        _audits = audits ?? throw new ArgumentNullException(nameof(audits));
        _chunks = chunks ?? throw new ArgumentNullException(nameof(chunks));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <inheritdoc/>
    public async Task<AuditResult> ExecuteAsync(AuditSummaryInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        AuditPlan plan = await _audits.ReadPlanAsync(input.AuditId, cancellationToken).ConfigureAwait(false);
        AuditManifest manifest = await _audits.TryReadManifestAsync(input.AuditId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Audit {input.AuditId} has no manifest.json; it was never listed.");
        var images = new List<AuditImageInput>(manifest.Items + manifest.Missing);
        for (int chunk = 0; chunk < manifest.Chunks; chunk++)
        {
            List<AuditPartialEntry> partial = await _audits.TryReadPartialAsync(input.AuditId, chunk, cancellationToken).ConfigureAwait(false)
                ?? await _chunks.BuildAsync(input.AuditId, chunk, cancellationToken).ConfigureAwait(false);
            images.AddRange(partial.Select(e => new AuditImageInput(e.Input, e.ResultFolder, e.Label, e.Report is null ? null : ReportJson.Deserialize(e.Report), e.Reason, e.Message)));
        }

        AuditSummary summary = AuditSummaryBuilder.Build(plan.AuditId, plan.Describe(), plan.Attack, images, input.StartedUtc, input.FinishedUtc);
        string folder = AuditStore.ResultsFolder(plan.AuditId);
        string results = _audits.Storage.ResultsContainer;
        await _audits.Blobs.WriteAsync(results, BlobStore.Join(folder, "summary.csv"), BinaryData.FromString(AuditSummaryCsv.Render(summary)), "text/csv; charset=utf-8", cancellationToken).ConfigureAwait(false);
        await _audits.Blobs.WriteAsync(results, BlobStore.Join(folder, "summary.html"), BinaryData.FromString(AuditSummaryHtml.Render(summary, UpToContainer(folder))), "text/html; charset=utf-8", cancellationToken).ConfigureAwait(false);
        string json = BlobStore.Join(folder, AuditStore.SummaryJson);
        await _audits.Blobs.WriteAsync(results, json, BinaryData.FromString(AuditSummaryJson.Serialize(summary)), "application/json", cancellationToken).ConfigureAwait(false);
        // Checkpoints of image runs that failed or were stopped (a finished run deletes its own).
        int orphans = await _audits.Blobs.DeletePrefixAsync(_audits.Storage.AttackWorkContainer, CheckpointStore.PrefixOfAll(AuditStore.ImageInstancePrefix(plan.AuditId)), cancellationToken).ConfigureAwait(false);
        Log.Summarized(_logger, plan.AuditId, summary.Counts.Images, summary.Counts.Fooled, summary.Counts.Failed, orphans);
        return new AuditResult(json, summary.Counts.Images, summary.Counts.Fooled, summary.Counts.Failed);
    }

    /// <summary>The relative path from a folder of the results container to the container's root, where result folders are named from.</summary>
    private static string UpToContainer(string folder) =>
        string.Concat(Enumerable.Repeat("../", folder.Split('/', StringSplitOptions.RemoveEmptyEntries).Length));

    private static partial class Log
    {
        [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "Audit {AuditId}: summary written ({Images} images, {Fooled} fooled, {Failed} failed); {Orphans} stale checkpoint blobs deleted")]
        public static partial void Summarized(ILogger logger, string auditId, int images, int fooled, int failed, int orphans);
    }
}
