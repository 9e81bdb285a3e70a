using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Orchestration;

/// <summary>The input of <see cref="RecordUploadFailure"/>: an upload whose run failed after every retry.</summary>
/// <param name="Item">The upload's work item.</param>
/// <param name="Message">What failed.</param>
/// <param name="WorkPrefix">Its checkpoint folder in the work container (<see cref="CheckpointStore.PrefixFor(string)"/> of its instance id).</param>
public sealed record UploadFailureInput(ImageWorkItem Item, string Message, string WorkPrefix);

/// <summary>
/// Activity: gives an upload whose run failed (every retry spent, storage down past the tolerance, a bug) its error.json
/// (reason <c>AuditFailed</c>) and deletes its checkpoints, so the input ends with a complete result and nothing is
/// left behind. Only for the version that is current: a newer version's run owns the folder.
/// </summary>
public sealed partial class RecordUploadFailure : IActivity<UploadFailureInput, bool>
{
    /// <summary>The error.json reason.</summary>
    public const string Reason = "AuditFailed";

    private readonly BlobStore _store;
    private readonly CheckpointStore _checkpoints;
    private readonly StorageOptions _storage;
    private readonly ILogger<RecordUploadFailure> _logger;

    /// <summary>Initializes a new instance of the <see cref="RecordUploadFailure"/> class.</summary>
    /// <param name="store">Blob access.</param>
    /// <param name="checkpoints">The work container.</param>
    /// <param name="storage">Container names.</param>
    /// <param name="logger">The logger.</param>
    public RecordUploadFailure(BlobStore store, CheckpointStore checkpoints, IOptions<StorageOptions> storage, ILogger<RecordUploadFailure> logger)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _checkpoints = checkpoints ?? throw new ArgumentNullException(nameof(checkpoints));
        _storage = storage.Value;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <inheritdoc/>
    public async Task<bool> ExecuteAsync(UploadFailureInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ImageWorkItem item = input.Item;
        var report = new ErrorReport(item.Name, item.Container, item.ETag, Reason, "The image's run failed after every retry: " + input.Message + " Upload the image again to audit it again.");
        bool written = await ErrorFolder.WriteAsync(_store, _storage.ResultsContainer, item.ResultFolder, report, new BlobVersion(item.Container, item.Name, item.ETag), cancellationToken).ConfigureAwait(false);
        await _checkpoints.DeleteRunAsync(input.WorkPrefix, cancellationToken).ConfigureAwait(false);

        Log.Recorded(_logger, item.Container, item.Name, written, input.Message);
        return written;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 440, Level = LogLevel.Error, Message = "The run of {Container}/{Name} failed (error.json written: {Written}): {Message}")]
        public static partial void Recorded(ILogger logger, string container, string name, bool written, string message);
    }
}
