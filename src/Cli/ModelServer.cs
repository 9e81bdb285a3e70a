using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AttackCore.Imaging;
using AttackCore.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCli;

/// <summary>
/// Serves a local classifier over HTTP the way a remote model spec (<c>"remote"</c> section) expects to reach one:
/// <c>POST /predict</c> with the image as the body (<c>Content-Type: image/png</c>, or any image file) or as JSON
/// (<c>{"image": "&lt;base64&gt;"}</c>, or <c>{"images": [...]}</c> for a batch, answered as <c>{"results": [...]}</c>),
/// answered with <c>{"scores": [...]}</c> (the model's outputs in class order) and <c>"label"</c> (the top-1 class name),
/// or the label alone when serving labels only.
/// </summary>
/// <remarks>
/// An image of the model's input size is classified as it is (an attack sends exactly that); any other size is
/// preprocessed with the model's spec first (resize, crop), like an input of <c>advaudit attack</c>. Requests are served
/// concurrently; the classifier batches nothing across requests. With a required key, a request without the header
/// <c>Authorization: Bearer &lt;key&gt;</c> gets 401.
/// </remarks>
internal sealed class ModelServer : IDisposable
{
    /// <summary>The largest request body accepted.</summary>
    public const long MaxBodyBytes = 64L * 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly HttpListener _listener = new();
    private readonly IClassifier _model;
    private readonly ModelSpec _spec;
    private readonly string? _requiredAuthorization;
    private readonly bool _labelOnly;
    private readonly TextWriter _log;
    private long _requests;

    /// <summary>Initializes a new instance of the <see cref="ModelServer"/> class and starts listening.</summary>
    /// <param name="model">The classifier; shared by all requests.</param>
    /// <param name="spec">Its spec (input size and preprocessing of other-sized images).</param>
    /// <param name="host">The address to listen on (127.0.0.1 by default: only this machine).</param>
    /// <param name="port">The port.</param>
    /// <param name="requiredKey">The key a request must send as <c>Authorization: Bearer</c>, or <see langword="null"/> for none.</param>
    /// <param name="labelOnly">Whether to answer with the top-1 label only.</param>
    /// <param name="log">Where one line per failed request goes.</param>
    /// <exception cref="HttpListenerException">The port is taken or may not be used.</exception>
    public ModelServer(IClassifier model, ModelSpec spec, string host, int port, string? requiredKey, bool labelOnly, TextWriter log)
    {
        _model = model;
        _spec = spec;
        _requiredAuthorization = requiredKey is null ? null : "Bearer " + requiredKey;
        _labelOnly = labelOnly;
        _log = log;
        string authority = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        Url = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{authority}:{port}/predict"));
        _listener.Prefixes.Add(string.Create(CultureInfo.InvariantCulture, $"http://{authority}:{port}/"));
        _listener.Start();
    }

    /// <summary>Gets the URL to put in a remote spec's <c>url</c>.</summary>
    public Uri Url { get; }

