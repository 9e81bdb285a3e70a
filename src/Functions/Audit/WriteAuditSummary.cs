using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using AttackCore.Reporting;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// Activity: the fan-in. Reads every input's result folder (report.json, else error.json) as listed in the audit's
/// manifest, builds the summary (<see cref="AuditSummaryBuilder"/>) and writes <c>summary.csv</c>,
/// <c>summary.html</c> and then <c>summary.json</c> (the marker) to <c>results/audits/&lt;id&gt;/</c>.
/// </summary>
/// <remarks>An input whose folder has no marker yet gets an error.json (reason <c>AuditFailed</c>, which a resumed audit runs
/// again), and the checkpoints of the audit's image runs are deleted. It reads the blobs, not the orchestration's history, so the summary is exactly what a reader of the result folders sees. Reads run 16 at a time.</remarks>
public sealed partial class WriteAuditSummary : IActivity<AuditSummaryInput, AuditResult>
{
    /// <summary>The error.json message of an input whose run ended without a result.</summary>
    public const string NoResultMessage = "The image's run ended without a result (its failure could not be recorded, or the audit was stopped); resume the audit (POST /api/audits/{id}/resume) to run it again.";

    private const int ParallelReads = 16;
    private readonly AuditStore _audits;
    private readonly ILogger<WriteAuditSummary> _logger;

    /// <summary>Initializes a new instance of the <see cref="WriteAuditSummary"/> class.</summary>
    /// <param name="audits">The audit blobs.</param>
    /// <param name="logger">The logger.</param>
    public WriteAuditSummary(AuditStore audits, ILogger<WriteAuditSummary> logger)
    {
        _audits = audits ?? throw new ArgumentNullException(nameof(audits));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <inheritdoc/>
    public async Task<AuditResult> ExecuteAsync(AuditSummaryInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        AuditPlan plan = await _audits.ReadPlanAsync(input.AuditId, cancellationToken).ConfigureAwait(false);
        AuditManifest manifest = await _audits.TryReadManifestAsync(input.AuditId, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Audit {input.AuditId} has no manifest.json; it was never listed.");
        var inputs = new List<(string Name, string ETag, string Folder)>(manifest.Items + manifest.Missing.Count);
        for (int chunk = 0; chunk < manifest.Chunks; chunk++)
        {
            List<AuditItem> items = await _audits.ReadChunkAsync(input.AuditId, chunk, cancellationToken).ConfigureAwait(false);
            inputs.AddRange(items.Select(i => (i.Name, i.ETag, i.ResultFolder)));
        }

        inputs.AddRange(manifest.Missing.Zip(manifest.MissingFolders, (name, folder) => (name, string.Empty, folder)));
        var images = new AuditImageInput[inputs.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, inputs.Count),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (i, ct) => images[i] = await ReadImageAsync(plan, inputs[i].Name, inputs[i].ETag, inputs[i].Folder, plan.Labels.GetValueOrDefault(inputs[i].Name), ct).ConfigureAwait(false)).ConfigureAwait(false);

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

    private async Task<AuditImageInput> ReadImageAsync(AuditPlan plan, string name, string etag, string folder, string? label, CancellationToken cancellationToken)
    {
        string results = _audits.Storage.ResultsContainer;
        switch (await _audits.Blobs.GetCompletionAsync(results, folder, cancellationToken).ConfigureAwait(false))
        {
            case BlobStore.ReportMarker:
                BinaryData report = await _audits.Blobs.ReadAsync(results, BlobStore.Join(folder, BlobStore.ReportMarker), cancellationToken: cancellationToken).ConfigureAwait(false);
                return new AuditImageInput(name, folder, label, ReportJson.Deserialize(report.ToString()));
            case BlobStore.ErrorMarker:
                BinaryData error = await _audits.Blobs.ReadAsync(results, BlobStore.Join(folder, BlobStore.ErrorMarker), cancellationToken: cancellationToken).ConfigureAwait(false);
                ErrorReport parsed = ErrorReport.Parse(error.ToString());
                return new AuditImageInput(name, folder, label, null, parsed.Reason, parsed.Message);
            default:
                // Its run ended without a result (its failure could not be recorded, or the audit was stopped): it gets
                // its error.json now, so every input ends with exactly one complete result folder.
                var missing = new ErrorReport(name, plan.Container, etag, LoadAuditChunk.RetryableReason, NoResultMessage);
                await _audits.Blobs.WriteResultFolderAsync(results, folder, [missing.ToFile()], cancellationToken).ConfigureAwait(false);
                return new AuditImageInput(name, folder, label, null, missing.Reason, missing.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "Audit {AuditId}: summary written ({Images} images, {Fooled} fooled, {Failed} failed); {Orphans} stale checkpoint blobs deleted")]
        public static partial void Summarized(ILogger logger, string auditId, int images, int fooled, int failed, int orphans);
    }
}
