using System.Globalization;
using AttackCore.Models;
using AttackCore.Models.Remote;
using AttackCore.Reporting;

namespace AttackCore.Engine;

/// <summary>Builds the model part of reports from a loaded classifier.</summary>
public static class ModelDescription
{
    /// <summary>Describes <paramref name="classifier"/> for reports.</summary>
    /// <param name="classifier">The loaded model.</param>
    /// <returns>The report's model section.</returns>
    public static ModelInfo From(OnnxClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ModelSpec spec = classifier.Spec;
        return new ModelInfo
        {
            Name = spec.Name,
            Sha256 = classifier.ModelSha256,
            Provider = classifier.ProviderName,
            ProviderNote = string.IsNullOrEmpty(classifier.ProviderNote) ? null : classifier.ProviderNote,
            InputSize = spec.InputSize,
            Channels = spec.AttackChannels,
            NumClasses = spec.NumClasses,
            BackgroundOffset = spec.BackgroundOffset,
            Preprocessing = Preprocessing(spec),
        };
    }

    /// <summary>Describes a surrogate for the reports of surrogate-based attacks.</summary>
    /// <param name="surrogate">The surrogate's gradient model.</param>
    /// <param name="index">Its place among the run's surrogates (from 0), naming a surrogate that is not an ONNX model.</param>
    /// <returns>The surrogate's name, SHA-256 and own input size.</returns>
    public static SurrogateInfo Surrogate(Gradients.IGradientModel surrogate, int index)
    {
        ArgumentNullException.ThrowIfNull(surrogate);
        return surrogate is Gradients.OnnxGradientModel onnx
            ? new SurrogateInfo { Name = onnx.Spec.Name, Sha256 = onnx.ModelSha256, InputSize = onnx.Spec.InputSize }
            : new SurrogateInfo { Name = string.Create(CultureInfo.InvariantCulture, $"surrogate {index + 1}"), InputSize = surrogate.InputHeight };
    }

    /// <summary>Describes a model reached over HTTP for reports.</summary>
    /// <param name="classifier">The remote classifier.</param>
    /// <returns>The report's model section: provider <c>remote</c>, the endpoint, and the fingerprint of the spec as the hash.</returns>
    public static ModelInfo From(RemoteClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ModelSpec spec = classifier.Spec;
        RemoteEndpoint remote = classifier.Endpoint;
        return new ModelInfo
        {
            Name = spec.Name,
            Sha256 = classifier.Fingerprint,
            Provider = "remote",
            ProviderNote = string.Create(CultureInfo.InvariantCulture, $"POST {remote.Url} ({remote.Body} body, {remote.BatchSize} per request, answers {remote.Answers})"),
            InputSize = spec.InputSize,
            NumClasses = spec.NumClasses,
            BackgroundOffset = spec.BackgroundOffset,
            Preprocessing = string.Create(CultureInfo.InvariantCulture, $"{spec.Recipe.Describe()}, sent as 8-bit PNG; the service scales it"),
            Endpoint = remote.Url.ToString(),
            LabelOnly = classifier.IsLabelOnly,
        };
    }

    /// <summary>Builds the report's remote section from the counts of one batch.</summary>
    /// <param name="classifier">The remote classifier.</param>
    /// <param name="counts">What it did during the batch (<see cref="RemoteQueryCounts.Since"/>).</param>
    /// <param name="batchImages">Images in the batch.</param>
    /// <returns>The section.</returns>
    public static RemoteQueryInfo Queries(RemoteClassifier classifier, RemoteQueryCounts counts, int batchImages)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return new RemoteQueryInfo
        {
            Endpoint = classifier.Endpoint.Url.ToString(),
            Answers = classifier.Endpoint.Answers.ToString(),
            BatchImages = batchImages,
            Queries = counts.Queries,
            CacheHits = counts.CacheHits,
            Requests = counts.Requests,
            Retries = counts.Retries,
            FailedRequests = counts.FailedRequests,
        };
    }

    /// <summary>Says in words how images become model inputs.</summary>
    /// <param name="spec">The model spec.</param>
    /// <returns>
    /// For example "resize shortest side to 342 (bilinear), center crop 299, (p/255 - mean) / std, NCHW, RGB", or for a
    /// gray model "gray (colour inputs: BT.601 luma), resize ..., p/255, NCHW, 1 channel".
    /// </returns>
    public static string Preprocessing(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string scaling = spec.Scaling switch
        {
            InputScaling.MeanStd => string.Create(CultureInfo.InvariantCulture, $"(p/255 - mean) / std, mean ({string.Join(", ", spec.Mean)}), std ({string.Join(", ", spec.Std)})"),
            InputScaling.MinusOneToOne => "p/127.5 - 1",
            _ => "p/255",
        };
        string layout = spec.Layout.ToString().ToUpperInvariant();
        if (spec.AttackChannels == 1)
        {
            string conversion = spec.GrayConversion switch
            {
                GrayConversion.Bt601 => "BT.601 luma",
                GrayConversion.Bt709 => "BT.709 luma",
                _ => "channel mean",
            };
            string channels = spec.InputChannels == 1 ? "1 channel" : "gray in all 3 channels";
            return string.Create(CultureInfo.InvariantCulture, $"gray (colour inputs: {conversion}), {spec.Recipe.Describe()}, {scaling}, {layout}, {channels}");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{spec.Recipe.Describe()}, {scaling}, {layout}, {spec.ChannelOrder.ToString().ToUpperInvariant()}");
    }
}
