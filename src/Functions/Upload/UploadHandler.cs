using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AttackCore.Imaging;
using Azure;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Upload;

/// <summary>What <see cref="UploadHandler.HandleAsync"/> did with an event.</summary>
public enum UploadOutcome
{
    /// <summary>A new orchestration was scheduled.</summary>
    Scheduled,

    /// <summary>The orchestration of this blob version already exists; nothing was done.</summary>
    Duplicate,

    /// <summary>
    /// The blob is not an acceptable image, or its name is unsafe (see <see cref="BlobNames"/>; its error.json is then
    /// under <c>_invalid-names/</c>); error.json was written and the blob left where it is.
    /// </summary>
    Rejected,

    /// <summary>The blob was gone (or had changed) by the time the event was handled; its own newer event does the work.</summary>
    Gone,

    /// <summary>The event came from the trigger that <see cref="TriggerOptions.Source"/> does not select.</summary>
    Ignored,
}

/// <summary>
/// The work of both upload triggers: refuse what is not an acceptable image at once (error.json; the original stays),
/// otherwise schedule the per-image orchestration under an id derived from the blob version, exactly once.
/// </summary>
public sealed partial class UploadHandler
{
    /// <summary>How long a claim without an orchestration is respected before another delivery takes it over.</summary>
    internal static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(5);

    private readonly BlobStore _store;
    private readonly StorageOptions _storage;
    private readonly TriggerOptions _trigger;
    private readonly int _outageToleranceMinutes;
    private readonly ILogger<UploadHandler> _logger;
    private readonly TimeProvider _time;

    /// <summary>Initializes a new instance of the <see cref="UploadHandler"/> class.</summary>
    /// <param name="store">Blob access.</param>
    /// <param name="storage">Container names.</param>
    /// <param name="trigger">The selected trigger and the size limit.</param>
    /// <param name="resilience">The retry settings (the outage tolerance the orchestration gets).</param>
    /// <param name="logger">The logger.</param>
    /// <param name="timeProvider">The clock that ages claims.</param>
    public UploadHandler(BlobStore store, IOptions<StorageOptions> storage, IOptions<TriggerOptions> trigger, IOptions<ResilienceOptions> resilience, ILogger<UploadHandler> logger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(resilience);
        _outageToleranceMinutes = resilience.Value.OutageToleranceMinutes;
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(trigger);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _storage = storage.Value;
        _trigger = trigger.Value;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Handles one upload event.</summary>
    /// <param name="container">The container the blob is in.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="source">Which trigger delivered the event.</param>
    /// <param name="client">The durable client to schedule with.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>What was done.</returns>
    public async Task<UploadOutcome> HandleAsync(string container, string name, UploadSource source, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (source != _trigger.ParsedSource)
        {
            Log.Ignored(_logger, container, name, source, _trigger.ParsedSource);
            return UploadOutcome.Ignored;
        }

        if (BlobNames.Problem(name) is string problem)
        {
            // Not even the blob's properties are read: storage would resolve such a name to another blob.
            var refused = new ErrorReport(name, container, string.Empty, BlobNames.InvalidNameReason, problem);
            await _store.WriteResultFolderAsync(_storage.ResultsContainer, BlobNames.InvalidNameFolder(string.Empty, name), [refused.ToFile()], cancellationToken).ConfigureAwait(false);
            Log.InvalidName(_logger, container, name, problem);
            return UploadOutcome.Rejected;
        }

        BlobInfo? info = await _store.TryGetInfoAsync(container, name, cancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            Log.Gone(_logger, container, name);
            return UploadOutcome.Gone;
        }

        string etag = InstanceIds.NormalizeETag(info.ETag);
        string instanceId = InstanceIds.ForImage(container, name, etag);
        string folder = ResultPaths.FolderFor(name);
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false) is not null)
        {
            Log.Duplicate(_logger, container, name, instanceId);
            return UploadOutcome.Duplicate;
        }

