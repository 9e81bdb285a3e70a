using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// Activity: gives an image whose orchestration failed (every retry spent) an error.json (reason
/// <c>AuditFailed</c>), or whose listed version was gone before it was read (reason <c>Gone</c>), unless its folder is
/// already complete, so every input of an audit ends with exactly one complete result folder.
/// </summary>
public sealed class RecordImageFailure : IActivity<ImageFailureInput, bool>
{
    private readonly AuditStore _audits;

    /// <summary>Initializes a new instance of the <see cref="RecordImageFailure"/> class.</summary>
    /// <param name="audits">The audit blobs.</param>
    public RecordImageFailure(AuditStore audits) => _audits = audits ?? throw new ArgumentNullException(nameof(audits));

    /// <inheritdoc/>
    public async Task<bool> ExecuteAsync(ImageFailureInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ImageWorkItem item = input.Item;
        string results = _audits.Storage.ResultsContainer;
        if (await _audits.Blobs.GetCompletionAsync(results, item.ResultFolder, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        var report = new ErrorReport(item.Name, item.Container, item.ETag, input.Reason, input.Message);
        await _audits.Blobs.WriteResultFolderAsync(results, item.ResultFolder, [report.ToFile()], cancellationToken).ConfigureAwait(false);
        return true;
    }
}
