using AdvAudit.Functions.Serving;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using AttackCore.Engine;
using AttackCore.Models;
using AttackCore.Models.Remote;
using AttackCore.Reporting;
using Azure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// Activity: loads the last checkpoint, shrinks and verifies the adversarial image (<see cref="AttackRunner.Finish"/>),
/// writes the result folder (clean.png, adversarial.png, perturbation.png and report.html at once, while a stale
/// error.json of an earlier version is removed, then report.json last), and deletes the run's checkpoints.
/// </summary>
public sealed partial class FinalizeImage : IActivity<FinalizeInput, ImageAuditResult>
{
    private readonly ModelProvider _models;
    private readonly BlobStore _store;
    private readonly CheckpointStore _checkpoints;
    private readonly StorageOptions _storage;
    private readonly ILogger<FinalizeImage> _logger;
    private readonly ILogger<AttackRunner> _runnerLogger;
    private readonly TimeProvider _time;

    /// <summary>Initializes a new instance of the <see cref="FinalizeImage"/> class.</summary>
    /// <param name="models">The served model.</param>
    /// <param name="store">Blob access.</param>
    /// <param name="checkpoints">The work container.</param>
    /// <param name="storage">Container names.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="runnerLogger">The engine's logger.</param>
    /// <param name="timeProvider">The clock.</param>
    public FinalizeImage(ModelProvider models, BlobStore store, CheckpointStore checkpoints, IOptions<StorageOptions> storage, ILogger<FinalizeImage> logger, ILogger<AttackRunner> runnerLogger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _models = models ?? throw new ArgumentNullException(nameof(models));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _checkpoints = checkpoints ?? throw new ArgumentNullException(nameof(checkpoints));
        _storage = storage.Value;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _runnerLogger = runnerLogger ?? throw new ArgumentNullException(nameof(runnerLogger));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <inheritdoc/>
    public async Task<ImageAuditResult> ExecuteAsync(FinalizeInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        AttackBatch batch;
        try
        {
            batch = await _checkpoints.LoadAsync(input.Checkpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // A retry after an attempt that wrote the results and deleted the checkpoints: report what was written.
            return await WrittenAsync(input.ResultFolder, cancellationToken).ConfigureAwait(false);
        }

        return await FinishAsync(batch, input, input.Checkpoint.WorkBlobs(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends an image whose attack is over: shrinks and verifies the adversarial image, writes the result folder and
    /// deletes the run's work blobs. <see cref="PrepareImage"/> and <see cref="AttackSlice"/> call it themselves when
    /// the attack ends in their own call, which saves an activity and a state blob per image.
    /// </summary>
    /// <param name="batch">The batch, attack stage over.</param>
    /// <param name="input">The checkpoint the batch belongs to (its remote counts so far) and where the result goes.</param>
    /// <param name="workBlobs">The work blobs to delete once the result is written, the one a retry would read last.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The result.</returns>
    internal async Task<ImageAuditResult> FinishAsync(AttackBatch batch, FinalizeInput input, IReadOnlyList<string> workBlobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(workBlobs);
        string folder = input.ResultFolder;
        if (input.OnlyIfCurrent && input.Source is { } source && await CurrentVersion.SupersededAsync(_store, source, cancellationToken).ConfigureAwait(false) is string newer)
        {
            // A late result of an older version must not replace the newer version's result or error.json.
            await _checkpoints.DeleteRunAsync(input.Checkpoint.WorkPrefix, cancellationToken).ConfigureAwait(false);
            return new ImageAuditResult { Outcome = CurrentVersion.SupersededOutcome, ResultFolder = folder, Message = newer };
        }

        ServedModel model = await _models.GetAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<AttackCore.Gradients.IGradientModel>? surrogates = await _models.SurrogatesForAsync(batch.Request, input.Checkpoint.SurrogateModels, model, cancellationToken).ConfigureAwait(false);
        ImageResult result;
        using (RemoteQueryMeter? meter = model.Classifier is RemoteClassifier ? RemoteClassifier.Measure() : null)
        using ((model.Classifier as BatchingClassifier)?.Enlist())
        {
            result = new AttackRunner(model.Classifier, model.Info, _runnerLogger, _time, model.GradientsFor(batch.Request), surrogates).Finish(batch, cancellationToken)[0];
            if (model.Classifier is RemoteClassifier remote)
            {
                // The image's own accounting: every activity of this image measured its calls apart from other images.
                RemoteQueryCounts total = (input.Checkpoint.Remote ?? default).Plus(meter!.Counts);
                result = result with { Report = result.Report with { Remote = ModelDescription.Queries(remote, total, batchImages: 1) } };
            }
        }

        if (input.Source is { } described)
        {
            result = result with { Report = result.Report with { Input = result.Report.Input with { Version = described.ETag } } };
        }

        result = await EvaluateTransferAsync(result, input.Checkpoint.TransferModels, folder, cancellationToken).ConfigureAwait(false);
        List<ResultFile> files = [.. ResultFolder.Files(result).Select(ResultFile.From)];
        // An earlier version of the same path may have been rejected; its error.json no longer describes this folder.
        await _store.WriteResultFolderAsync(_storage.ResultsContainer, folder, files, [BlobStore.ErrorMarker], cancellationToken).ConfigureAwait(false);
        await _checkpoints.DeleteAsync(workBlobs, cancellationToken).ConfigureAwait(false);
        ImageAuditResult summary = Summarize(result.Report, folder);
        Log.Finished(_logger, folder, summary.Outcome, summary.Queries, summary.CleanLabel, summary.AdversarialLabel);
        return summary;
    }

    /// <summary>The result a finished attempt wrote, for a retry that finds the run's work blobs already deleted.</summary>
    /// <param name="folder">The result folder.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The result its report.json describes.</returns>
    internal async Task<ImageAuditResult> WrittenAsync(string folder, CancellationToken cancellationToken)
    {
        BinaryData written = await _store.ReadAsync(_storage.ResultsContainer, BlobStore.Join(folder, BlobStore.ReportMarker), cancellationToken: cancellationToken).ConfigureAwait(false);
        return Summarize(ReportJson.Deserialize(written.ToString()), folder);
    }

    private static ImageAuditResult Summarize(AttackReport report, string folder) => new()
    {
        Outcome = ImageAuditResult.OutcomeOf(report.Outcome.Status),
        ResultFolder = folder,
        Success = report.Outcome.Success,
        Queries = report.Outcome.Queries,
        CleanLabel = report.Clean.TrueClass.Label,
        AdversarialLabel = report.Adversarial is { Top5.Count: > 0 } adversarial ? adversarial.Top5[0].Label : null,
        Message = report.Outcome.Message,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 420, Level = LogLevel.Information, Message = "Wrote results/{Folder}: {Outcome} after {Queries} queries ({Clean} -> {Adversarial})")]
        public static partial void Finished(ILogger logger, string folder, ImageOutcome outcome, int queries, string? clean, string? adversarial);
    }
}

/// <summary>The input of <see cref="FinalizeImage"/>.</summary>
/// <param name="Checkpoint">The last checkpoint.</param>
/// <param name="ResultFolder">The result folder (see <see cref="ResultPaths.FolderFor"/>).</param>
public sealed record FinalizeInput(ImageCheckpoint Checkpoint, string ResultFolder)
{
    /// <summary>Gets the input blob version the result belongs to, which the report names; <see langword="null"/> names none.</summary>
    public BlobVersion? Source { get; init; }

    /// <summary>
    /// Gets a value indicating whether the result is written only while <see cref="Source"/> is still the blob's current
    /// version (an upload's folder is shared by every version of its name; a newer one owns it then).
    /// </summary>
    public bool OnlyIfCurrent { get; init; }
}

/// <summary>One version of an input blob.</summary>
/// <param name="Container">The container.</param>
/// <param name="Name">The blob name.</param>
/// <param name="ETag">The version's normalized ETag.</param>
public sealed record BlobVersion(string Container, string Name, string ETag);
