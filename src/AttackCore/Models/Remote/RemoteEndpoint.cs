using System.Text.Json.Serialization;

namespace AttackCore.Models.Remote;

/// <summary>How the image travels in the request body.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RemoteBody>))]
public enum RemoteBody
{
    /// <summary>The PNG file's bytes are the body (<c>Content-Type: image/png</c>); one image per request.</summary>
    Png,

    /// <summary>A JSON object whose <see cref="RemoteEndpoint.ImageField"/> holds the PNG as base64 (or <see cref="RemoteEndpoint.ImagesField"/> an array of them when <see cref="RemoteEndpoint.BatchSize"/> &gt; 1).</summary>
    JsonBase64,
}

/// <summary>What the service answers with.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RemoteAnswers>))]
public enum RemoteAnswers
{
    /// <summary>A score per class (logits or probabilities, as <see cref="ModelSpec.Output"/> says).</summary>
    Scores,

    /// <summary>Only the top-1 label: the engine then offers only decision-based attacks.</summary>
    Label,
}

/// <summary>How the scores are laid out in the response.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RemoteScoresFormat>))]
public enum RemoteScoresFormat
{
    /// <summary>An array of <see cref="ModelSpec.NumClasses"/> numbers, in class index order.</summary>
    Array,

    /// <summary>An object from class name (a label of the spec) to score; with probabilities, classes left out score 0.</summary>
    Map,
}

/// <summary>
/// The <c>remote</c> section of a model spec: a classifier reached over HTTP instead of an ONNX file. The spec's
/// <see cref="ModelSpec.InputSize"/>, crop fields, <see cref="ModelSpec.NumClasses"/>, <see cref="ModelSpec.LabelsPath"/>
/// and <see cref="ModelSpec.Output"/> still apply; the ONNX-only fields (scaling, layout, channel order, tensor names)
/// are the service's business and are ignored.
/// </summary>
/// <remarks>
/// Secrets never live in the spec: a header value names environment variables as <c>${NAME}</c>
/// (<c>"Authorization": "Bearer ${MY_API_KEY}"</c>), read when the classifier is created. In Azure Functions app
/// settings are environment variables, so a Key Vault reference as an app setting works unchanged.
/// </remarks>
public sealed record RemoteEndpoint
{
    /// <summary>Gets the URL each request is POSTed to (http or https).</summary>
    public required Uri Url { get; init; }

    /// <summary>Gets how the image travels in the body.</summary>
    /// <value>Defaults to <see cref="RemoteBody.Png"/>.</value>
    public RemoteBody Body { get; init; } = RemoteBody.Png;

    /// <summary>Gets the JSON field that holds one base64 PNG (<see cref="RemoteBody.JsonBase64"/>, batch size 1).</summary>
    /// <value>Defaults to <c>image</c>.</value>
    public string ImageField { get; init; } = "image";

    /// <summary>Gets the JSON field that holds the array of base64 PNGs of a batch request.</summary>
    /// <value>Defaults to <c>images</c>.</value>
    public string ImagesField { get; init; } = "images";

    /// <summary>Gets the most images in one request; above 1 needs <see cref="RemoteBody.JsonBase64"/>.</summary>
    /// <value>Defaults to 1. Must be in [1, 256].</value>
    public int BatchSize { get; init; } = 1;

    /// <summary>Gets what the service answers with.</summary>
    /// <value>Defaults to <see cref="RemoteAnswers.Scores"/>.</value>
    public RemoteAnswers Answers { get; init; } = RemoteAnswers.Scores;

    /// <summary>Gets the path of the scores in the response (or in one element of <see cref="ResultsPath"/>): field names and <c>[index]</c>, for example <c>$.predictions[0].scores</c>.</summary>
    /// <value>Defaults to <c>scores</c>.</value>
    public string ScoresPath { get; init; } = "scores";

    /// <summary>Gets how the scores are laid out.</summary>
    /// <value>Defaults to <see cref="RemoteScoresFormat.Array"/>.</value>
    public RemoteScoresFormat ScoresFormat { get; init; } = RemoteScoresFormat.Array;

    /// <summary>Gets the path of the top-1 label (<see cref="RemoteAnswers.Label"/>): a class name from the labels, or a class index.</summary>
    /// <value>Defaults to <c>label</c>.</value>
    public string LabelPath { get; init; } = "label";

    /// <summary>Gets the path of the array of per-image answers in a batch response, in request order.</summary>
    /// <value>Defaults to <c>results</c>.</value>
    public string ResultsPath { get; init; } = "results";

