using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using AttackCore.Imaging;
using AttackCore.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Models.Remote;

/// <summary>What the test server does with the requests it gets; tests change it while the server runs.</summary>
internal sealed class ServerBehavior
{
    /// <summary>Gets or sets a value indicating whether only the top-1 label is returned (<c>{"label": "Trouser"}</c>).</summary>
    public bool LabelOnly { get; set; }

    /// <summary>Gets or sets the number of leading requests answered 429 with <see cref="RetryAfterSeconds"/>.</summary>
    public int TooManyRequestsFirst { get; set; }

    /// <summary>Gets or sets the Retry-After of a 429, in whole seconds.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Gets or sets the chance that a request is answered 503 (drawn from a seeded stream).</summary>
    public double Random503 { get; set; }

    /// <summary>Gets or sets the number of leading requests that are answered only after <see cref="SlowDelay"/>.</summary>
    public int SlowFirst { get; set; }

    /// <summary>Gets or sets how long a slow request takes.</summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Gets or sets a value indicating whether answers are broken JSON.</summary>
    public bool Malformed { get; set; }

    /// <summary>Gets or sets the Authorization header every request must carry, or null for none.</summary>
    public string? RequiredAuthorization { get; set; }

    /// <summary>Gets or sets a value indicating whether scores come as softmax probabilities by class name (<c>{"probs": {"Trouser": 0.9, ...}}</c>).</summary>
    public bool ProbabilityMap { get; set; }

    /// <summary>Gets or sets the first request number answered 401 (a key revoked mid-run); 0 for never.</summary>
    public int UnauthorizedFrom { get; set; }

    /// <summary>Gets or sets how long each answer takes (to make concurrency visible).</summary>
    public TimeSpan Latency { get; set; }
}

/// <summary>
/// A real HTTP classification service for the tests: Kestrel on 127.0.0.1 (a free port), serving an ONNX model through
/// <see cref="OnnxClassifier"/> at <c>POST /predict</c>. It takes a PNG body, or JSON with <c>image</c> (base64) or
/// <c>images</c> (an array, answered as <c>results</c>), and answers <c>{"scores": [...]}</c> or <c>{"label": "..."}</c>.
/// It counts requests, the most in flight at once and when each arrived, and can fail on purpose (<see cref="ServerBehavior"/>).
/// </summary>
internal sealed class ClassifierServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IClassifier _model;
    private readonly Random _faults = new(1234);
    private readonly Lock _gate = new();
    private readonly List<double> _arrivals = [];
    private readonly ConcurrentBag<string> _images = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _inFlight;
    private int _requests;

    private ClassifierServer(WebApplication app, IClassifier model)
    {
        _app = app;
        _model = model;
    }

    public ServerBehavior Behavior { get; } = new();

    public Uri Url { get; private set; } = null!;

    public int Requests => Volatile.Read(ref _requests);

    public int MaxInFlight { get; private set; }

    /// <summary>Gets the SHA-256 of every PNG received (one per image, batches included).</summary>
    public IReadOnlyCollection<string> ImageHashes => _images;

    public static async Task<ClassifierServer> StartAsync(IClassifier model)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        var server = new ClassifierServer(app, model);
        app.MapPost("/predict", server.HandleAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(new Uri(address), "/predict");
        return server;
    }

    /// <summary>Gets the most requests that arrived within any one second.</summary>
    public int MaxPerSecond()
    {
        double[] times;
        lock (_gate)
        {
            times = [.. _arrivals.Order()];
        }

        int best = 0;
        for (int i = 0, j = 0; i < times.Length; i++)
        {
            while (times[i] - times[j] >= 1.0)
            {
                j++;
            }

            best = Math.Max(best, i - j + 1);
        }

        return best;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        int number = Interlocked.Increment(ref _requests);
        int inFlight = Interlocked.Increment(ref _inFlight);
        lock (_gate)
        {
            _arrivals.Add(_clock.Elapsed.TotalSeconds);
            MaxInFlight = Math.Max(MaxInFlight, inFlight);
        }

        try
        {
            await AnswerAsync(context, number);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task AnswerAsync(HttpContext context, int number)
    {
        ServerBehavior b = Behavior;
        if (b.Latency > TimeSpan.Zero)
        {
            await Task.Delay(b.Latency);
        }

        if ((b.RequiredAuthorization is { } auth && context.Request.Headers.Authorization != auth) || (b.UnauthorizedFrom > 0 && number >= b.UnauthorizedFrom))
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsync("{\"error\": \"missing or wrong API key\"}");
            return;
        }

        if (number <= b.TooManyRequestsFirst)
        {
            context.Response.StatusCode = 429;
            context.Response.Headers.RetryAfter = b.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return;
        }

        bool fail;
        lock (_gate)
        {
            fail = _faults.NextDouble() < b.Random503;
        }

        if (fail)
        {
            context.Response.StatusCode = 503;
            return;
        }

        if (number <= b.SlowFirst)
        {
            await Task.Delay(b.SlowDelay, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            if (context.RequestAborted.IsCancellationRequested)
            {
                return;
            }
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        List<byte[]> pngs;
        bool batch = false;
        if (context.Request.ContentType == "image/png")
        {
            pngs = [buffer.ToArray()];
        }
        else
        {
            using JsonDocument json = JsonDocument.Parse(buffer.ToArray());
            batch = json.RootElement.TryGetProperty("images", out JsonElement many);
            pngs = batch ? [.. many.EnumerateArray().Select(e => e.GetBytesFromBase64())] : [json.RootElement.GetProperty("image").GetBytesFromBase64()];
        }

        if (b.Malformed)
        {
            await context.Response.WriteAsync("{\"scores\": [0.1, 0.2,");
            return;
        }

        var answers = pngs.Select(Answer).ToList();
        context.Response.ContentType = "application/json";
        object body = batch ? new { results = answers } : answers[0];
        await context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }

    private object Answer(byte[] png)
    {
        _images.Add(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(png)));
        using Image<Rgb24> image = PngCodec.Decode(png);
        var pixels = new float[_model.Channels * image.Width * image.Height];
        TensorImage.WriteChw(image, pixels);
        var scores = new float[_model.NumClasses];
        _model.Predict(pixels, 1, scores);
        if (Behavior.ProbabilityMap)
        {
            return new { probs = Enumerable.Range(0, scores.Length).ToDictionary(c => _model.Labels[c], c => LogitMath.Softmax(scores, c)) };
        }

        return Behavior.LabelOnly ? new { label = _model.Labels[LogitMath.ArgMax(scores)] } : new { scores };
    }
}
