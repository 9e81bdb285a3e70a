namespace AttackCore.Models;

/// <summary>Turns what a user passes as <c>--model</c> (a preset name, an ONNX path or a JSON path) into a ready spec.</summary>
/// <remarks>Register one instance (it holds the <see cref="HttpClient"/> and the cache folder); the spec it returns feeds <see cref="OnnxClassifier"/>.</remarks>
public sealed class ModelResolver
{
    private readonly HttpClient http;
    private readonly string cacheDir;

    /// <summary>Initializes a new instance of the <see cref="ModelResolver"/> class.</summary>
    /// <param name="http">Used to download presets; owned by the caller.</param>
    /// <param name="cacheDir">Where downloads are kept; <see langword="null"/> takes <see cref="ModelDownloader.DefaultCacheDirectory"/>.</param>
    public ModelResolver(HttpClient http, string? cacheDir = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        this.http = http;
        this.cacheDir = cacheDir ?? ModelDownloader.DefaultCacheDirectory;
    }

    /// <summary>Gets the cache folder in use.</summary>
    public string CacheDirectory => cacheDir;

    /// <summary>
    /// Resolves <paramref name="modelArgument"/> without touching the network: a preset name gives the preset
    /// (its <see cref="ModelSpec.OnnxPath"/> unset), a <c>.onnx</c> path the spec of its sidecar JSON (or of the
    /// preset with the same SHA-256), a <c>.json</c> path the loaded spec.
    /// </summary>
    /// <param name="modelArgument">A preset name (see <see cref="ModelPresets.Names"/>) or a file path.</param>
    /// <returns>The validated spec.</returns>
    /// <exception cref="ModelSpecException">The argument is neither a preset nor a usable file; the message lists the presets.</exception>
    public static ModelSpec Resolve(string modelArgument)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelArgument);
        if (ModelPresets.TryGet(modelArgument, out var preset))
        {
            return preset;
        }

        if (modelArgument.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            return ModelSpecLoader.ForOnnxFile(modelArgument);
        }

        if (modelArgument.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return ModelSpecLoader.Load(modelArgument);
        }

        throw new ModelSpecException(
            $"'{modelArgument}' is not a model preset or a .onnx / .json path. Presets: {string.Join(", ", ModelPresets.Names)}.");
    }

    /// <summary>
    /// Resolves <paramref name="modelArgument"/> like <see cref="Resolve"/> and makes sure the ONNX file is on disk,
    /// downloading a preset into the cache on first use.
    /// </summary>
    /// <param name="modelArgument">A preset name or a file path.</param>
    /// <param name="progress">Receives download progress; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the download.</param>
    /// <returns>The spec with <see cref="ModelSpec.OnnxPath"/> naming a verified local file, or a remote spec as it is.</returns>
    /// <exception cref="ModelSpecException">The argument is invalid or the file's hash is wrong.</exception>
    /// <exception cref="ModelUnavailableException">The file is absent and cannot be downloaded.</exception>
    public async Task<ModelSpec> ResolveAsync(string modelArgument, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var spec = Resolve(modelArgument);
        if (spec.Remote is not null)
        {
            return spec; // answered by a service: nothing to download
        }

        var path = await ModelDownloader.EnsureAsync(spec, cacheDir, progress, http, cancellationToken).ConfigureAwait(false);
        return spec with { OnnxPath = path };
    }
}
