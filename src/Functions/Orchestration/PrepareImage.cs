using AdvAudit.Functions.Serving;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Models.Remote;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// Activity: reads the upload (the exact version the event named), decodes it with limits, classifies it, starts the
/// attack (an audit's resolved request, or the app settings overridden by the blob's metadata, see <see cref="AttackOverrides"/>),
/// runs its first slice and saves the checkpoint; an attack that ends in that slice (or has nothing to attack) gets its
/// result folder at once (<see cref="FinalizeImage.FinishAsync"/>). A bad image or bad options get <c>error.json</c>
/// and no checkpoint; the upload stays as it is.
/// </summary>
public sealed partial class PrepareImage : IActivity<ImageWorkItem, PrepareResult>
{
    private readonly ModelProvider _models;
    private readonly BlobStore _store;
    private readonly CheckpointStore _checkpoints;
    private readonly FinalizeImage _finalize;
    private readonly StorageOptions _storage;
    private readonly AttackDefaults _attack;
    private readonly TriggerOptions _trigger;
    private readonly ILogger<PrepareImage> _logger;
    private readonly ILogger<AttackRunner> _runnerLogger;
    private readonly TimeProvider _time;

    /// <summary>Initializes a new instance of the <see cref="PrepareImage"/> class.</summary>
    /// <param name="models">The served model.</param>
    /// <param name="store">Blob access.</param>
    /// <param name="checkpoints">The work container.</param>
    /// <param name="finalize">Ends an image whose attack ends here.</param>
    /// <param name="storage">Container names.</param>
    /// <param name="attack">Attack settings.</param>
    /// <param name="trigger">The upload size limit.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="runnerLogger">The engine's logger.</param>
    /// <param name="timeProvider">The clock.</param>
    public PrepareImage(ModelProvider models, BlobStore store, CheckpointStore checkpoints, FinalizeImage finalize, IOptions<StorageOptions> storage, IOptions<AttackDefaults> attack, IOptions<TriggerOptions> trigger, ILogger<PrepareImage> logger, ILogger<AttackRunner> runnerLogger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(attack);
        ArgumentNullException.ThrowIfNull(trigger);
        _models = models ?? throw new ArgumentNullException(nameof(models));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _checkpoints = checkpoints ?? throw new ArgumentNullException(nameof(checkpoints));
        _finalize = finalize ?? throw new ArgumentNullException(nameof(finalize));
        _storage = storage.Value;
        _attack = attack.Value;
        _trigger = trigger.Value;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _runnerLogger = runnerLogger ?? throw new ArgumentNullException(nameof(runnerLogger));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <inheritdoc/>
    public async Task<PrepareResult> ExecuteAsync(ImageWorkItem input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        BinaryData content;
        try
        {
            content = await _store.ReadAsync(input.Container, input.Name, input.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            Log.Gone(_logger, input.Container, input.Name);
            return new PrepareResult(null, ImageOutcome.Gone, "The upload was deleted or replaced before it was attacked; a replacement is audited on its own.");
        }

        ServedModel model = await _models.GetAsync(cancellationToken).ConfigureAwait(false);
        AttackRequest request;
        PreparedImage image;
        AttackBatch batch;
        AttackRunner runner;
        using RemoteQueryMeter? meter = model.Classifier is RemoteClassifier ? RemoteClassifier.Measure() : null;
        IReadOnlyList<string>? surrogateNames = null;
        try
        {
            request = input.Request ?? AttackOverrides.Apply(_attack, input.Metadata);
            var limits = new DecodeLimits { MaxBytes = (long)_trigger.MaxImageMb * 1024 * 1024 };
            image = PreparedImage.Load(input.Name, content.ToArray(), model.Spec, limits);
            if (request.Attacks.Any(a => a.UsesSurrogates))
            {
                surrogateNames = (input.SurrogateModels ?? AttackOverrides.SurrogateModelsOf(input.Metadata) ?? _models.DefaultSurrogateBlobNames) is { Count: > 0 } named ? named : null;
                if (surrogateNames is null)
                {
                    throw new ArgumentException(
                        $"{request.Attacks.First(a => a.UsesSurrogates).AttackName} crafts on surrogate models and none is named: set {SettingNames.ModelSurrogateBlobNames}, the upload's {AttackOverrides.SurrogateModels} metadata or an audit's surrogateModels option to ONNX blobs in the models container (each with a sidecar JSON).");
                }
            }

            IReadOnlyList<IGradientModel>? surrogates = await _models.SurrogatesForAsync(request, surrogateNames, model, cancellationToken).ConfigureAwait(false);
            runner = new AttackRunner(model.Classifier, model.Info, _runnerLogger, _time, model.GradientsFor(request), surrogates);
            batch = runner.Begin([image], request);
        }
        catch (Exception e) when (surrogateNames is not null && e is AttackCore.Models.ModelSpecException or AttackCore.Models.ModelUnavailableException)
        {
            // A surrogate that is missing or misdescribed: no retry fixes it, and without it the attack cannot run.
            return await RejectAsync(input, "SurrogateUnavailable", $"A surrogate model ({string.Join(", ", surrogateNames)}) could not be loaded: {e.Message}", cancellationToken).ConfigureAwait(false);
        }
        catch (GradientNotSupportedException e)
        {
            // A white-box attack on a model whose graph cannot be differentiated: say which operator.
            return await RejectAsync(input, "ModelNotDifferentiable", e.Message, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidImageException e)
        {
            // The message is for the person; the decoder's own exception, if any, is for whoever reads the log.
            Log.RejectedDetail(_logger, input.Container, input.Name, e.InnerException);
            return await RejectAsync(input, e.Reason.ToString(), e.Message, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            // Bad metadata overrides, or a target that names no class of this model.
            return await RejectAsync(input, "InvalidOptions", e.Message, cancellationToken).ConfigureAwait(false);
        }

        string prefix = CheckpointStore.PrefixFor(input.WorkId ?? InstanceIds.ForImage(input.Container, input.Name, input.ETag));
        var checkpoint = new ImageCheckpoint
        {
            WorkPrefix = prefix,
            SlicesPerExecution = _attack.SlicesPerExecution,
            MaxQueries = request.Attacks.Sum(a => a.MaxQueries),
            TransferModels = (input.TransferModels ?? AttackOverrides.TransferModelsOf(input.Metadata) ?? _models.DefaultTransferBlobNames) is { Count: > 0 } transfer ? transfer : null,
            SurrogateModels = surrogateNames,
            ResultFolder = input.ResultFolder,
            Source = new BlobVersion(input.Container, input.Name, input.ETag),
            OnlyIfCurrent = input.WorkId is null,
        };
        if (!batch.IsAttackFinished)
        {
            // The first slice at once: an image whose attack ends in it needs no state blob and no other activity.
            using ((model.Classifier as BatchingClassifier)?.Enlist())
            {
                runner.Advance(batch, _attack.SliceBudget(), cancellationToken);
            }

            checkpoint = checkpoint with { Slice = 1 };
        }

        AttackProgress progress = batch.Progress();
        Log.Prepared(_logger, input.Container, input.Name, batch.Jobs[0].Clean.TrueClass.Label, progress.Queries);
        checkpoint = checkpoint.WithRemote(meter?.Counts) with
        {
            Queries = progress.Queries,
            LowestMargin = progress.LowestMargin,
            Finished = batch.IsAttackFinished,
            AttackMs = batch.AttackMs,
        };
        if (checkpoint.Finished)
        {
            // Nothing was saved, so a retry starts from the upload again and comes to the same result.
            ImageAuditResult result = await _finalize.FinishAsync(batch, checkpoint.ToFinalizeInput(), [], cancellationToken).ConfigureAwait(false);
            return new PrepareResult(checkpoint with { Result = result });
        }

        // The state blob holds the request and the job too.
        checkpoint = checkpoint with { StateBlob = checkpoint.StateBlobAfter(checkpoint.Slice) };
        await _checkpoints.WriteStateAsync(checkpoint.StateBlob, batch, cancellationToken).ConfigureAwait(false);
        return new PrepareResult(checkpoint);
    }

    private async Task<PrepareResult> RejectAsync(ImageWorkItem input, string reason, string message, CancellationToken cancellationToken)
    {
        var report = new ErrorReport(input.Name, input.Container, input.ETag, reason, message);
        // An upload's folder is shared by every version of its name: only the current version's rejection is written.
        BlobVersion? source = input.WorkId is null ? new BlobVersion(input.Container, input.Name, input.ETag) : null;
        if (!await ErrorFolder.WriteAsync(_store, _storage.ResultsContainer, input.ResultFolder, report, source, cancellationToken).ConfigureAwait(false))
        {
            return new PrepareResult(null, CurrentVersion.SupersededOutcome, $"{input.Container}/{input.Name} was replaced before its rejection ({reason}) was written; the newer version's run writes the result.");
        }

        Log.Rejected(_logger, input.Container, input.Name, reason, message);
        return new PrepareResult(null, ImageOutcome.Rejected, message);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Prepared {Container}/{Name}: clean label {Label}, {Queries} queries so far")]
        public static partial void Prepared(ILogger logger, string container, string name, string label, long queries);

        [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Rejected {Container}/{Name} while preparing ({Reason}): {Message}")]
        public static partial void Rejected(ILogger logger, string container, string name, string reason, string message);

        [LoggerMessage(EventId = 403, Level = LogLevel.Debug, Message = "The decoder's account of why {Container}/{Name} was rejected")]
        public static partial void RejectedDetail(ILogger logger, string container, string name, Exception? detail);

        [LoggerMessage(EventId = 402, Level = LogLevel.Information, Message = "{Container}/{Name} was deleted or replaced before it was prepared")]
        public static partial void Gone(ILogger logger, string container, string name);
    }
}
