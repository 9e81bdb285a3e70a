using System.Text.Json;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AttackCore.Engine;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Orchestration;

/// <summary>What <see cref="PrepareImage"/> saves besides the attack state: the request and the image's job.</summary>
/// <param name="Request">The attack request (settings with the blob's overrides applied).</param>
/// <param name="Jobs">The batch's jobs (one image).</param>
public sealed record CheckpointJob(AttackRequest Request, IReadOnlyList<ImageJob> Jobs);

/// <summary>Saves and loads attack batches in the work container between activities (see <see cref="ImageCheckpoint"/> for the naming rule).</summary>
public sealed class CheckpointStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly BlobStore _store;
    private readonly string _container;

    /// <summary>Initializes a new instance of the <see cref="CheckpointStore"/> class.</summary>
    /// <param name="store">Blob access.</param>
    /// <param name="storage">The work container's name.</param>
    public CheckpointStore(BlobStore store, IOptions<StorageOptions> storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _container = storage.Value.AttackWorkContainer;
    }

    /// <summary>Gets the work folder of one orchestration instance.</summary>
    /// <param name="instanceId">The instance id.</param>
    /// <returns>The prefix, ending with <c>/</c>.</returns>
    public static string PrefixFor(string instanceId) => "runs/" + instanceId + "/";

    /// <summary>Gets the name prefix of the work folders of every instance whose id starts with <paramref name="instanceIdPrefix"/>.</summary>
    /// <param name="instanceIdPrefix">The start of the instance ids (e.g. an audit's <c>aud-&lt;id&gt;-</c>).</param>
    /// <returns>The prefix.</returns>
    public static string PrefixOfAll(string instanceIdPrefix) => "runs/" + instanceIdPrefix;

    /// <summary>Writes the job blob.</summary>
    /// <param name="name">The blob name.</param>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task.</returns>
    public async Task WriteJobAsync(string name, CheckpointJob job, CancellationToken cancellationToken)
    {
        await _store.EnsureContainerAsync(_container, cancellationToken).ConfigureAwait(false);
        await _store.WriteAsync(_container, name, BinaryData.FromObjectAsJson(job, Json), "application/json", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the batch as it stands after a slice: the attack state and the jobs (which gain an attempt each time an
    /// attack of the plan ends), in one blob.
    /// </summary>
    /// <param name="name">The blob name.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task.</returns>
    public Task WriteStateAsync(string name, AttackBatch batch, CancellationToken cancellationToken) =>
        _store.WriteAsync(_container, name, BinaryData.FromBytes(AttackBatchSerializer.ToBytes(batch)), "application/octet-stream", cancellationToken);

    /// <summary>Loads the batch a checkpoint refers to.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The batch, ready for <see cref="AttackRunner.Advance"/> or <see cref="AttackRunner.Finish"/>.</returns>
    public async Task<AttackBatch> LoadAsync(ImageCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint.StateBlob is not null)
        {
            BinaryData stateData = await _store.ReadAsync(_container, checkpoint.StateBlob, cancellationToken: cancellationToken).ConfigureAwait(false);
            return AttackBatchSerializer.FromBytes(stateData.ToArray());
        }

        BinaryData jobData = await _store.ReadAsync(_container, checkpoint.JobBlob, cancellationToken: cancellationToken).ConfigureAwait(false);
        CheckpointJob job = jobData.ToObjectFromJson<CheckpointJob>(Json) ?? throw new InvalidDataException($"{checkpoint.JobBlob} is empty.");
        return new AttackBatch(job.Request, job.Jobs, state: null);
    }

    /// <summary>Deletes one blob of the work container if it exists.</summary>
    /// <param name="name">The blob name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    public Task DeleteAsync(string name, CancellationToken cancellationToken) => _store.DeleteIfExistsAsync(_container, name, cancellationToken);

    /// <summary>Deletes a run's whole folder.</summary>
    /// <param name="prefix">The run's prefix.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>A task.</returns>
    public Task DeleteRunAsync(string prefix, CancellationToken cancellationToken) => _store.DeletePrefixAsync(_container, prefix, cancellationToken);
}
