using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AttackCore.Imaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Models.Remote;

/// <summary>
/// A classifier reached over HTTP, described by the <see cref="ModelSpec.Remote"/> section of a model spec: each query
/// image is sent as the 8-bit PNG the attack means, and the answer (scores or a top-1 label) is read from the JSON
/// response.
/// </summary>
/// <remarks>
/// <para>Pixels: the image is rounded to the 8-bit grid (<see cref="TensorImage.FromChw"/>) and encoded as PNG; no float
/// crosses the wire. The engine's attacks query on the grid by default, so the service sees exactly what the attack
/// scored; a continuous-valued query (for example <c>quantization AfterSuccess</c>) is answered for its rounded
/// image, and still counts as one query.</para>
/// <para>Cache: answers are kept by the SHA-256 of the PNG bytes for the life of the classifier, so an identical image
/// is never sent twice (also not while its first request is still in flight). A query answered from the cache still
/// counts as a query of the attack; <see cref="Counts"/> tells them apart.</para>
/// <para>Resilience (Polly): a retry (<see cref="RemoteEndpoint.MaxRetries"/>, exponential backoff with jitter from
/// <see cref="RemoteEndpoint.RetryDelaySeconds"/>, or exactly the <c>Retry-After</c> the service asked for) on 408, 429,
/// 5xx, timeouts and lost connections, around a concurrency limit, an even pace of
/// <see cref="RemoteEndpoint.RequestsPerSecond"/> and a per-attempt timeout, so every attempt holds a slot and a pace
/// permit. Any other status, or an answer of the wrong shape, is permanent and throws
/// <see cref="RemoteModelException"/> at once.</para>
/// <para><see cref="IClassifier.Predict"/> blocks its thread until the answers are in; it is safe to call from several
/// threads. The <see cref="HttpClient"/> is the caller's; its own timeout should exceed the attempt timeout.</para>
/// </remarks>
public sealed class RemoteClassifier : IClassifier, IDisposable
{
    private static readonly HashSet<int> TransientStatuses = new() { 408, 429, 500, 502, 503, 504 };
    private static readonly MediaTypeHeaderValue PngType = new("image/png");
    private readonly HttpClient _http;
    private readonly RemoteEndpoint _endpoint;
    private readonly (string Name, string Value)[] _headers;
    private readonly RemoteAnswerReader _reader;
    private readonly ResiliencePipeline<Attempt> _pipeline;
    private readonly PacedRateLimiter? _pace;
    private readonly ConcurrentDictionary<string, Task<float[]>> _cache = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private long _queries;
    private long _cacheHits;
    private long _requests;
    private long _retries;
    private long _failed;

    /// <summary>Initializes a new instance of the <see cref="RemoteClassifier"/> class.</summary>
    /// <param name="spec">A validated spec with a <see cref="ModelSpec.Remote"/> section.</param>
    /// <param name="http">Sends the requests; owned by the caller.</param>
    /// <param name="environment">Reads the variables named in header values; defaults to the process environment.</param>
    /// <param name="timeProvider">The clock for timeouts, retry delays and the pace (a fake one in tests).</param>
    /// <param name="logger">Logs retries.</param>
    /// <exception cref="ModelSpecException">The spec has no remote section, its labels do not fit, or a header's variable is unset.</exception>
    public RemoteClassifier(ModelSpec spec, HttpClient http, Func<string, string?>? environment = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(http);
        _endpoint = spec.Remote ?? throw new ModelSpecException($"Model '{spec.Name}' has no remote section; it is an ONNX model.");
        ModelSpecLoader.Validate(spec);
        Spec = spec;
        _http = http;
        _logger = logger ?? NullLogger.Instance;
        Labels = LabelSet.Resolve(spec);
        environment ??= Environment.GetEnvironmentVariable;
        _headers = [.. _endpoint.Headers.Select(h => (h.Key, HeaderTemplate.Expand(h.Key, h.Value, environment)))];
        _reader = new RemoteAnswerReader(_endpoint, spec, Labels);
        _time = timeProvider ?? TimeProvider.System;
        _pace = _endpoint.RequestsPerSecond is double rps ? new PacedRateLimiter(rps, _time) : null;
        _pipeline = BuildPipeline(_time);
    }

    /// <summary>Gets the spec the classifier was built from.</summary>
    public ModelSpec Spec { get; }

    /// <summary>Gets the remote section of <see cref="Spec"/>.</summary>
    public RemoteEndpoint Endpoint => _endpoint;

    /// <summary>Gets a value indicating whether the service answers with its top-1 label only.</summary>
    public bool IsLabelOnly => _endpoint.Answers == RemoteAnswers.Label;

    /// <inheritdoc />
    public int InputHeight => Spec.InputSize;

    /// <inheritdoc />
    public int InputWidth => Spec.InputSize;

    /// <inheritdoc />
    public int NumClasses => Spec.NumClasses;

    /// <inheritdoc />
    /// <remarks>A grayscale model (a spec with <c>channels</c> 1 or the <c>Gray</c> channel order) is sent 8-bit grayscale PNGs.</remarks>
    public int Channels => Spec.AttackChannels;

