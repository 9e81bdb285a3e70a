using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Storage;

namespace AdvAudit.Functions.Upload;

/// <summary>Writes an upload's error.json so that the folder describes the version that is current, and only that.</summary>
public static class ErrorFolder
{
    /// <summary>
    /// Writes <paramref name="report"/> as the result folder, unless <paramref name="source"/> is given and no longer the
    /// current version of its blob (its newer version's run owns the folder); then deletes a report.json left by an
    /// earlier version, so error.json is the folder's only marker.
    /// </summary>
    /// <param name="store">Blob access.</param>
    /// <param name="resultsContainer">The results container.</param>
    /// <param name="folder">The result folder.</param>
    /// <param name="report">The error.</param>
    /// <param name="source">The version the error is about, checked against the blob; <see langword="null"/> to write regardless (an audit's own folder).</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns><see langword="true"/> when written; <see langword="false"/> when the version was superseded.</returns>
    public static async Task<bool> WriteAsync(BlobStore store, string resultsContainer, string folder, ErrorReport report, BlobVersion? source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(report);
        if (source is not null && await CurrentVersion.SupersededAsync(store, source, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        await store.WriteResultFolderAsync(resultsContainer, folder, [report.ToFile()], cancellationToken).ConfigureAwait(false);
        await store.DeleteIfExistsAsync(resultsContainer, BlobStore.Join(folder, BlobStore.ReportMarker), cancellationToken).ConfigureAwait(false);
        return true;
    }
}
