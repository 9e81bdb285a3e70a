using System.Net;
using AttackCore.Engine;
using AdvAudit.Functions.Settings;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Registry;

namespace AdvAudit.Functions.Storage;

/// <summary>What a blob's properties say, read without its content.</summary>
/// <param name="Container">The container.</param>
/// <param name="Name">The blob name.</param>
/// <param name="Length">The size in bytes.</param>
/// <param name="ETag">The version's ETag.</param>
/// <param name="ContentType">The stored content type.</param>
/// <param name="Metadata">The blob's metadata (per-blob attack options live here).</param>
/// <param name="LastModified">When this version was written.</param>
public sealed record BlobInfo(string Container, string Name, long Length, string ETag, string? ContentType, IReadOnlyDictionary<string, string> Metadata, DateTimeOffset LastModified);

/// <summary>One file of a result folder.</summary>
/// <param name="Name">The file name inside the folder (e.g. <c>adversarial.png</c>).</param>
/// <param name="Content">The bytes.</param>
/// <param name="ContentType">The content type stored with the blob.</param>
public sealed record ResultFile(string Name, BinaryData Content, string ContentType)
{
    /// <summary>Wraps a file of the engine's result-folder list (<see cref="ResultFolder"/>) for a blob write.</summary>
    /// <param name="file">The file.</param>
    /// <returns>The blob file.</returns>
    public static ResultFile From(ResultFolderFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new(file.Name, BinaryData.FromBytes(file.Content), file.ContentType);
    }
}

/// <summary>
/// Every blob read and write of the app, each through its named resilience pipeline
/// (<see cref="StorageResilience"/>), with the result-folder rule below.
/// </summary>
/// <remarks>
/// <para><b>A result folder is complete or absent.</b> Blob storage has no folder rename, so completion is marked
/// instead: a folder's files are written first and its marker file, <c>report.json</c> (or <c>error.json</c> for a
/// rejected input), last. Each single blob upload is atomic (nobody sees half a blob), so a reader that finds the
/// marker finds every file it names. A crash between the files and the marker leaves a folder without a marker,
/// which counts as absent; the retry writes the same deterministic names again and then the marker. Writers
/// overwrite: the same input version always produces the same names, so a repeated write is harmless.</para>
/// </remarks>
public sealed class BlobStore
{
    /// <summary>The marker of a finished result folder (<see cref="ResultFolder.ReportMarker"/>).</summary>
    public const string ReportMarker = ResultFolder.ReportMarker;

    /// <summary>The marker of a rejected input's folder (<see cref="ResultFolder.ErrorMarker"/>).</summary>
    public const string ErrorMarker = ResultFolder.ErrorMarker;