        var limits = new DecodeLimits { MaxBytes = (long)_trigger.MaxImageMb * 1024 * 1024 };
        try
        {
            if (info.Length > limits.MaxBytes)
            {
                // Refused from its properties alone: a huge blob is never downloaded.
                throw new InvalidImageException(ImageRejectionReason.TooLarge, $"The file is {info.Length:N0} bytes, above the limit of {_trigger.MaxImageMb} MiB ({SettingNames.TriggerMaxImageMb}): upload a smaller image.");
            }

            BinaryData content = await _store.ReadAsync(container, name, info.ETag, cancellationToken).ConfigureAwait(false);
            ImageHeader header = ImageDecoder.Identify(content.ToArray(), limits);
            Log.Accepted(_logger, container, name, header.Format, header.Width, header.Height);
        }
        catch (InvalidImageException e)
        {
            var report = new ErrorReport(name, container, etag, e.Reason.ToString(), e.Message);
            await ErrorFolder.WriteAsync(_store, _storage.ResultsContainer, folder, report, new BlobVersion(container, name, etag), cancellationToken).ConfigureAwait(false);
            Log.Rejected(_logger, container, name, e.Reason, e.Message, e.InnerException);
            return UploadOutcome.Rejected;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            Log.Gone(_logger, container, name);
            return UploadOutcome.Gone;
        }

        var item = new ImageWorkItem
        {
            Container = container,
            Name = name,
            ETag = etag,
            ResultFolder = folder,
            Length = info.Length,
            Metadata = info.Metadata,
            OutageToleranceMinutes = _outageToleranceMinutes,
        };
        // Claim the instance id with a create-only blob first: of events delivered at the same moment (Event Grid
        // retries, several workers) exactly one wins, whatever the durable backend does with a duplicate id.
        if (!await ClaimAsync(instanceId, client, cancellationToken).ConfigureAwait(false))
        {
            Log.Duplicate(_logger, container, name, instanceId);
            return UploadOutcome.Duplicate;
        }

        await client.ScheduleNewOrchestrationInstanceAsync(OrchestratorNames.ImageAudit, item, new StartOrchestrationOptions(instanceId), cancellationToken).ConfigureAwait(false);
        Log.Scheduled(_logger, container, name, instanceId);
        return UploadOutcome.Scheduled;
    }

    /// <summary>
    /// Claims <paramref name="instanceId"/> by creating <c>claims/&lt;id&gt;</c> in the work container. A claim older than
    /// <see cref="ClaimTimeout"/> whose instance never appeared belongs to a handler that died between claiming and
    /// scheduling (the host then redelivers the event): it is taken over, guarded by its ETag so only one taker wins.
    /// </summary>
    private async Task<bool> ClaimAsync(string instanceId, DurableTaskClient client, CancellationToken cancellationToken)
    {
        string claim = "claims/" + instanceId;
        BinaryData body = BinaryData.FromString(instanceId);
        if (await _store.TryCreateAsync(_storage.AttackWorkContainer, claim, body, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        BlobInfo? existing = await _store.TryGetInfoAsync(_storage.AttackWorkContainer, claim, cancellationToken).ConfigureAwait(false);
        if (existing is null || _time.GetUtcNow() - existing.LastModified < ClaimTimeout
            || await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        return await _store.TryDeleteVersionAsync(_storage.AttackWorkContainer, claim, existing.ETag, cancellationToken).ConfigureAwait(false)
            && await _store.TryCreateAsync(_storage.AttackWorkContainer, claim, body, cancellationToken).ConfigureAwait(false);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Scheduled the audit of {Container}/{Name} as {InstanceId}")]
        public static partial void Scheduled(ILogger logger, string container, string name, string instanceId);

        [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "{Container}/{Name} is already being audited or done as {InstanceId}; duplicate event ignored")]
        public static partial void Duplicate(ILogger logger, string container, string name, string instanceId);

        [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Rejected {Container}/{Name} ({Reason}): {Message}")]
        public static partial void Rejected(ILogger logger, string container, string name, ImageRejectionReason reason, string message, Exception? detail);

        [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "{Container}/{Name} was deleted or replaced before it was handled")]
        public static partial void Gone(ILogger logger, string container, string name);

        [LoggerMessage(EventId = 204, Level = LogLevel.Debug, Message = "Ignored {Container}/{Name} from the {Source} trigger; {Selected} is selected")]
        public static partial void Ignored(ILogger logger, string container, string name, UploadSource source, UploadSource selected);

        [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Refused the blob name {Container}/{Name}: {Problem}")]
        public static partial void InvalidName(ILogger logger, string container, string name, string problem);

        [LoggerMessage(EventId = 205, Level = LogLevel.Information, Message = "Accepted {Container}/{Name}: {Format} {Width}x{Height}")]
        public static partial void Accepted(ILogger logger, string container, string name, string format, int width, int height);
    }
}
