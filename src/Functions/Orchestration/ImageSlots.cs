using System.Net;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// The admission slots of uploads: at most <see cref="TriggerOptions.MaxImagesInFlight"/> per-upload runs hold attack
/// state at once. A slot is a blob <c>slots/uploads/&lt;n&gt;</c> in the work container, created create-only (so two
/// runs never get one slot) with its holder's instance id in its metadata; the holder renews it at the start of each
/// execution and deletes it when its result is written.
/// </summary>
/// <remarks>
/// <para>Everything goes through storage, not the durable backend, so it is correct with any backend and with any
/// number of workers: the create-only write is the only arbiter. Acquiring is idempotent: a retried acquire (its
/// first attempt succeeded but the answer was lost) finds the holder's own slot in the listing.</para>
/// <para>A slot not renewed for <see cref="Lease"/> belongs to a run that was terminated or lost: another run takes it
/// over (its ETag guards the delete, so only one does). Lowering the setting takes effect as slots are released;
/// slots above the new bound are not handed out again.</para>
/// </remarks>
public sealed class ImageSlots
{
    /// <summary>How long a slot is held without renewal before another run may take it over.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromHours(1);

    /// <summary>The folder of the slot blobs in the work container.</summary>
    public const string Folder = "slots/uploads/";

    private const string HolderKey = "holder";
    private readonly BlobStore _store;
    private readonly StorageOptions _storage;
    private readonly TriggerOptions _trigger;
    private readonly TimeProvider _time;

    /// <summary>Initializes a new instance of the <see cref="ImageSlots"/> class.</summary>
    /// <param name="store">Blob access.</param>
    /// <param name="storage">Container names.</param>
    /// <param name="trigger">The bound (<see cref="TriggerOptions.MaxImagesInFlight"/>).</param>
    /// <param name="timeProvider">The clock that ages slots.</param>
    public ImageSlots(BlobStore store, IOptions<StorageOptions> storage, IOptions<TriggerOptions> trigger, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(trigger);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _storage = storage.Value;
        _trigger = trigger.Value;
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <summary>Acquires a slot for <paramref name="holder"/>, or renews the one it holds.</summary>
    /// <param name="holder">The run's instance id.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns><see langword="true"/> when the holder has a slot; <see langword="false"/> when all are taken.</returns>
    public async Task<bool> TryAcquireAsync(string holder, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(holder);
        BlobContainerClient work = _store.Service.GetBlobContainerClient(_storage.AttackWorkContainer);
        List<BlobItem> taken = await ListAsync(work, cancellationToken).ConfigureAwait(false);
        if (taken.FirstOrDefault(b => Holder(b) == holder) is BlobItem mine)
        {
            // Renewed with its own ETag: if another run took it over meanwhile, this run asks again.
            return await RenewAsync(work.GetBlobClient(mine.Name), mine.Properties.ETag, holder, cancellationToken).ConfigureAwait(false);
        }

        var used = new HashSet<string>(taken.Select(b => b.Name), StringComparer.Ordinal);
        for (int slot = 0; slot < _trigger.MaxImagesInFlight; slot++)
        {
            string name = SlotName(slot);
            if (!used.Contains(name) && await TryCreateAsync(work.GetBlobClient(name), holder, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        DateTimeOffset stale = _time.GetUtcNow() - Lease;
        foreach (BlobItem old in taken.Where(b => b.Properties.LastModified < stale && IsWithinBound(b.Name)))
        {
            if (await _store.TryDeleteVersionAsync(_storage.AttackWorkContainer, old.Name, old.Properties.ETag?.ToString() ?? string.Empty, cancellationToken).ConfigureAwait(false)
                && await TryCreateAsync(work.GetBlobClient(old.Name), holder, cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Releases the slot <paramref name="holder"/> holds, if any.</summary>
    /// <param name="holder">The run's instance id.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns><see langword="true"/> when a slot was released.</returns>
    public async Task<bool> ReleaseAsync(string holder, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(holder);
        BlobContainerClient work = _store.Service.GetBlobContainerClient(_storage.AttackWorkContainer);
        bool released = false;
        foreach (BlobItem mine in (await ListAsync(work, cancellationToken).ConfigureAwait(false)).Where(b => Holder(b) == holder))
        {
            released |= await _store.TryDeleteVersionAsync(_storage.AttackWorkContainer, mine.Name, mine.Properties.ETag?.ToString() ?? string.Empty, cancellationToken).ConfigureAwait(false);
        }

        return released;
    }

    /// <summary>Gets the holders of the slots now (for status and tests).</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The instance ids holding a slot.</returns>
    public async Task<IReadOnlyList<string>> HoldersAsync(CancellationToken cancellationToken) =>
        [.. (await ListAsync(_store.Service.GetBlobContainerClient(_storage.AttackWorkContainer), cancellationToken).ConfigureAwait(false)).Select(Holder).OfType<string>()];

    private static string SlotName(int slot) => Folder + slot.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

    private static string? Holder(BlobItem item) => item.Metadata is not null && item.Metadata.TryGetValue(HolderKey, out string? h) ? h : null;

    private bool IsWithinBound(string name) =>
        int.TryParse(name.AsSpan(Folder.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int slot) && slot < _trigger.MaxImagesInFlight;

    private async Task<List<BlobItem>> ListAsync(BlobContainerClient work, CancellationToken cancellationToken)
    {
        try
        {
            return await _store.ExecuteReadAsync(
                async ct =>
                {
                    var items = new List<BlobItem>();
                    await foreach (BlobItem item in work.GetBlobsAsync(new GetBlobsOptions { Prefix = Folder, Traits = BlobTraits.Metadata }, ct).ConfigureAwait(false))
                    {
                        items.Add(item);
                    }

                    return items;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return [];
        }
    }

    private async Task<bool> TryCreateAsync(BlobClient blob, string holder, CancellationToken cancellationToken)
    {
        var options = new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            Metadata = new Dictionary<string, string> { [HolderKey] = holder },
        };
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await _store.ExecuteWriteAsync(async ct => await blob.UploadAsync(BinaryData.FromString(holder), options, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
            {
                return false;
            }
            catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound && attempt == 0)
            {
                await _store.EnsureContainerAsync(_storage.AttackWorkContainer, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<bool> RenewAsync(BlobClient blob, ETag? etag, string holder, CancellationToken cancellationToken)
    {
        try
        {
            await _store.ExecuteWriteAsync(
                async ct => await blob.SetMetadataAsync(new Dictionary<string, string> { [HolderKey] = holder }, new BlobRequestConditions { IfMatch = etag }, ct).ConfigureAwait(false),
                cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
