using System.Security.Cryptography;

namespace AttackCore.Models;

/// <summary>Progress of a model download.</summary>
/// <param name="BytesReceived">Bytes written so far.</param>
/// <param name="TotalBytes">The size announced by the server, or <see langword="null"/> when unknown.</param>
public readonly record struct DownloadProgress(long BytesReceived, long? TotalBytes);

/// <summary>Fetches ONNX files into a local cache, checked by SHA-256 and written atomically.</summary>
public static class ModelDownloader
{
    /// <summary>The environment variable that overrides <see cref="DefaultCacheDirectory"/>.</summary>
    public const string CacheEnvironmentVariable = "ADVAUDIT_CACHE";

    /// <summary>Gets the cache folder: <c>$ADVAUDIT_CACHE</c>, else <c>~/.cache/advaudit/models</c>.</summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            var fromEnvironment = Environment.GetEnvironmentVariable(CacheEnvironmentVariable);
            return !string.IsNullOrWhiteSpace(fromEnvironment)
                ? Path.GetFullPath(fromEnvironment)
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "advaudit", "models");
        }
    }

    /// <summary>Gets where <see cref="EnsureAsync"/> keeps <paramref name="spec"/>'s file: <c>&lt;cacheDir&gt;/&lt;name&gt;.onnx</c>.</summary>
    /// <param name="spec">The model.</param>
    /// <param name="cacheDir">The cache folder.</param>
    /// <returns>The absolute path (the file may not exist).</returns>
    /// <exception cref="ModelSpecException">The name is not a plain file name (it has path segments such as <c>../</c>), so the file would land outside the cache folder.</exception>
    public static string CachePath(ModelSpec spec, string cacheDir)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheDir);
        string folder = Path.GetFullPath(cacheDir);
        string path = Path.GetFullPath(Path.Combine(folder, spec.Name + ".onnx"));
        // The name comes from a spec file anyone may have written: it must name a file directly inside the cache.
        bool plain = spec.Name.IndexOfAny(['/', '\\']) < 0 && spec.Name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0 && spec.Name is not ("." or "..");
        if (!plain || !string.Equals(Path.GetDirectoryName(path), folder.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
        {
            throw new ModelSpecException(
                $"Model name '{spec.Name}' is not a plain file name: it names the cached file ({folder}{Path.DirectorySeparatorChar}<name>.onnx), so it may not contain '/', '\\' or '..'. Use a plain name such as 'my-model'.");
        }

        return path;
    }

    /// <summary>
    /// Returns a local path of <paramref name="spec"/>'s ONNX file: its <see cref="ModelSpec.OnnxPath"/> when that
    /// exists, else the cached copy when its SHA-256 matches, else a fresh download (to a temporary file in the
    /// cache folder, hash-checked, then renamed into place so no reader ever sees a partial file).
    /// </summary>
    /// <param name="spec">The model; needs <see cref="ModelSpec.DownloadUrl"/> unless the file is already present.</param>
    /// <param name="cacheDir">The cache folder (created when missing); see <see cref="DefaultCacheDirectory"/>.</param>
    /// <param name="progress">Receives bytes received and total; may be <see langword="null"/>.</param>
    /// <param name="http">The client to download with (owned by the caller, e.g. from IHttpClientFactory).</param>
    /// <param name="cancellationToken">Cancels the download; the temporary file is deleted.</param>
    /// <returns>The path of a verified local file.</returns>
    /// <exception cref="ModelUnavailableException">The file is absent and cannot be downloaded; the message says how to supply it offline.</exception>
    /// <exception cref="ModelSpecException">The file (on disk or downloaded) has the wrong SHA-256; a bad download is deleted.</exception>
    public static async Task<string> EnsureAsync(
        ModelSpec spec,
        string cacheDir,
        IProgress<DownloadProgress>? progress,
        HttpClient http,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheDir);

        if (spec.OnnxPath is not null && File.Exists(spec.OnnxPath))
        {
            CheckHash(spec, spec.OnnxPath, await HashFileAsync(spec.OnnxPath, cancellationToken).ConfigureAwait(false), deleteOnMismatch: false);
            return Path.GetFullPath(spec.OnnxPath);
        }

        var target = CachePath(spec, cacheDir);
        CheckTransport(spec);
        if (File.Exists(target))
        {
            var cachedHash = await HashFileAsync(target, cancellationToken).ConfigureAwait(false);
            if (spec.Sha256 is null || string.Equals(cachedHash, spec.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                return target;
            }

            // A stale or corrupt cache entry: fetch it again.
            File.Delete(target);
        }

        if (spec.DownloadUrl is null)
        {
            throw new ModelUnavailableException(
                $"Model '{spec.Name}' has no ONNX file on disk and no download URL. Export or copy the file, then pass " +
                $"--model /path/to/{spec.Name}.onnx (with a sidecar JSON) or put it at {target}.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temporary = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.part");
        try
        {
            string actual;
            try
            {
                actual = await DownloadAsync(spec.DownloadUrl, temporary, progress, http, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new ModelUnavailableException(
                    $"Could not download model '{spec.Name}' from {spec.DownloadUrl}: {ex.Message} To work offline, download " +
                    $"{spec.DownloadUrl} on a machine with internet, then pass --model /path/to/{Path.GetFileName(spec.DownloadUrl.LocalPath)} " +
                    $"or put it at {target}.",
                    ex);
            }

            CheckHash(spec, temporary, actual, deleteOnMismatch: true);
            File.Move(temporary, target, overwrite: true);
            return target;
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    // Plain http with no hash to check the file against: a man in the middle could serve any model, unnoticed.
    private static void CheckTransport(ModelSpec spec)
    {
        if (spec.DownloadUrl is { } url && url.Scheme == Uri.UriSchemeHttp && spec.Sha256 is null && !spec.AllowInsecureDownload)
        {
            throw new ModelSpecException(
                $"Model '{spec.Name}' would be downloaded from {url} over plain http with no sha256 to check it against, so anyone on the network path could replace the file unnoticed. " +
                "Add its \"sha256\" to the spec, or use an https URL; to accept the risk, set \"allowInsecureDownload\": true in the spec.");
        }
    }

    private static void CheckHash(ModelSpec spec, string path, string actual, bool deleteOnMismatch)
    {
        if (spec.Sha256 is null || string.Equals(actual, spec.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if (deleteOnMismatch)
        {
            File.Delete(path);
        }

        throw new ModelSpecException(
            $"Model '{spec.Name}': SHA-256 mismatch for {(deleteOnMismatch ? $"the download from {spec.DownloadUrl}" : $"'{path}'")}: " +
            $"expected {spec.Sha256.ToLowerInvariant()}, actual {actual}." +
            (deleteOnMismatch ? " The file was deleted; the server may have served an error page or a Git LFS pointer." : string.Empty));
    }

    private static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }

    private static async Task<string> DownloadAsync(Uri url, string path, IProgress<DownloadProgress>? progress, HttpClient http, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        long? total = response.Content.Headers.ContentLength;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var source = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                var buffer = new byte[1 << 16];
                long received = 0;
                progress?.Report(new DownloadProgress(0, total));
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    hash.AppendData(buffer, 0, read);
                    received += read;
                    progress?.Report(new DownloadProgress(received, total));
                }

                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
