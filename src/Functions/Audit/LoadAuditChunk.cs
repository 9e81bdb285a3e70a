using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Upload;

namespace AdvAudit.Functions.Audit;

/// <summary>Activity: reads one chunk of an audit's listing and turns it into per-image work items that carry the audit's resolved request.</summary>
public sealed class LoadAuditChunk : IActivity<AuditChunkInput, List<ImageWorkItem>>
{
    private readonly AuditStore _audits;

    /// <summary>Initializes a new instance of the <see cref="LoadAuditChunk"/> class.</summary>
    /// <param name="audits">The audit blobs.</param>
    public LoadAuditChunk(AuditStore audits) => _audits = audits ?? throw new ArgumentNullException(nameof(audits));

    /// <inheritdoc/>
    public async Task<List<ImageWorkItem>> ExecuteAsync(AuditChunkInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        AuditPlan plan = await _audits.ReadPlanAsync(input.AuditId, cancellationToken).ConfigureAwait(false);
        List<AuditItem> items = await _audits.ReadChunkAsync(input.AuditId, input.Chunk, cancellationToken).ConfigureAwait(false);
        return
        [
            .. items.Select(item => new ImageWorkItem
            {
                Container = plan.Container,
                Name = item.Name,
                ETag = item.ETag,
                Length = item.Length,
                ResultFolder = item.ResultFolder,
                Request = plan.Request,
                TransferModels = plan.TransferModels,
                WorkId = AuditStore.ImageInstanceId(plan.AuditId, plan.Container, item.Name, item.ETag),
            }),
        ];
    }
}