    /// <summary>Gets the request headers; values may name environment variables as <c>${NAME}</c>, and a header that carries a secret must.</summary>
    /// <value>Defaults to none.</value>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the time limit of one attempt in seconds.</summary>
    /// <value>Defaults to 30. Must be in (0, 600].</value>
    public double TimeoutSeconds { get; init; } = 30;

    /// <summary>Gets how many times a request is sent again after a 408, 429, 5xx, a timeout or a lost connection.</summary>
    /// <value>Defaults to 5. Must be in [0, 20].</value>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Gets the first retry delay in seconds (exponential with jitter after it), used when the answer has no <c>Retry-After</c>.</summary>
    /// <value>Defaults to 1. Must be in [0, 60].</value>
    public double RetryDelaySeconds { get; init; } = 1;

    /// <summary>Gets the most requests in flight at once.</summary>
    /// <value>Defaults to 4. Must be in [1, 256].</value>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Gets the most requests started in any one second; <see langword="null"/> for no limit.</summary>
    /// <value>Defaults to <see langword="null"/>. Must be in (0, 10000] when given.</value>
    public double? RequestsPerSecond { get; init; }

    /// <summary>Gets the checks of this section, one message per problem (empty when valid).</summary>
    /// <returns>The problems.</returns>
    internal IEnumerable<string> Problems()
    {
        if (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps))
        {
            yield return $"remote.url must be an absolute http or https URL (got '{Url}')";
        }

        if (!Enum.IsDefined(Body))
        {
            yield return $"remote.body must be one of {string.Join(", ", Enum.GetNames<RemoteBody>())}";
        }

        if (!Enum.IsDefined(Answers))
        {
            yield return $"remote.answers must be one of {string.Join(", ", Enum.GetNames<RemoteAnswers>())}";
        }

        if (!Enum.IsDefined(ScoresFormat))
        {
            yield return $"remote.scoresFormat must be one of {string.Join(", ", Enum.GetNames<RemoteScoresFormat>())}";
        }

        if (BatchSize is < 1 or > 256)
        {
            yield return FormattableString.Invariant($"remote.batchSize must be in [1, 256] (got {BatchSize})");
        }
        else if (BatchSize > 1 && Body != RemoteBody.JsonBase64)
        {
            yield return "remote.batchSize above 1 needs body JsonBase64 (a PNG body holds one image)";
        }

        foreach ((string name, string path) in new[] { ("scoresPath", ScoresPath), ("labelPath", LabelPath), ("resultsPath", ResultsPath) })
        {
            if (JsonPath.Problem(path) is string problem)
            {
                yield return $"remote.{name} {problem}";
            }
        }

        if (string.IsNullOrWhiteSpace(ImageField) || string.IsNullOrWhiteSpace(ImagesField))
        {
            yield return "remote.imageField and remote.imagesField must be non-empty";
        }

        if (!(TimeoutSeconds > 0 && TimeoutSeconds <= 600))
        {
            yield return FormattableString.Invariant($"remote.timeoutSeconds must be in (0, 600] (got {TimeoutSeconds})");
        }

        if (MaxRetries is < 0 or > 20)
        {
            yield return FormattableString.Invariant($"remote.maxRetries must be in [0, 20] (got {MaxRetries})");
        }

        if (!(RetryDelaySeconds >= 0 && RetryDelaySeconds <= 60))
        {
            yield return FormattableString.Invariant($"remote.retryDelaySeconds must be in [0, 60] (got {RetryDelaySeconds})");
        }

        if (MaxConcurrency is < 1 or > 256)
        {
            yield return FormattableString.Invariant($"remote.maxConcurrency must be in [1, 256] (got {MaxConcurrency})");
        }

        if (RequestsPerSecond is { } rps && !(rps > 0 && rps <= 10000))
        {
            yield return FormattableString.Invariant($"remote.requestsPerSecond must be in (0, 10000] or omitted (got {rps})");
        }

        foreach ((string header, string value) in Headers ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrWhiteSpace(header) || value is null)
            {
                yield return "remote.headers must map non-empty names to strings";
            }
            else if (LooksSecret(header) && HeaderTemplate.Variables(value).Count == 0)
            {
                yield return $"remote.headers.{header} looks like a secret but names no environment variable; write \"${{MY_VARIABLE}}\" and set that variable instead of putting the key in the file";
            }
        }
    }

    private static bool LooksSecret(string header) =>
        header.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
        || header.Contains("key", StringComparison.OrdinalIgnoreCase)
        || header.Contains("token", StringComparison.OrdinalIgnoreCase)
        || header.Contains("secret", StringComparison.OrdinalIgnoreCase);
}