    private readonly BlobServiceClient _service;
    private readonly StoragePipeline _read;
    private readonly StoragePipeline _write;
    private readonly StoragePipeline _download;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="BlobStore"/> class.</summary>
    /// <param name="service">The account.</param>
    /// <param name="pipelines">The registry with <see cref="StorageResilience.BlobRead"/> and <see cref="StorageResilience.BlobWrite"/>.</param>
    /// <param name="logger">The logger.</param>
    public BlobStore(BlobServiceClient service, ResiliencePipelineProvider<string> pipelines, ILogger<BlobStore>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(pipelines);
        _service = service ?? throw new ArgumentNullException(nameof(service));
        _read = new StoragePipeline(pipelines.GetPipeline(StorageResilience.BlobRead), StorageResilience.BlobRead);
        _write = new StoragePipeline(pipelines.GetPipeline(StorageResilience.BlobWrite), StorageResilience.BlobWrite);
        _download = new StoragePipeline(pipelines.GetPipeline(StorageResilience.ModelDownload), StorageResilience.ModelDownload);
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Gets the account client (for the host's trigger bindings and tests).</summary>
    public BlobServiceClient Service => _service;

    /// <summary>Creates a container when it does not exist.</summary>
    /// <param name="container">The container.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    public Task EnsureContainerAsync(string container, CancellationToken cancellationToken = default) =>
        _write.ExecuteAsync(async ct => { await _service.GetBlobContainerClient(container).CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false); }, cancellationToken).AsTask();

    /// <summary>Reads a blob's properties; <see langword="null"/> when the blob (or its container) does not exist.</summary>
    /// <param name="container">The container.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The properties, or <see langword="null"/>.</returns>
    public async Task<BlobInfo?> TryGetInfoAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        BlobClient blob = _service.GetBlobContainerClient(container).GetBlobClient(name);
        try
        {
            BlobProperties p = await _read.ExecuteAsync(async ct => (await blob.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value, cancellationToken).ConfigureAwait(false);
            return new BlobInfo(container, name, p.ContentLength, p.ETag.ToString(), p.ContentType, new Dictionary<string, string>(p.Metadata, StringComparer.OrdinalIgnoreCase), p.LastModified);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Gets whether a blob exists.</summary>
    /// <param name="container">The container.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when it exists.</returns>
    public async Task<bool> ExistsAsync(string container, string name, CancellationToken cancellationToken = default) =>
        await TryGetInfoAsync(container, name, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Reads a whole blob, optionally only the version with <paramref name="etag"/>.</summary>
    /// <param name="container">The container.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="etag">The version to read; when the blob has changed since, the read fails with 412 (permanent), as the new version has its own event.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The content.</returns>
    /// <exception cref="RequestFailedException">The blob is missing (404), changed (412), or storage refused the read.</exception>
    /// <exception cref="StorageUnavailableException">Storage was unreachable through every retry.</exception>
    public async Task<BinaryData> ReadAsync(string container, string name, string? etag = null, CancellationToken cancellationToken = default)
    {
        BlobClient blob = _service.GetBlobContainerClient(container).GetBlobClient(name);
        var options = new BlobDownloadOptions { Conditions = etag is null ? null : new BlobRequestConditions { IfMatch = new ETag(etag) } };
        return await _read.ExecuteAsync(async ct => (await blob.DownloadContentAsync(options, ct).ConfigureAwait(false)).Value.Content, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a blob, or <see langword="null"/> when it (or its container) does not exist: one request where <see cref="ExistsAsync"/> and <see cref="ReadAsync"/> take two.</summary>
    /// <param name="container">The container.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The content, or <see langword="null"/>.</returns>
    /// <exception cref="StorageUnavailableException">Storage was unreachable through every retry.</exception>
    public async Task<BinaryData?> TryReadAsync(string container, string name, CancellationToken cancellationToken = default)
    {
        try
        {
            return await ReadAsync(container, name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Writes (or overwrites) one blob.</summary>
    /// <param name="container">The container.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="content">The bytes.</param>
    /// <param name="contentType">The content type.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    public Task WriteAsync(string container, string name, BinaryData content, string contentType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        BlobClient blob = _service.GetBlobContainerClient(container).GetBlobClient(name);
        var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } };
        return _write.ExecuteAsync(async ct => { await blob.UploadAsync(content, options, ct).ConfigureAwait(false); }, cancellationToken).AsTask();
    }

    /// <summary>Creates a blob only if no blob of that name exists (an atomic claim); creates the container when missing.</summary>
    /// <param name="container">The container.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="content">The bytes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when this call created it; <see langword="false"/> when it already existed.</returns>
    public async Task<bool> TryCreateAsync(string container, string name, BinaryData content, CancellationToken cancellationToken = default)
    {
        BlobClient blob = _service.GetBlobContainerClient(container).GetBlobClient(name);
        var options = new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await _write.ExecuteAsync(async ct => { await blob.UploadAsync(content, options, ct).ConfigureAwait(false); }, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.Conflict || e.Status == (int)HttpStatusCode.PreconditionFailed)
            {
                return false;
            }
            catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound && attempt == 0)
            {
                await EnsureContainerAsync(container, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Deletes a blob only if it is still the version with <paramref name="etag"/>.</summary>
    /// <param name="container">The container.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="etag">The version.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when this call deleted it.</returns>
    public async Task<bool> TryDeleteVersionAsync(string container, string name, string etag, CancellationToken cancellationToken = default)
    {
        BlobClient blob = _service.GetBlobContainerClient(container).GetBlobClient(name);
        try
        {
            return await _write.ExecuteAsync(async ct => (await blob.DeleteIfExistsAsync(conditions: new BlobRequestConditions { IfMatch = new ETag(etag) }, cancellationToken: ct).ConfigureAwait(false)).Value, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.PreconditionFailed)
        {
            return false;
        }
    }

    /// <summary>Deletes a blob if it exists.</summary>
    /// <param name="container">The container.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    public Task DeleteIfExistsAsync(string container, string name, CancellationToken cancellationToken = default) =>
        _write.ExecuteAsync(async ct => { await _service.GetBlobContainerClient(container).GetBlobClient(name).DeleteIfExistsAsync(cancellationToken: ct).ConfigureAwait(false); }, cancellationToken).AsTask();

    /// <summary>Deletes blobs, where they exist, all at once.</summary>
    /// <param name="container">The container.</param>
    /// <param name="names">The blob names.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>A task.</returns>
    public Task DeleteIfExistAsync(string container, IEnumerable<string> names, CancellationToken cancellationToken = default) =>
        Task.WhenAll(names.Select(name => DeleteIfExistsAsync(container, name, cancellationToken)));

    /// <summary>
    /// Writes a result folder so that it is complete or absent: every file but the marker first (at once), then the
    /// marker (<see cref="ReportMarker"/> or <see cref="ErrorMarker"/>), which must be among <paramref name="files"/>.
    /// </summary>
    /// <param name="container">The results container.</param>
    /// <param name="prefix">The folder, e.g. <c>a/b</c> for the input <c>a/b.png</c>.</param>
    /// <param name="files">The files, one of them the marker.</param>
    /// <param name="cancellationToken">Cancels the writes; a folder cut short has no marker and counts as absent.</param>
    /// <returns>A task.</returns>
    /// <exception cref="ArgumentException">No marker among the files.</exception>
    public Task WriteResultFolderAsync(string container, string prefix, IReadOnlyList<ResultFile> files, CancellationToken cancellationToken = default) =>
        WriteResultFolderAsync(container, prefix, files, [], cancellationToken);

    /// <summary>
    /// Writes a result folder as <see cref="WriteResultFolderAsync(string, string, IReadOnlyList{ResultFile}, CancellationToken)"/>
    /// does, and deletes files of the folder that no longer describe it.
    /// </summary>
    /// <param name="container">The results container.</param>
    /// <param name="prefix">The folder.</param>
    /// <param name="files">The files, one of them the marker.</param>
    /// <param name="stale">File names (an earlier version's <see cref="ErrorMarker"/>) deleted, where they exist, with the other files and before the marker.</param>
    /// <param name="cancellationToken">Cancels the calls; a folder cut short has no marker and counts as absent.</param>
    /// <returns>A task.</returns>
    /// <exception cref="ArgumentException">No marker among the files.</exception>
    public async Task WriteResultFolderAsync(string container, string prefix, IReadOnlyList<ResultFile> files, IReadOnlyList<string> stale, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stale);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        ResultFile marker = files.FirstOrDefault(f => ResultFolder.IsMarker(f.Name))
            ?? throw new ArgumentException($"A result folder needs {ReportMarker} or {ErrorMarker}, written last as its completion marker.", nameof(files));
        IEnumerable<Task> before = files.Where(f => !ReferenceEquals(f, marker))
            .Select(file => WriteAsync(container, Join(prefix, file.Name), file.Content, file.ContentType, cancellationToken))
            .Concat(stale.Where(name => name != marker.Name).Select(name => DeleteIfExistsAsync(container, Join(prefix, name), cancellationToken)));
        await Task.WhenAll(before).ConfigureAwait(false);
        await WriteAsync(container, Join(prefix, marker.Name), marker.Content, marker.ContentType, cancellationToken).ConfigureAwait(false);
        StorageLog.WroteFolder(_logger, container, prefix, files.Count, marker.Name);
    }

    /// <summary>
    /// Downloads a (large) blob to a local file through the <see cref="StorageResilience.ModelDownload"/> pipeline: into a
    /// temporary file beside <paramref name="path"/> first, then renamed into place, so no reader sees a partial file.
    /// </summary>
    /// <param name="container">The container.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="etag">The version to read (a changed blob fails with 412), or <see langword="null"/> for the current one.</param>
    /// <param name="path">The local file to write (replaced when present).</param>
    /// <param name="cancellationToken">Cancels the download; the temporary file is deleted.</param>
    /// <returns>A task.</returns>
    public async Task DownloadToFileAsync(string container, string name, string? etag, string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        BlobClient blob = _service.GetBlobContainerClient(container).GetBlobClient(name);
        string temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        var options = new BlobDownloadToOptions { Conditions = etag is null ? null : new BlobRequestConditions { IfMatch = new ETag(etag) } };
        try
        {
            await _download.ExecuteAsync(async ct => { await blob.DownloadToAsync(temporary, options, ct).ConfigureAwait(false); }, cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Deletes every blob whose name starts with <paramref name="prefix"/>.</summary>
    /// <param name="container">The container.</param>
    /// <param name="prefix">The name prefix (e.g. <c>runs/img-123/</c>).</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>How many blobs were deleted.</returns>
    public async Task<int> DeletePrefixAsync(string container, string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        IReadOnlyList<string> names = await ListNamesAsync(container, prefix, cancellationToken).ConfigureAwait(false);
        foreach (string name in names)
        {
            await DeleteIfExistsAsync(container, name, cancellationToken).ConfigureAwait(false);
        }

        return names.Count;
    }

    /// <summary>Lists the names of the blobs whose name starts with <paramref name="prefix"/>; none when the container does not exist.</summary>
    /// <param name="container">The container.</param>
    /// <param name="prefix">The name prefix.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The names, in storage's (lexical) order.</returns>
    public async Task<IReadOnlyList<string>> ListNamesAsync(string container, string prefix, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        BlobContainerClient client = _service.GetBlobContainerClient(container);
        try
        {
            return await _read.ExecuteAsync<IReadOnlyList<string>>(
                async ct =>
                {
                    var found = new List<string>();
                    await foreach (BlobItem item in client.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct).ConfigureAwait(false))
                    {
                        found.Add(item.Name);
                    }

                    return found;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return [];
        }
    }

    /// <summary>Runs a read operation of the caller's own (a listing) through the <see cref="StorageResilience.BlobRead"/> pipeline.</summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="operation">The operation; it is run again from the start on a transient fault.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result.</returns>
    public async Task<T> ExecuteReadAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken = default) =>
        await _read.ExecuteAsync(operation, cancellationToken).ConfigureAwait(false);

    /// <summary>Runs a write operation of the caller's own (a conditional write) through the <see cref="StorageResilience.BlobWrite"/> pipeline.</summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="operation">The operation; it is run again from the start on a transient fault.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The result.</returns>
    public async Task<T> ExecuteWriteAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken = default) =>
        await _write.ExecuteAsync(operation, cancellationToken).ConfigureAwait(false);

    /// <summary>Gets which marker a result folder has: <see cref="ReportMarker"/>, <see cref="ErrorMarker"/>, or <see langword="null"/> when it is not complete.</summary>
    /// <param name="container">The results container.</param>
    /// <param name="prefix">The folder.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>The marker's name, or <see langword="null"/>.</returns>
    public async Task<string?> GetCompletionAsync(string container, string prefix, CancellationToken cancellationToken = default)
    {
        if (await ExistsAsync(container, Join(prefix, ReportMarker), cancellationToken).ConfigureAwait(false))
        {
            return ReportMarker;
        }

        return await ExistsAsync(container, Join(prefix, ErrorMarker), cancellationToken).ConfigureAwait(false) ? ErrorMarker : null;
    }

    /// <summary>Joins a folder and a file name with <c>/</c>.</summary>
    /// <param name="prefix">The folder.</param>
    /// <param name="name">The file name.</param>
    /// <returns>The blob name.</returns>
    public static string Join(string prefix, string name) => prefix.TrimEnd('/') + "/" + name;
}
