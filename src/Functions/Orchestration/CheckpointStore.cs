using System.Text.Json;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AttackCore.Engine;
using Azure;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Orchestration;

/// <summary>What <see cref="PrepareImage"/> saved besides the attack state before state blobs held the job too: the request and the image's job (still read from a checkpoint of that time).</summary>
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

    /// <summary>
    /// Writes the batch as it stands after a slice: the attack state and the jobs (which gain an attempt each time an
    /// attack of the plan ends), in one blob.
    /// </summary>
    /// <param name="name">The blob name.</param>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task.</returns>
    public Task WriteStateAsync(string name, AttackBatch batch, CancellationToken cancellationToken) =>
        WriteAsync(name, BinaryData.FromBytes(AttackBatchSerializer.ToBytes(batch)), "application/octet-stream", cancellationToken);

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

        string jobBlob = checkpoint.JobBlob ?? throw new InvalidDataException($"The checkpoint of {checkpoint.WorkPrefix} names neither a state nor a job blob.");
        BinaryData jobData = await _store.ReadAsync(_container, jobBlob, cancellationToken: cancellationToken).ConfigureAwait(false);
        CheckpointJob job = jobData.ToObjectFromJson<CheckpointJob>(Json) ?? throw new InvalidDataException($"{jobBlob} is empty.");
        return new AttackBatch(job.Request, job.Jobs, state: null);
    }

    /// <summary>Deletes work blobs (a finished run's, <see cref="ImageCheckpoint.WorkBlobs"/>), the last one after the others.</summary>
    /// <param name="blobs">The blob names; the last is the one a retry of the finishing activity reads, so while it exists a retry redoes the whole end.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>A task.</returns>
    public async Task DeleteAsync(IReadOnlyList<string> blobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        if (blobs.Count == 0)
        {
            return;
        }

        await _store.DeleteIfExistAsync(_container, blobs.Take(blobs.Count - 1), cancellationToken).ConfigureAwait(false);
        await _store.DeleteIfExistsAsync(_container, blobs[^1], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes one blob of the work container if it exists.</summary>
    /// <param name="name">The blob name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    public Task DeleteAsync(string name, CancellationToken cancellationToken) => _store.DeleteIfExistsAsync(_container, name, cancellationToken);

    // The container is created with the first blob that finds it missing, not checked before every write.
    private async Task WriteAsync(string name, BinaryData content, string contentType, CancellationToken cancellationToken)
    {
        try
        {
            await _store.WriteAsync(_container, name, content, contentType, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            await _store.EnsureContainerAsync(_container, cancellationToken).ConfigureAwait(false);
            await _store.WriteAsync(_container, name, content, contentType, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes a run's whole folder.</summary>
    /// <param name="prefix">The run's prefix.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>A task.</returns>
    public Task DeleteRunAsync(string prefix, CancellationToken cancellationToken) => _store.DeletePrefixAsync(_container, prefix, cancellationToken);
}
