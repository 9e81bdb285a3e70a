using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;

namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// Whether a result still belongs to the blob version that is current: checked right before a result or error.json
/// is written, so that when two versions of one name are in flight, the older one's late answer never replaces the
/// newer one's, whichever finishes first.
/// </summary>
public static class CurrentVersion
{
    /// <summary>The outcome of a run whose input was replaced or deleted before its result was written.</summary>
    public const ImageOutcome SupersededOutcome = ImageOutcome.Superseded;

    /// <summary>Says why <paramref name="version"/> is no longer current, or <see langword="null"/> when it still is.</summary>
    /// <param name="store">Blob access.</param>
    /// <param name="version">The version the result describes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A sentence naming the newer version (or the deletion), or <see langword="null"/>.</returns>
    public static async Task<string?> SupersededAsync(BlobStore store, BlobVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(version);
        BlobInfo? current = await store.TryGetInfoAsync(version.Container, version.Name, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return $"{version.Container}/{version.Name} was deleted before the result of version {version.ETag} was written; nothing was written.";
        }

        string etag = InstanceIds.NormalizeETag(current.ETag);
        return etag == version.ETag
            ? null
            : $"{version.Container}/{version.Name} was replaced by version {etag} before the result of version {version.ETag} was written; that version's run writes the result.";
    }
}