    /// <inheritdoc />
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Gets what the classifier has done so far.</summary>
    public RemoteQueryCounts Counts => new(
        Interlocked.Read(ref _queries),
        Interlocked.Read(ref _cacheHits),
        Interlocked.Read(ref _requests),
        Interlocked.Read(ref _retries),
        Interlocked.Read(ref _failed));

    /// <summary>Gets a stable fingerprint of the service description (there is no model file to hash): the SHA-256 of the remote section as JSON, secrets excluded.</summary>
    public string Fingerprint => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(_endpoint, ModelSpecLoader.JsonOptions)));

    /// <inheritdoc />
    /// <exception cref="RemoteModelException">The service gave no usable answer for some image.</exception>
    public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int length = Channels * InputHeight * InputWidth, classes = NumClasses;
        if (images.Length < (long)count * length || logits.Length < (long)count * classes)
        {
            throw new ArgumentException($"{count} images need {(long)count * length} input values and {(long)count * classes} logits; got {images.Length} and {logits.Length}.", nameof(images));
        }

        var answers = new Task<float[]>[count];
        var toSend = new List<(byte[] Png, TaskCompletionSource<float[]> Answer, string Key)>();
        for (int i = 0; i < count; i++)
        {
            byte[] png = PngCodec.EncodeChw(images.Slice(i * length, length), InputHeight, InputWidth);

            string key = Convert.ToHexString(SHA256.HashData(png));
            var mine = new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            Task<float[]> answer = _cache.GetOrAdd(key, mine.Task);
            if (ReferenceEquals(answer, mine.Task))
            {
                toSend.Add((png, mine, key));
            }
            else
            {
                Interlocked.Increment(ref _cacheHits);
                RemoteQueryMeter.Current?.AddCacheHit();
            }

            answers[i] = answer;
        }

        Interlocked.Add(ref _queries, count);
        RemoteQueryMeter.Current?.AddQueries(count);
        int batch = _endpoint.BatchSize;
        var sends = new List<Task>();
        for (int start = 0; start < toSend.Count; start += batch)
        {
            sends.Add(SendAsync(toSend.GetRange(start, Math.Min(batch, toSend.Count - start))));
        }

        Task.WhenAll(sends).GetAwaiter().GetResult();
        Task.WhenAll(answers).GetAwaiter().GetResult(); // answers fetched by another caller's request
        for (int i = 0; i < count; i++)
        {
            answers[i].Result.CopyTo(logits.Slice(i * classes, classes));
        }
    }

    /// <summary>
    /// Starts counting what remote classifiers do in the current asynchronous flow (this thread's work and the requests
    /// it starts), apart from other callers sharing the classifier; dispose the meter to stop.
    /// </summary>
    /// <returns>The meter.</returns>
    public static RemoteQueryMeter Measure() => new();

    /// <inheritdoc />
    public void Dispose() => _pace?.Dispose();

    private static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        TimeSpan? wait = header?.Delta ?? (header?.Date is DateTimeOffset date ? date - time.GetUtcNow() : null);
        return wait is { } w ? TimeSpan.FromTicks(Math.Clamp(w.Ticks, 0, TimeSpan.FromMinutes(5).Ticks)) : null;
    }

    private ResiliencePipeline<Attempt> BuildPipeline(TimeProvider time)
    {
        var builder = new ResiliencePipelineBuilder<Attempt> { TimeProvider = time };
        if (_endpoint.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<Attempt>
            {
                Name = "remote-retry",
                MaxRetryAttempts = _endpoint.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(_endpoint.RetryDelaySeconds),
                MaxDelay = TimeSpan.FromSeconds(60),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e
                    ? IsTransient(e, args.Context.CancellationToken)
                    : TransientStatuses.Contains(args.Outcome.Result!.Status)),

                // The service's own Retry-After wins over the backoff; null falls back to it.
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.RetryAfter),
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _retries);
                    RemoteQueryMeter.Current?.AddRetry();
                    RemoteLog.Retrying(_logger, _endpoint.Url, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message ?? Status(args.Outcome.Result!.Status));
                    return ValueTask.CompletedTask;
                },
            });
        }

        builder.AddConcurrencyLimiter(_endpoint.MaxConcurrency, int.MaxValue);
        if (_pace is not null)
        {
            builder.AddRateLimiter(_pace);
        }

        builder.AddTimeout(TimeSpan.FromSeconds(_endpoint.TimeoutSeconds));
        return builder.Build();
    }

    private static bool IsTransient(Exception e, CancellationToken caller) => e switch
    {
        TimeoutRejectedException => true,
        OperationCanceledException => !caller.IsCancellationRequested,
        HttpRequestException or IOException => true,
        _ => false,
    };

    private static string Status(int status) => status == 0 ? "no response" : string.Create(CultureInfo.InvariantCulture, $"HTTP {status} {(HttpStatusCode)status}");

    private async Task SendAsync(List<(byte[] Png, TaskCompletionSource<float[]> Answer, string Key)> images)
    {
        try
        {
            float[][] rows = await FetchAsync(images.Select(i => i.Png).ToList()).ConfigureAwait(false);
            for (int i = 0; i < images.Count; i++)
            {
                images[i].Answer.SetResult(rows[i]);
            }
        }
#pragma warning disable CA1031 // Every failure belongs to the callers waiting on these answers; it is rethrown to them.
        catch (Exception e)
#pragma warning restore CA1031
        {
            foreach (var image in images)
            {
                _cache.TryRemove(image.Key, out _); // a failure is not an answer: never serve it from the cache
                image.Answer.SetException(e);
            }

            throw;
        }
    }

    private async Task<float[][]> FetchAsync(List<byte[]> pngs)
    {
        bool batched = _endpoint.BatchSize > 1;
        Attempt result;
        try
        {
            result = await _pipeline.ExecuteAsync(async token => await AttemptAsync(pngs, batched, token).ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransient(e, CancellationToken.None))
        {
            string what = e is TimeoutRejectedException ? string.Create(CultureInfo.InvariantCulture, $"no answer within {_endpoint.TimeoutSeconds} s") : e.Message;
            throw new RemoteModelException(_endpoint.Url, null, permanent: false, $"Remote model {_endpoint.Url}: {what}, after {_endpoint.MaxRetries + 1} attempts; the run stops. Raise remote.timeoutSeconds or remote.maxRetries if the service is slow.", e);
        }

        if (result.Status is < 200 or > 299)
        {
            bool transient = TransientStatuses.Contains(result.Status);
            string hint = result.Status switch
            {
                401 or 403 => " Check the headers of the remote section and the environment variables they name.",
                400 or 415 or 422 => " Check remote.body, remote.imageField and the input size against what the service expects.",
                404 or 405 => " Check remote.url (requests are POSTed).",
                _ when transient => string.Create(CultureInfo.InvariantCulture, $" Retries ran out after {_endpoint.MaxRetries + 1} attempts."),
                _ => string.Empty,
            };
            string message = $"Remote model {_endpoint.Url} answered {Status(result.Status)}: {Excerpt(result.Body)}.{hint}";
            throw transient ? new RemoteModelException(_endpoint.Url, result.Status, permanent: false, message) : new PermanentRemoteModelException(_endpoint.Url, result.Status, message);
        }

        try
        {
            return _reader.Read(result.Body, pngs.Count, batched);
        }
        catch (FormatException e)
        {
            Interlocked.Increment(ref _failed);
            RemoteQueryMeter.Current?.AddFailure();
            throw new PermanentRemoteModelException(_endpoint.Url, result.Status, $"Remote model {_endpoint.Url} answered with the wrong shape: {e.Message}. Response: {Excerpt(result.Body)}. Check remote.answers, remote.scoresPath / labelPath and numClasses.", e);
        }
    }

    private async ValueTask<Attempt> AttemptAsync(List<byte[]> pngs, bool batched, CancellationToken token)
    {
        Interlocked.Increment(ref _requests);
        RemoteQueryMeter.Current?.AddRequest();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint.Url) { Content = Content(pngs, batched) };
            foreach ((string name, string value) in _headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
            byte[] body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is < 200 or > 299)
            {
                Interlocked.Increment(ref _failed);
                RemoteQueryMeter.Current?.AddFailure();
            }

            return new Attempt(status, body, RetryAfter(response, _time));
        }
        catch
        {
            Interlocked.Increment(ref _failed);
            RemoteQueryMeter.Current?.AddFailure();
            throw;
        }
    }

    private ByteArrayContent Content(List<byte[]> pngs, bool batched)
    {
        if (_endpoint.Body == RemoteBody.Png)
        {
            var png = new ByteArrayContent(pngs[0]);
            png.Headers.ContentType = PngType;
            return png;
        }

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (batched)
            {
                json.WriteStartArray(_endpoint.ImagesField);
                foreach (byte[] png in pngs)
                {
                    json.WriteBase64StringValue(png);
                }

                json.WriteEndArray();
            }
            else
            {
                json.WriteBase64String(_endpoint.ImageField, pngs[0]);
            }

            json.WriteEndObject();
        }

        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;
    }

    private static string Excerpt(byte[] body)
    {
        string text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200)).ReplaceLineEndings(" ");
        return body.Length == 0 ? "(empty body)" : body.Length > 200 ? text + "…" : text;
    }

    /// <summary>One HTTP attempt's outcome, read in full so the response can be disposed inside the attempt.</summary>
    private sealed record Attempt(int Status, byte[] Body, TimeSpan? RetryAfter);
}

/// <summary>Log messages of the remote classifier.</summary>
internal static partial class RemoteLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Remote model {Endpoint}: attempt {Attempt} failed transiently, retrying in {DelayMs} ms: {Reason}")]
    public static partial void Retrying(ILogger logger, Uri endpoint, int attempt, double delayMs, string reason);
}
