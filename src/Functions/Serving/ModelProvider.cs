using System.Security.Cryptography;
using System.Text;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Models;
using AttackCore.Models.Remote;
using AttackCore.Reporting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;

namespace AdvAudit.Functions.Serving;

/// <summary>The model one worker serves: the classifier every activity queries, its spec and the report's description.</summary>
/// <param name="Spec">The model's spec (input size, resize, classes).</param>
/// <param name="Classifier">The classifier activities use: the ONNX session behind a <see cref="BatchingClassifier"/>, or the <see cref="RemoteClassifier"/> of a remote spec.</param>
/// <param name="Info">What reports say about the model.</param>
public sealed record ServedModel(ModelSpec Spec, IClassifier Classifier, ModelInfo Info)
{
    /// <summary>Gets the ONNX Runtime classifier (one session per worker); <see langword="null"/> for a remote model.</summary>
    public OnnxClassifier? Onnx { get; init; }

    /// <summary>
    /// Gets the model's gradient graph for white-box attacks, built (or read from the cache) the first time a plan needs
    /// it, then shared by every activity of the worker; <see langword="null"/> when the worker serves none.
    /// </summary>
    public Lazy<OnnxGradientModel>? Gradients { get; init; }

    /// <summary>Gets the gradient model when <paramref name="request"/> has a white-box attack, else <see langword="null"/>.</summary>
    /// <param name="request">The image's request.</param>
    /// <returns>The gradient model, or <see langword="null"/>.</returns>
    /// <exception cref="GradientNotSupportedException">The model has an operator that cannot be differentiated (named in the message).</exception>
    public IGradientModel? GradientsFor(AttackRequest request) =>
        request is not null && request.Attacks.Any(a => a.UsesGradients) ? Gradients?.Value : null;
}

/// <summary>
/// Fetches the model once per worker and serves one classifier to every activity (a DI singleton).
/// </summary>
/// <remarks>
/// <para>Where the ONNX file comes from (<see cref="ModelOptions"/>):</para>
/// <list type="bullet">
/// <item><see cref="SettingNames.ModelLocalPath"/>: a local <c>.json</c> model spec, or a <c>.onnx</c> file described by
/// a sidecar JSON beside it (<c>&lt;name&gt;.json</c> or <c>model.json</c>) or else by <see cref="SettingNames.ModelPreset"/>.</item>
/// <item><see cref="SettingNames.ModelBlobName"/>: a blob in the models container, downloaded through the
/// <see cref="StorageResilience.ModelDownload"/> pipeline into the cache folder (one subfolder per blob version), with
/// its sidecar blob (<c>&lt;name&gt;.json</c> or <c>model.json</c> in the same folder, plus the labels file it names)
/// when there is one, else described by the preset.</item>
/// <item>Neither: the preset's own file, downloaded (SHA-256 checked) into the cache folder by <see cref="ModelDownloader"/>
/// inside the same pipeline.</item>
/// </list>
/// <para>A model spec with a <c>remote</c> section (a <c>.json</c> at <see cref="SettingNames.ModelLocalPath"/>, or a
/// <c>.json</c> blob named by <see cref="SettingNames.ModelBlobName"/>, its labels file beside it) is a service reached
/// over HTTP: the worker serves one <see cref="RemoteClassifier"/> (no batching front; it limits its own concurrency),
/// and the variables its header values name are read as app settings (<see cref="AppSettingLookup"/>).</para>
/// <para><see cref="SettingNames.ModelSha256"/>, when set, replaces the spec's hash; the file is checked against the
/// hash before it is loaded. Loading happens on first use; concurrent first callers share one load, and a failed load
/// is tried again by the next caller (a transient download error does not poison the worker).</para>
/// </remarks>
public sealed partial class ModelProvider : IDisposable
{
    private readonly ModelOptions _options;
    private readonly StorageOptions _storage;
    private readonly BlobStore _store;
    private readonly ResiliencePipeline _download;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly AppSettingLookup _appSettings;
    private readonly Lock _gate = new();
    private Task<ServedModel>? _loading;
    private HttpClient? _http;
    private bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="ModelProvider"/> class.</summary>
    /// <param name="options">Where the model is and how it is served.</param>
    /// <param name="storage">The models container's name.</param>
    /// <param name="store">Blob access.</param>
    /// <param name="pipelines">The registry with <see cref="StorageResilience.ModelDownload"/>.</param>
    /// <param name="loggers">Loggers for the provider and the classifier.</param>
    /// <param name="appSettings">Where a remote model's header variables are read.</param>
    public ModelProvider(IOptions<ModelOptions> options, IOptions<StorageOptions> storage, BlobStore store, ResiliencePipelineProvider<string> pipelines, ILoggerFactory loggers, AppSettingLookup appSettings)
    {
        _appSettings = appSettings ?? throw new ArgumentNullException(nameof(appSettings));
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(pipelines);
        _options = options.Value;
        _storage = storage.Value;
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _download = pipelines.GetPipeline(StorageResilience.ModelDownload);
        _loggers = loggers ?? throw new ArgumentNullException(nameof(loggers));
        _logger = loggers.CreateLogger<ModelProvider>();
        _transferModels = new SharedLoads<OnnxClassifier>(_gate, () => _disposed);
        _surrogates = new SharedLoads<OnnxGradientModel>(_gate, () => _disposed);
    }

