using AdvAudit.Functions.Settings;
using AttackCore.Models;
using AttackCore.Transfer;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Serving;

/// <content>
/// Transfer models: other classifiers that also see every verified adversarial image. Each is a blob in the models
/// container with a sidecar JSON, fetched and loaded once per worker on first use (like the served model: concurrent
/// first callers share one load, a failed load is tried again by the next caller).
/// </content>
public sealed partial class ModelProvider
{
    private readonly SharedLoads<OnnxClassifier> _transferModels;

    /// <summary>Gets the transfer models of <see cref="SettingNames.ModelTransferBlobNames"/>, in order (empty when unset).</summary>
    public IReadOnlyList<string> DefaultTransferBlobNames => ParseBlobNames(_options.TransferBlobNames);

    /// <summary>Splits a comma-separated list of blob names, trimming each and dropping empty entries.</summary>
    /// <param name="names">The list, e.g. <c>mobilenet/v1.onnx, resnet50.onnx</c>; <see langword="null"/> is empty.</param>
    /// <returns>The names, in order, without duplicates.</returns>
    public static IReadOnlyList<string> ParseBlobNames(string? names) =>
        string.IsNullOrWhiteSpace(names)
            ? []
            : [.. names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)];

    /// <summary>Gets the transfer targets named by blob, loading each on first use.</summary>
    /// <param name="blobNames">ONNX blob names in the models container, each with a sidecar JSON.</param>
    /// <param name="cancellationToken">Stops this caller's wait (shared loads go on).</param>
    /// <returns>The targets, in the order of <paramref name="blobNames"/>.</returns>
    /// <exception cref="ModelSpecException">A model is misdescribed (no sidecar, bad JSON, wrong hash).</exception>
    /// <exception cref="ModelUnavailableException">A blob does not exist.</exception>
    public async Task<IReadOnlyList<TransferTarget>> GetTransferTargetsAsync(IReadOnlyList<string> blobNames, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blobNames);
        var targets = new List<TransferTarget>(blobNames.Count);
        foreach (string blobName in blobNames)
        {
            OnnxClassifier classifier = await TransferModel(blobName).WaitAsync(cancellationToken).ConfigureAwait(false);
            targets.Add(TransferTarget.From(classifier));
        }

        return targets;
    }

    private Task<OnnxClassifier> TransferModel(string blobName) => _transferModels.Get(blobName, () => LoadTransferModelAsync(blobName));

    private async Task<OnnxClassifier> LoadTransferModelAsync(string blobName)
    {
        ModelSpec spec = await FetchBlobAsync(blobName, CancellationToken.None, "The transfer model list").ConfigureAwait(false);
        ExecutionProviderKind provider = Enum.TryParse(_options.Provider, ignoreCase: true, out ExecutionProviderKind p) ? p : ExecutionProviderKind.Auto;
        var onnx = new OnnxClassifier(spec, new OnnxClassifierOptions { Provider = provider }, _loggers.CreateLogger<OnnxClassifier>());
        TransferLog.Loaded(_logger, blobName, spec.Name, onnx.ProviderName, onnx.ModelSha256);
        return onnx;
    }

    private void DisposeTransferModels() => _transferModels.DisposeAll();

    private static partial class TransferLog
    {
        [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Loaded transfer model {Blob} as {Model} on {Provider} (SHA-256 {Sha256})")]
        public static partial void Loaded(ILogger logger, string blob, string model, string provider, string sha256);
    }
}
