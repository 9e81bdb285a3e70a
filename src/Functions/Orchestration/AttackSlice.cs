using AdvAudit.Functions.Serving;
using AdvAudit.Functions.Settings;
using AttackCore.Engine;
using AttackCore.Models;
using AttackCore.Models.Remote;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// Activity: loads the checkpoint, attacks for one bounded slice (<see cref="SettingNames.AttackSliceQueries"/>
/// iterations or <see cref="SettingNames.AttackSliceSeconds"/> seconds, whichever comes first), saves the next
/// checkpoint under its own name and reports progress (see <see cref="ImageCheckpoint"/> for why retries are safe).
/// When the attack ends in this slice, it writes the result at once (<see cref="FinalizeImage.FinishAsync"/>) instead
/// of a state for <see cref="FinalizeImage"/> to read, and the checkpoint it returns carries the result.
/// </summary>
public sealed partial class AttackSlice : IActivity<ImageCheckpoint, ImageCheckpoint>
{
    private readonly ModelProvider _models;
    private readonly CheckpointStore _checkpoints;
    private readonly FinalizeImage _finalize;
    private readonly AttackDefaults _attack;
    private readonly ILogger<AttackSlice> _logger;
    private readonly ILogger<AttackRunner> _runnerLogger;
    private readonly TimeProvider _time;

    /// <summary>Initializes a new instance of the <see cref="AttackSlice"/> class.</summary>
    /// <param name="models">The served model.</param>
    /// <param name="checkpoints">The work container.</param>
    /// <param name="finalize">Ends an image whose attack ends in the slice.</param>
    /// <param name="attack">The slice budget.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="runnerLogger">The engine's logger.</param>
    /// <param name="timeProvider">The clock that bounds the slice.</param>
    public AttackSlice(ModelProvider models, CheckpointStore checkpoints, FinalizeImage finalize, IOptions<AttackDefaults> attack, ILogger<AttackSlice> logger, ILogger<AttackRunner> runnerLogger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(attack);
        _models = models ?? throw new ArgumentNullException(nameof(models));
        _checkpoints = checkpoints ?? throw new ArgumentNullException(nameof(checkpoints));
        _finalize = finalize ?? throw new ArgumentNullException(nameof(finalize));
        _attack = attack.Value;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _runnerLogger = runnerLogger ?? throw new ArgumentNullException(nameof(runnerLogger));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <inheritdoc/>
    public async Task<ImageCheckpoint> ExecuteAsync(ImageCheckpoint input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        int next = input.Slice + 1;
        AttackBatch batch;
        try
        {
            batch = await _checkpoints.LoadAsync(input, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404 && input.ResultFolder is { } folder)
        {
            // A retry after an attempt that ended the attack, wrote the result and deleted this slice's input.
            return input with { Finished = true, Result = await _finalize.WrittenAsync(folder, cancellationToken).ConfigureAwait(false) };
        }

        if (batch.IsAttackFinished)
        {
            return await EndAsync(input with { Finished = true }, batch, cancellationToken).ConfigureAwait(false);
        }

        ServedModel model = await _models.GetAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<AttackCore.Gradients.IGradientModel>? surrogates = await _models.SurrogatesForAsync(batch.Request, input.SurrogateModels, model, cancellationToken).ConfigureAwait(false);
        var runner = new AttackRunner(model.Classifier, model.Info, _runnerLogger, _time, model.GradientsFor(batch.Request), surrogates);
        bool finished;
        RemoteQueryCounts? remote = null;
        using (RemoteQueryMeter? meter = model.Classifier is RemoteClassifier ? RemoteClassifier.Measure() : null)
        using ((model.Classifier as BatchingClassifier)?.Enlist())
        {
            // Enlisted while attacking: the batching front sends a batch as soon as every attacking slice is in it.
            finished = runner.Advance(batch, _attack.SliceBudget(), cancellationToken);
            remote = meter?.Counts;
        }

        AttackProgress progress = batch.Progress();
        Log.Sliced(_logger, input.WorkPrefix, next, progress.Queries, progress.LowestMargin, finished);
        ImageCheckpoint after = input.WithRemote(remote) with
        {
            Slice = next,
            Queries = progress.Queries,
            LowestMargin = progress.LowestMargin,
            Finished = finished,
            AttackMs = batch.AttackMs,
        };
        if (finished && input.ResultFolder is not null)
        {
            // Its input (and the state before) are what is left to delete; a retry that finds its input gone reads the result.
            return await EndAsync(after with { Slice = input.Slice, StateBlob = input.StateBlob }, batch, cancellationToken).ConfigureAwait(false) with { Slice = next };
        }

        string stateBlob = input.StateBlobAfter(next);
        await _checkpoints.WriteStateAsync(stateBlob, batch, cancellationToken).ConfigureAwait(false);
        if (input.Slice >= 1)
        {
            // Two behind: never this slice's own input, which a retry of this slice still reads.
            await _checkpoints.DeleteAsync(input.StateBlobAfter(input.Slice - 1), cancellationToken).ConfigureAwait(false);
        }

        return after with { StateBlob = stateBlob };
    }

    /// <summary>Writes the result of an attack that is over, when the checkpoint says where (else <see cref="FinalizeImage"/> does, as its own activity).</summary>
    private async Task<ImageCheckpoint> EndAsync(ImageCheckpoint checkpoint, AttackBatch batch, CancellationToken cancellationToken)
    {
        if (checkpoint.ResultFolder is null)
        {
            return checkpoint;
        }

        ImageAuditResult result = await _finalize.FinishAsync(batch, checkpoint.ToFinalizeInput(), checkpoint.WorkBlobs(), cancellationToken).ConfigureAwait(false);
        return checkpoint with { Result = result };
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 410, Level = LogLevel.Debug, Message = "{Run} slice {Slice}: {Queries} queries, lowest margin {Margin}, finished {Finished}")]
        public static partial void Sliced(ILogger logger, string run, int slice, long queries, double? margin, bool finished);
    }
}