    /// <summary>Gets the cache folder for downloaded models.</summary>
    public string CacheDirectory => string.IsNullOrWhiteSpace(_options.CacheDir)
        ? Path.Combine(Path.GetTempPath(), "advaudit-models")
        : Path.GetFullPath(_options.CacheDir);

    /// <summary>Gets the served model, loading it on first use.</summary>
    /// <param name="cancellationToken">Stops this caller's wait (the shared load goes on for the next caller).</param>
    /// <returns>The model.</returns>
    /// <exception cref="ModelSpecException">The model is misdescribed or its hash differs (permanent).</exception>
    /// <exception cref="ModelUnavailableException">The file is missing and cannot be fetched.</exception>
    public Task<ServedModel> GetAsync(CancellationToken cancellationToken = default)
    {
        Task<ServedModel> loading;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_loading is null || _loading.IsFaulted || _loading.IsCanceled)
            {
                _loading = Task.Run(() => LoadAsync(CancellationToken.None), CancellationToken.None);
            }

            loading = _loading;
        }

        return loading.WaitAsync(cancellationToken);
    }

    /// <summary>Disposes the batching front and the ONNX session, if they were loaded.</summary>
    public void Dispose()
    {
        Task<ServedModel>? loading;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            loading = _loading;
        }

        if (loading is { IsCompletedSuccessfully: true })
        {
            (loading.Result.Classifier as IDisposable)?.Dispose();
            loading.Result.Onnx?.Dispose();
            if (loading.Result.Gradients is { IsValueCreated: true } gradients)
            {
                gradients.Value.Dispose();
            }
        }

        DisposeTransferModels();
        DisposeSurrogates();

        _http?.Dispose();
    }

    /// <summary>Finds the spec and a verified local ONNX file as the settings say.</summary>
    /// <param name="cancellationToken">Cancels downloads.</param>
    /// <returns>The spec, its <see cref="ModelSpec.OnnxPath"/> a local, hash-checked file.</returns>
    internal async Task<ModelSpec> ResolveAsync(CancellationToken cancellationToken)
    {
        ModelSpec spec;
        if (!string.IsNullOrWhiteSpace(_options.LocalPath))
        {
            string path = Path.GetFullPath(_options.LocalPath);
            spec = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ModelSpecLoader.Load(path) : DescribeOnnx(path, SidecarBeside(path));
        }
        else if (!string.IsNullOrWhiteSpace(_options.BlobName))
        {
            spec = await FetchBlobAsync(_options.BlobName.Trim(), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            ModelSpec preset = Preset() ?? throw new ModelSpecException($"{SettingNames.ModelPreset} is empty and neither {SettingNames.ModelLocalPath} nor {SettingNames.ModelBlobName} is set: there is no model to serve.");
            preset = WithExpectedHash(preset);
            string cache = CacheDirectory;
            string path = await _download.ExecuteAsync(async ct => await ModelDownloader.EnsureAsync(preset, cache, null, Http(), ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            spec = preset with { OnnxPath = path };
        }

        if (spec.Remote is not null)
        {
            return spec; // a service answers for it: no file to fetch or check
        }

        spec = WithExpectedHash(spec);
        if (spec.OnnxPath is null || !File.Exists(spec.OnnxPath))
        {
            throw new ModelUnavailableException($"The model file '{spec.OnnxPath}' does not exist; check {SettingNames.ModelLocalPath} (or the spec's onnxPath).");
        }

        if (spec.Sha256 is { } expected)
        {
            string actual = ModelSpecLoader.ComputeSha256(spec.OnnxPath);
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelSpecException($"The model file '{spec.OnnxPath}' has SHA-256 {actual}, but {expected} is expected ({SettingNames.ModelSha256}, else the preset's or the spec's sha256). Replace the file or correct the setting.");
            }
        }

        return spec;
    }

    private async Task<ServedModel> LoadAsync(CancellationToken cancellationToken)
    {
        ModelSpec spec = await ResolveAsync(cancellationToken).ConfigureAwait(false);
        if (spec.Remote is not null)
        {
            // Header values come from app settings, Key Vault references included.
            var remote = new RemoteClassifier(spec, Http(), _appSettings.Get, logger: _loggers.CreateLogger<RemoteClassifier>());
            Log.LoadedRemote(_logger, spec.Name, spec.Remote.Url, spec.Remote.Answers, spec.Remote.MaxConcurrency);
            return new ServedModel(spec, remote, ModelDescription.From(remote));
        }

        ExecutionProviderKind provider = Enum.TryParse(_options.Provider, ignoreCase: true, out ExecutionProviderKind p) ? p : ExecutionProviderKind.Auto;
        var runtime = new OnnxClassifierOptions { Provider = provider, MaxBatch = _options.MaxBatch };
        var onnx = new OnnxClassifier(spec, runtime, _loggers.CreateLogger<OnnxClassifier>());
        var batching = new BatchingClassifier(onnx, _options.MaxBatch, TimeSpan.FromMilliseconds(_options.MaxWaitMs));
        Log.Loaded(_logger, spec.Name, onnx.ProviderName, onnx.ModelSha256, _options.MaxBatch, _options.MaxWaitMs);
        string gradientCache = Path.Combine(CacheDirectory, "gradients");
        return new ServedModel(spec, batching, ModelDescription.From(onnx))
        {
            Onnx = onnx,
            Gradients = new Lazy<OnnxGradientModel>(() => new OnnxGradientModel(spec, runtime, gradientCache, _loggers.CreateLogger<OnnxGradientModel>())),
        };
    }

    private ModelSpec? Preset() =>
        !string.IsNullOrWhiteSpace(_options.Preset) && ModelPresets.TryGet(_options.Preset.Trim(), out ModelSpec? preset) ? preset : null;

    private ModelSpec WithExpectedHash(ModelSpec spec) =>
        string.IsNullOrWhiteSpace(_options.Sha256) ? spec : spec with { Sha256 = _options.Sha256.Trim().ToLowerInvariant() };

    private static string? SidecarBeside(string onnxPath)
    {
        string folder = Path.GetDirectoryName(onnxPath)!;
        return new[] { Path.ChangeExtension(onnxPath, ".json"), Path.Combine(folder, "model.json") }.FirstOrDefault(File.Exists);
    }

    /// <summary>A sidecar JSON describes the file when there is one; else the preset does.</summary>
    private ModelSpec DescribeOnnx(string onnxPath, string? sidecar)
    {
        if (sidecar is not null)
        {
            return ModelSpecLoader.Load(sidecar) with { OnnxPath = onnxPath };
        }

        ModelSpec preset = Preset() ?? throw new ModelSpecException($"Nothing describes '{onnxPath}': put a model JSON beside it (<name>.json or model.json) or set {SettingNames.ModelPreset} to one of: {string.Join(", ", ModelPresets.Names)}.");
        return preset with { OnnxPath = onnxPath };
    }

    /// <param name="blobName">The ONNX blob (or, for the served model, a remote spec's JSON blob).</param>
    /// <param name="cancellationToken">Cancels downloads.</param>
    /// <param name="otherModelList">
    /// For a model besides the served one (a transfer target or a surrogate), the list that named it, as errors say it;
    /// <see langword="null"/> for the served model.
    /// </param>
    private async Task<ModelSpec> FetchBlobAsync(string blobName, CancellationToken cancellationToken, string? otherModelList = null)
    {
        bool transfer = otherModelList is not null;
        string container = _storage.ModelsContainer;
        BlobInfo info = await _store.TryGetInfoAsync(container, blobName, cancellationToken).ConfigureAwait(false)
            ?? throw new ModelUnavailableException($"{otherModelList ?? SettingNames.ModelBlobName} names '{container}/{blobName}', which does not exist; upload the ONNX file there or correct the setting.");

        // One folder per blob version: a replaced model never mixes with the old one's files.
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(container + "\n" + blobName + "\n" + info.ETag)))[..16];
        string folder = Path.Combine(CacheDirectory, "blob-" + key);
        Directory.CreateDirectory(folder);
        string onnx = Path.Combine(folder, Path.GetFileName(blobName));
        if (!File.Exists(onnx))
        {
            Log.Downloading(_logger, container, blobName, info.Length);
            await _store.DownloadToFileAsync(container, blobName, info.ETag, onnx, cancellationToken).ConfigureAwait(false);
        }

        int slash = blobName.LastIndexOf('/');
        string blobFolder = slash < 0 ? string.Empty : blobName[..(slash + 1)];
        if (!transfer && blobName.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            // A JSON model blob describes a model reached over HTTP; its labels file lies beside it.
            ModelSpec remote = await WithLabelsAsync(ModelSpecLoader.Load(onnx), container, blobName, blobFolder, folder, cancellationToken).ConfigureAwait(false);
            return remote.Remote is not null ? remote : throw new ModelSpecException($"{SettingNames.ModelBlobName} names the JSON '{container}/{blobName}', which has no remote section; name the ONNX blob instead (its JSON sidecar is found beside it).");
        }

        string stem = Path.GetFileNameWithoutExtension(blobName);
        foreach (string sidecarBlob in new[] { blobFolder + stem + ".json", blobFolder + "model.json" })
        {
            if (await _store.TryGetInfoAsync(container, sidecarBlob, cancellationToken).ConfigureAwait(false) is null)
            {
                continue;
            }

            string sidecar = Path.Combine(folder, Path.GetFileName(sidecarBlob));
            await _store.DownloadToFileAsync(container, sidecarBlob, null, sidecar, cancellationToken).ConfigureAwait(false);
            ModelSpec spec = await WithLabelsAsync(ModelSpecLoader.Load(sidecar), container, sidecarBlob, blobFolder, folder, cancellationToken).ConfigureAwait(false);
            return spec with { OnnxPath = onnx };
        }

        // The served model's preset describes the served model, not a transfer target or surrogate of another architecture.
        return transfer ? ModelSpecLoader.ForOnnxFile(onnx) : DescribeOnnx(onnx, sidecar: null);
    }

    /// <summary>Downloads the labels file a spec blob names (relative to its folder) when it is not in the cache yet.</summary>
    private async Task<ModelSpec> WithLabelsAsync(ModelSpec spec, string container, string specBlob, string blobFolder, string folder, CancellationToken cancellationToken)
    {
        if (spec.LabelsPath is { } labels && !File.Exists(labels))
        {
            string relative = Path.GetRelativePath(folder, labels).Replace('\\', '/');
            if (relative.StartsWith("..", StringComparison.Ordinal))
            {
                throw new ModelSpecException($"The model JSON '{container}/{specBlob}' names labels outside its folder ('{spec.LabelsPath}'); keep the labels file beside it.");
            }

            await _store.DownloadToFileAsync(container, blobFolder + relative, null, labels, cancellationToken).ConfigureAwait(false);
        }

        return spec;
    }

    private HttpClient Http()
    {
        lock (_gate)
        {
            return _http ??= new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // the pipeline's attempt timeout bounds it
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Serving model {Model} on {Provider} (SHA-256 {Sha256}); up to {MaxBatch} images per call, waiting up to {MaxWaitMs} ms to merge")]
        public static partial void Loaded(ILogger logger, string model, string provider, string sha256, int maxBatch, int maxWaitMs);

        [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Serving remote model {Model} at {Endpoint} (answers {Answers}); up to {MaxConcurrency} requests at once")]
        public static partial void LoadedRemote(ILogger logger, string model, Uri endpoint, RemoteAnswers answers, int maxConcurrency);

        [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Downloading the model {Container}/{Blob} ({Bytes} bytes)")]
        public static partial void Downloading(ILogger logger, string container, string blob, long bytes);
    }
}