    /// <summary>Gets the requests answered so far (any status).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Serves requests until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="cancellationToken">Stops the server.</param>
    /// <returns>A task that ends when the server has stopped.</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var running = new List<Task>();
        var stopped = Task.Delay(Timeout.Infinite, cancellationToken);
        while (true)
        {
            // The listener's own Stop does not always end a pending GetContextAsync (Linux), so wait on both.
            Task<HttpListenerContext> next = _listener.GetContextAsync();
            if (await Task.WhenAny(next, stopped).ConfigureAwait(false) != next)
            {
                _listener.Stop();
                _ = next.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                break;
            }

            HttpListenerContext context = await next.ConfigureAwait(false);
            running.RemoveAll(t => t.IsCompleted);
            running.Add(Task.Run(() => HandleAsync(context), CancellationToken.None));
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => ((IDisposable)_listener).Dispose();

    private static async Task<byte[]> ReadBodyAsync(HttpListenerRequest request)
    {
        if (request.ContentLength64 > MaxBodyBytes)
        {
            throw new RequestException(413, string.Create(CultureInfo.InvariantCulture, $"the body has {request.ContentLength64} bytes; at most {MaxBodyBytes} are accepted"));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.InputStream.ReadAsync(chunk).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new RequestException(413, string.Create(CultureInfo.InvariantCulture, $"the body is larger than {MaxBodyBytes} bytes"));
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static (List<byte[]> Images, bool Batch) ImagesOf(HttpListenerRequest request, byte[] body)
    {
        if (request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return ([body], false);
        }

        try
        {
            using JsonDocument json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("images", out JsonElement many) && many.ValueKind == JsonValueKind.Array)
            {
                return ([.. many.EnumerateArray().Select(e => e.GetBytesFromBase64())], true);
            }

            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("image", out JsonElement one) && one.ValueKind == JsonValueKind.String)
            {
                return ([one.GetBytesFromBase64()], false);
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new RequestException(400, "the JSON body could not be read (" + e.Message + "); send {\"image\": \"<base64 PNG>\"} or {\"images\": [...]}");
        }

        throw new RequestException(400, "the JSON body has no \"image\" (a base64 string) or \"images\" (an array of them)");
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requests);
        HttpListenerResponse response = context.Response;
        int status = 200;
        object answer;
        try
        {
            answer = await AnswerAsync(context.Request).ConfigureAwait(false);
        }
        catch (RequestException e)
        {
            (status, answer) = (e.Status, new { error = e.Message });
        }
#pragma warning disable CA1031 // a failed request is answered 500 and logged; the server keeps serving
        catch (Exception e)
#pragma warning restore CA1031
        {
            (status, answer) = (500, new { error = "the model failed: " + e.Message });
        }

        if (status != 200)
        {
            await _log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{context.Request.HttpMethod} {context.Request.Url?.AbsolutePath}: {status} {JsonSerializer.Serialize(answer, Json)}")).ConfigureAwait(false);
        }

        try
        {
            byte[] bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(answer, Json));
            response.StatusCode = status;
            response.ContentType = "application/json";
            response.ContentLength64 = bytes.Length;
            await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
            response.Close();
        }
        catch (HttpListenerException)
        {
            // The client went away; nothing to answer.
        }
    }

    private async Task<object> AnswerAsync(HttpListenerRequest request)
    {
        if (!string.Equals(request.Url?.AbsolutePath, Url.AbsolutePath, StringComparison.Ordinal))
        {
            throw new RequestException(404, $"no such path; POST images to {Url.AbsolutePath}");
        }

        if (request.HttpMethod != "POST")
        {
            throw new RequestException(405, $"{request.HttpMethod} is not served; POST images to {Url.AbsolutePath}");
        }

        if (_requiredAuthorization is not null && !FixedTimeEquals(request.Headers["Authorization"], _requiredAuthorization))
        {
            throw new RequestException(401, "missing or wrong API key: send Authorization: Bearer <key>");
        }

        byte[] body = await ReadBodyAsync(request).ConfigureAwait(false);
        (List<byte[]> images, bool batch) = ImagesOf(request, body);
        if (images.Count == 0)
        {
            throw new RequestException(400, "the request has no image");
        }

        int length = _model.Channels * _model.InputHeight * _model.InputWidth, classes = _model.NumClasses;
        var pixels = new float[images.Count * length];
        for (int i = 0; i < images.Count; i++)
        {
            Pixels(images[i], pixels.AsSpan(i * length, length), batch ? i : null);
        }

        var logits = new float[images.Count * classes];
        _model.Predict(pixels, images.Count, logits);
        var answers = new List<object>(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            float[] scores = logits.AsSpan(i * classes, classes).ToArray();
            string label = _model.Labels[LogitMath.ArgMax(scores)];
            answers.Add(_labelOnly ? new { label } : new { scores, label });
        }

        return batch ? new { results = answers } : answers[0];
    }

    private void Pixels(byte[] file, Span<float> destination, int? index)
    {
        string which = index is int i ? string.Create(CultureInfo.InvariantCulture, $"image {i}: ") : string.Empty;
        try
        {
            using Image<Rgb24> decoded = ImageDecoder.Decode(file, new DecodeLimits { MaxBytes = MaxBodyBytes });
            bool inputSized = decoded.Width == _model.InputWidth && decoded.Height == _model.InputHeight;
            using Image<Rgb24> input = inputSized ? decoded.Clone() : ImagePreprocessor.Preprocess(decoded, _spec);
            TensorImage.WriteChw(input, destination, _spec.GrayConversion);
        }
        catch (InvalidImageException e)
        {
            throw new RequestException(400, which + e.Message);
        }
    }

    private static bool FixedTimeEquals(string? given, string expected) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));

    /// <summary>A request the server answers with an error status and a message.</summary>
    private sealed class RequestException(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }
}
