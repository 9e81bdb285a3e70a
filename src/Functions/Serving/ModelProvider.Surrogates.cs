using AdvAudit.Functions.Settings;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Models;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Serving;

/// <content>
/// Surrogate models: ONNX models the attacker owns that surrogate-based attacks (transfer) craft on. Each is a blob in
/// the models container with a sidecar JSON, fetched and loaded once per worker on first use as a gradient model on the
/// served model's pixel grid (like the transfer models: concurrent first callers share one load, a failed load is tried
/// again by the next caller).
/// </content>
public sealed partial class ModelProvider
{
    private readonly SharedLoads<OnnxGradientModel> _surrogates;

    /// <summary>Gets the surrogates of <see cref="SettingNames.ModelSurrogateBlobNames"/>, in order (empty when unset).</summary>
    public IReadOnlyList<string> DefaultSurrogateBlobNames => ParseBlobNames(_options.SurrogateBlobNames);

    /// <summary>
    /// Gets the surrogates an image's attack crafts on: <see langword="null"/> when its plan has no surrogate-based
    /// attack or no surrogate is named (the engine then refuses such a plan, saying what to set), else each named blob
    /// loaded on the served model's grid.
    /// </summary>
    /// <param name="request">The image's request.</param>
    /// <param name="blobNames">The surrogate blobs fixed for the image; <see langword="null"/> for none.</param>
    /// <param name="served">The served model (the target).</param>
    /// <param name="cancellationToken">Stops this caller's wait (shared loads go on).</param>
    /// <returns>The surrogates in order, or <see langword="null"/>.</returns>
    /// <exception cref="ModelSpecException">A surrogate is misdescribed, has other classes or channels than the served model.</exception>
    /// <exception cref="ModelUnavailableException">A blob does not exist.</exception>
    /// <exception cref="GradientNotSupportedException">A surrogate has an operator that cannot be differentiated.</exception>
    public async Task<IReadOnlyList<IGradientModel>?> SurrogatesForAsync(AttackRequest request, IReadOnlyList<string>? blobNames, ServedModel served, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(served);
        if (blobNames is not { Count: > 0 } || !request.Attacks.Any(a => a.UsesSurrogates))
        {
            return null;
        }

        var surrogates = new List<IGradientModel>(blobNames.Count);
        foreach (string blobName in blobNames)
        {
            surrogates.Add(await Surrogate(blobName, served).WaitAsync(cancellationToken).ConfigureAwait(false));
        }

        return surrogates;
    }

    private Task<OnnxGradientModel> Surrogate(string blobName, ServedModel served) => _surrogates.Get(blobName, () => LoadSurrogateAsync(blobName, served.Classifier));

    private async Task<OnnxGradientModel> LoadSurrogateAsync(string blobName, IClassifier target)
    {
        ModelSpec spec = await FetchBlobAsync(blobName, CancellationToken.None, "The surrogate model list").ConfigureAwait(false);
        if (spec.NumClasses != target.NumClasses)
        {
            throw new ModelSpecException($"Surrogate '{blobName}' has {spec.NumClasses} classes and the served model {target.NumClasses}; a surrogate must share the served model's classes and label order.");
        }

        ExecutionProviderKind provider = Enum.TryParse(_options.Provider, ignoreCase: true, out ExecutionProviderKind p) ? p : ExecutionProviderKind.Auto;
        var runtime = new OnnxClassifierOptions { Provider = provider, MaxBatch = _options.MaxBatch };
        OnnxGradientModel surrogate = OnnxGradientModel.ForPixelGrid(spec, target.InputHeight, target.InputWidth, target.Channels, runtime, Path.Combine(CacheDirectory, "gradients"), _loggers.CreateLogger<OnnxGradientModel>());
        SurrogateLog.Loaded(_logger, blobName, spec.Name, surrogate.ProviderName, surrogate.ModelSha256, spec.InputSize);
        return surrogate;
    }

    private void DisposeSurrogates() => _surrogates.DisposeAll();

    private static partial class SurrogateLog
    {
        [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "Loaded surrogate {Blob} as {Model} on {Provider} (SHA-256 {Sha256}, input {InputSize})")]
        public static partial void Loaded(ILogger logger, string blob, string model, string provider, string sha256, int inputSize);
    }
}
