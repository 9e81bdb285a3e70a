using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using AttackCore.Reporting;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// Activity: reads one chunk of an audit's listing and turns it into per-image work items that carry the audit's
/// resolved request. In a resumed run (<see cref="AuditChunkInput.Resume"/> above 0) an input whose result folder is
/// complete is not run again (its outcome is returned instead), except one whose error.json says its run failed
/// (reason <c>AuditFailed</c>): that error.json is deleted and the input runs again, under a new sub-orchestration id.
/// </summary>
public sealed class LoadAuditChunk : IActivity<AuditChunkInput, AuditChunk>
{
    /// <summary>The error.json reason of an input whose run failed: a resumed audit runs it again.</summary>
    public const string RetryableReason = "AuditFailed";

    private const int ParallelReads = 16;
    private readonly AuditStore _audits;

    /// <summary>Initializes a new instance of the <see cref="LoadAuditChunk"/> class.</summary>
    /// <param name="audits">The audit blobs.</param>
    public LoadAuditChunk(AuditStore audits) => _audits = audits ?? throw new ArgumentNullException(nameof(audits));

    /// <inheritdoc/>
    public async Task<AuditChunk> ExecuteAsync(AuditChunkInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        AuditPlan plan = await _audits.ReadPlanAsync(input.AuditId, cancellationToken).ConfigureAwait(false);
        // Inputs that failed at listing (not found, refused names) have their error.json and are counted by the listing.
        List<AuditItem> items = [.. (await _audits.ReadChunkAsync(input.AuditId, input.Chunk, cancellationToken).ConfigureAwait(false)).Where(i => i.Failure is null)];
        var finished = new ImageOutcome?[items.Count];
        if (input.Resume > 0)
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, items.Count),
                new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
                async (i, ct) => finished[i] = await FinishedOutcomeAsync(items[i].ResultFolder, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }

        return new AuditChunk(
            [
                .. items.Where((_, i) => finished[i] is null).Select(item => new ImageWorkItem
                {
                    Container = plan.Container,
                    Name = item.Name,
                    ETag = item.ETag,
                    Length = item.Length,
                    ResultFolder = item.ResultFolder,
                    Request = plan.Request,
                    TransferModels = plan.TransferModels,
                    SurrogateModels = plan.SurrogateModels,
                    WorkId = AuditStore.ImageInstanceId(plan.AuditId, plan.Container, item.Name, item.ETag, input.Resume),
                }),
            ],
            [.. finished.OfType<ImageOutcome>()]);
    }

    /// <summary>The outcome of a complete result folder, or <see langword="null"/> when the input must run (again).</summary>
    private async Task<ImageOutcome?> FinishedOutcomeAsync(string folder, CancellationToken cancellationToken)
    {
        string results = _audits.Storage.ResultsContainer;
        switch (await _audits.Blobs.GetCompletionAsync(results, folder, cancellationToken).ConfigureAwait(false))
        {
            case BlobStore.ReportMarker:
                BinaryData report = await _audits.Blobs.ReadAsync(results, BlobStore.Join(folder, BlobStore.ReportMarker), cancellationToken: cancellationToken).ConfigureAwait(false);
                return ImageAuditResult.OutcomeOf(ReportJson.Deserialize(report.ToString()).Outcome.Status);
            case BlobStore.ErrorMarker:
                string error = BlobStore.Join(folder, BlobStore.ErrorMarker);
                if (ErrorReport.Parse((await _audits.Blobs.ReadAsync(results, error, cancellationToken: cancellationToken).ConfigureAwait(false)).ToString()).Reason != RetryableReason)
                {
                    return ImageOutcome.Failed;
                }

                // The folder becomes absent (not half-written) until the new run writes it.
                await _audits.Blobs.DeleteIfExistsAsync(results, error, cancellationToken).ConfigureAwait(false);
                return null;
            default:
                return null;
        }
    }
}
