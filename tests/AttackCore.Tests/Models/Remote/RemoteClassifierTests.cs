using System.Diagnostics;
using AttackCore.Attacks;
using AttackCore.Attacks.HopSkipJump;
using AttackCore.Attacks.Square;
using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Models.Remote;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Models.Remote;

/// <summary>
/// The remote classifier against a real HTTP service (<see cref="ClassifierServer"/>, Kestrel on 127.0.0.1) that serves
/// the bundled Fashion-MNIST model: same answers and same attacks as the local file, the cache, retries on 429 / 503 /
/// timeouts, permanent errors, and the concurrency and rate limits as the server counts them.
/// </summary>
public sealed class RemoteClassifierTests : IAsyncLifetime, IDisposable
{
    private static readonly string Root = RepoPaths.RepoRoot ?? throw new InvalidOperationException("Run the tests from a checkout.");
    private readonly ModelSpec _local = ModelSpecLoader.Load(Path.Combine(Root, "models", "fashion-mnist-cnn", "model.json"));
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private OnnxClassifier _model = null!;
    private ClassifierServer _server = null!;

    public async Task InitializeAsync()
    {
        _model = new OnnxClassifier(_local, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        _server = await ClassifierServer.StartAsync(_model);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _model.Dispose();
        _http.Dispose();
    }

    [Fact]
    public void Predict_PngBody_EqualsLocalLogitsBitForBit()
    {
        using var sut = Remote(new() { Url = _server.Url });
        float[] images = SampleTensors(4);

        float[] remote = Predict(sut, images, 4);

        Assert.Equal(Predict(_model, images, 4), remote);
        Assert.Equal(4, _server.Requests);
    }

    [Fact]
    public void Predict_JsonBatch_EqualsLocalLogitsInFewerRequests()
    {
        using var sut = Remote(new() { Url = _server.Url, Body = RemoteBody.JsonBase64, BatchSize = 3 });
        float[] images = SampleTensors(7);

        float[] remote = Predict(sut, images, 7);

        Assert.Equal(Predict(_model, images, 7), remote);
        Assert.Equal(3, _server.Requests); // 3 + 3 + 1
    }

    [Fact]
    public void Predict_OffGridPixels_SendsTheRounded8BitImage()
    {
        using var sut = Remote(new() { Url = _server.Url });
        float[] images = SampleTensors(1);
        float[] offGrid = [.. images.Select(v => Math.Clamp(v + 0.4f / 255f, 0f, 1f))];

        float[] remote = Predict(sut, offGrid, 1);
        float[] onGrid = Predict(sut, images, 1);

        Assert.Equal(Predict(_model, images, 1), remote); // +0.4 of a step rounds back to the same levels
        Assert.Equal(remote, onGrid);
        Assert.Equal(1, sut.Counts.CacheHits); // the on-grid twin is the same PNG
        Assert.Equal(1, _server.Requests);
    }

    [Fact]
    public void Predict_ProbabilityMapByClassName_GivesLocalLogSoftmax()
    {
        _server.Behavior.ProbabilityMap = true;
        using var sut = new RemoteClassifier(
            _local with { OnnxPath = null, Sha256 = null, Output = OutputKind.Probabilities, Remote = new() { Url = _server.Url, ScoresPath = "probs", ScoresFormat = RemoteScoresFormat.Map } },
            _http);
        float[] images = SampleTensors(2);

        float[] remote = Predict(sut, images, 2);

        float[] local = Predict(_model, images, 2);
        for (int i = 0; i < 2; i++)
        {
            float[] row = local[(i * 10)..((i + 1) * 10)];
            double lse = LogitMath.LogSumExp(row);
            for (int c = 0; c < 10; c++)
            {
                // log(softmax) survives the trip as a probability down to float precision (and the 1e-30 floor).
                Assert.Equal(Math.Max(row[c] - lse, Math.Log(1e-30)), remote[(i * 10) + c], 3);
            }
        }
    }

    [Fact]
    public void Predict_SameImageTwice_SentOnceAndCountedAsCacheHit()
    {
        using var sut = Remote(new() { Url = _server.Url });
        float[] image = SampleTensors(1);
        float[] twice = [.. image, .. image];

        Predict(sut, twice, 2);
        Predict(sut, image, 1);

        Assert.Equal(1, _server.Requests);
        Assert.Equal(new RemoteQueryCounts(Queries: 3, CacheHits: 2, Requests: 1, Retries: 0, FailedRequests: 0), sut.Counts);
    }

    [Fact]
    public async Task Measure_TwoCallersShareTheClassifier_EachMeterCountsOnlyItsOwnWork()
    {
        using var sut = Remote(new() { Url = _server.Url });
        float[] images = SampleTensors(5);
        float[] first = images[..(2 * 28 * 28)], second = images[(2 * 28 * 28)..];
        using var bothStarted = new Barrier(2);

        RemoteQueryCounts Work(float[] mine, int count)
        {
            using RemoteQueryMeter meter = RemoteClassifier.Measure();
            bothStarted.SignalAndWait();
            Predict(sut, mine, count);
            Predict(sut, mine[..(28 * 28)], 1);   // the caller's own first image again: a cache hit
            return meter.Counts;
        }

        RemoteQueryCounts[] counts = await Task.WhenAll(Task.Run(() => Work(first, 2)), Task.Run(() => Work(second, 3)));

        Assert.Equal(new RemoteQueryCounts(Queries: 3, CacheHits: 1, Requests: 2, Retries: 0, FailedRequests: 0), counts[0]);
        Assert.Equal(new RemoteQueryCounts(Queries: 4, CacheHits: 1, Requests: 3, Retries: 0, FailedRequests: 0), counts[1]);
        Assert.Equal(counts[0].Plus(counts[1]), sut.Counts);
    }

    [Fact]
    public void Measure_Nested_InnerCountsAndOuterIsRestored()
    {
        using var sut = Remote(new() { Url = _server.Url });
        float[] images = SampleTensors(3);
        using RemoteQueryMeter outer = RemoteClassifier.Measure();
        Predict(sut, images[..(28 * 28)], 1);

        RemoteQueryCounts inner;
        using (RemoteQueryMeter meter = RemoteClassifier.Measure())
        {
            Predict(sut, images[(28 * 28)..], 2);
            inner = meter.Counts;
        }

        Predict(sut, images[..(28 * 28)], 1);
        Assert.Equal((2L, 2L), (inner.Queries, inner.Requests));
        Assert.Equal(new RemoteQueryCounts(Queries: 2, CacheHits: 1, Requests: 1, Retries: 0, FailedRequests: 0), outer.Counts);
    }

    [Fact]
    public void Measure_RetriedRequests_CountedInTheMeterOfTheCallerThatSentThem()
    {
        _server.Behavior.TooManyRequestsFirst = 1;
        _server.Behavior.RetryAfterSeconds = 0;
        using var sut = Remote(new() { Url = _server.Url, MaxRetries = 2 });
        using RemoteQueryMeter meter = RemoteClassifier.Measure();

        Predict(sut, SampleTensors(1), 1);

        Assert.Equal(new RemoteQueryCounts(Queries: 1, CacheHits: 0, Requests: 2, Retries: 1, FailedRequests: 1), meter.Counts);
    }

    [Fact]
    public void Run_SquareThroughServer_SameAdversarialImageAndQueriesAsLocalFile()
    {
        using var sut = Remote(new() { Url = _server.Url, MaxConcurrency = 8 });
        List<PreparedImage> images = SampleImages(3);
        var request = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 0.1, MaxQueries = 300, Seed = 5 } };

        IReadOnlyList<ImageResult> remote = new AttackRunner(sut, ModelDescription.From(sut)).Run(images, request);
        IReadOnlyList<ImageResult> local = new AttackRunner(_model, ModelDescription.From(_model)).Run(images, request);

        AssertSameRuns(local, remote);
        Assert.True(remote.Any(r => r.Report.Outcome.Success), "no sample fooled: the comparison would prove little");
        Assert.Equal(sut.Counts.Requests, _server.Requests);
        Assert.Equal(sut.Counts.Queries, sut.Counts.Requests + sut.Counts.CacheHits);
    }

    [Fact]
    public void Run_LabelOnlyServer_HopSkipJumpSameAsLocalAndScoreAttacksRefused()
    {
        _server.Behavior.LabelOnly = true;
        using var sut = Remote(new() { Url = _server.Url, Answers = RemoteAnswers.Label, MaxConcurrency = 8 });
        List<PreparedImage> images = SampleImages(2);
        var hsj = new AttackRequest { Attack = new HopSkipJumpOptions { Norm = NormKind.L2, Epsilon = 3, MaxQueries = 400, Seed = 3 } };
        var runner = new AttackRunner(sut, ModelDescription.From(sut));

        IReadOnlyList<ImageResult> remote = runner.Run(images, hsj);

        // HopSkipJump's binary searches query between grid levels; the service answers for the rounded PNG, so the
        // local twin is the file's model on rounded images.
        IReadOnlyList<ImageResult> local = new AttackRunner(new RoundingClassifier(_model), ModelDescription.From(_model)).Run(images, hsj);
        AssertSameRuns(local, remote);
        Assert.True(remote.Any(r => r.Report.Outcome.Success), "no sample fooled: the comparison would prove little");
        var square = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 0.1, MaxQueries = 10 } };
        ArgumentException refused = Assert.Throws<ArgumentException>(() => runner.Run(images, square));
        Assert.Contains("top-1 label only", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_429WithRetryAfter_WaitsAsToldAndCountsOneQuery()
    {
        _server.Behavior.TooManyRequestsFirst = 2;
        _server.Behavior.RetryAfterSeconds = 1;
        using var sut = Remote(new() { Url = _server.Url, RetryDelaySeconds = 0.01 });
        float[] image = SampleTensors(1);
        var clock = Stopwatch.StartNew();

        float[] remote = Predict(sut, image, 1);

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"answered after {clock.Elapsed}: the two Retry-After: 1 were not honoured");
        Assert.Equal(Predict(_model, image, 1), remote);
        Assert.Equal(new RemoteQueryCounts(Queries: 1, CacheHits: 0, Requests: 3, Retries: 2, FailedRequests: 2), sut.Counts);
    }

    [Fact]
    public void Run_Random503s_RetriedToTheSameResultAsLocal()
    {
        _server.Behavior.Random503 = 0.25;
        using var sut = Remote(new() { Url = _server.Url, RetryDelaySeconds = 0.001, MaxRetries = 10, MaxConcurrency = 8 });
        List<PreparedImage> images = SampleImages(2);
        var request = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 0.1, MaxQueries = 150, Seed = 9 } };

        IReadOnlyList<ImageResult> remote = new AttackRunner(sut, ModelDescription.From(sut)).Run(images, request);
        IReadOnlyList<ImageResult> local = new AttackRunner(_model, ModelDescription.From(_model)).Run(images, request);

        AssertSameRuns(local, remote);
        RemoteQueryCounts counts = sut.Counts;
        Assert.True(counts.Retries > 10, $"only {counts.Retries} retries at a 25% failure rate");
        Assert.Equal(counts.Retries, counts.FailedRequests);
        Assert.Equal(counts.Requests, _server.Requests);
    }

    [Fact]
    public void Predict_SlowFirstAnswer_TimedOutAndRetried()
    {
        _server.Behavior.SlowFirst = 1;
        using var sut = Remote(new() { Url = _server.Url, TimeoutSeconds = 1, RetryDelaySeconds = 0.01 }); // the slow one takes 3 s
        float[] image = SampleTensors(1);

        float[] remote = Predict(sut, image, 1);

        Assert.Equal(Predict(_model, image, 1), remote);
        Assert.Equal(new RemoteQueryCounts(Queries: 1, CacheHits: 0, Requests: 2, Retries: 1, FailedRequests: 1), sut.Counts);
    }

    [Fact]
    public void Predict_AlwaysSlow_StopsWithTransientErrorNamingEndpoint()
    {
        _server.Behavior.SlowFirst = int.MaxValue;
        using var sut = Remote(new() { Url = _server.Url, TimeoutSeconds = 0.2, MaxRetries = 1, RetryDelaySeconds = 0.01 });

        RemoteModelException e = Assert.Throws<RemoteModelException>(() => Predict(sut, SampleTensors(1), 1));

        Assert.False(e.IsPermanent);
        Assert.Contains(_server.Url.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains("no answer within 0.2 s", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, sut.Counts.FailedRequests);
    }

    [Fact]
    public void Predict_MalformedJson_PermanentErrorWithoutRetry()
    {
        _server.Behavior.Malformed = true;
        using var sut = Remote(new() { Url = _server.Url, RetryDelaySeconds = 0.01 });

        RemoteModelException e = Assert.Throws<PermanentRemoteModelException>(() => Predict(sut, SampleTensors(1), 1));

        Assert.True(e.IsPermanent);
        Assert.Contains(_server.Url.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _server.Requests);
    }

    [Fact]
    public void Predict_WrongScoresPath_PermanentErrorNamesThePath()
    {
        using var sut = Remote(new() { Url = _server.Url, ScoresPath = "$.predictions[0].probs" });

        RemoteModelException e = Assert.Throws<PermanentRemoteModelException>(() => Predict(sut, SampleTensors(1), 1));

        Assert.True(e.IsPermanent);
        Assert.Contains("scoresPath '$.predictions[0].probs' is not in the response", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_HeaderFromEnvironment_SentAndAccepted()
    {
        _server.Behavior.RequiredAuthorization = "Bearer s3cret";
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer ${TEST_API_KEY}" };
        using var sut = Remote(new() { Url = _server.Url, Headers = headers }, name => name == "TEST_API_KEY" ? "s3cret" : null);
        float[] image = SampleTensors(1);

        Assert.Equal(Predict(_model, image, 1), Predict(sut, image, 1));
    }

    [Fact]
    public void Predict_WrongKey_401IsPermanentAndPointsAtHeaders()
    {
        _server.Behavior.RequiredAuthorization = "Bearer s3cret";
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer ${TEST_API_KEY}" };
        using var sut = Remote(new() { Url = _server.Url, Headers = headers }, _ => "wrong");

        RemoteModelException e = Assert.Throws<PermanentRemoteModelException>(() => Predict(sut, SampleTensors(1), 1));

        Assert.True(e.IsPermanent);
        Assert.Equal(401, e.StatusCode);
        Assert.Contains("environment variables", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _server.Requests);
    }

    [Fact]
    public void Constructor_HeaderVariableUnset_ThrowsNamingIt()
    {
        var headers = new Dictionary<string, string> { ["X-Api-Key"] = "${NOT_SET_ANYWHERE}" };

        ModelSpecException e = Assert.Throws<ModelSpecException>(() => Remote(new() { Url = _server.Url, Headers = headers }, _ => null));

        Assert.Contains("NOT_SET_ANYWHERE", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_ManyThreads_ConcurrencyAndRateLimitsHeldAtTheServer()
    {
        _server.Behavior.Latency = TimeSpan.FromMilliseconds(60);
        using var sut = Remote(new() { Url = _server.Url, MaxConcurrency = 2, RequestsPerSecond = 20 });
        float[][] distinct = [.. Enumerable.Range(0, 45).Select(Noise)];

        Parallel.For(0, distinct.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => Predict(sut, distinct[i], 1));

        Assert.Equal(45, _server.Requests);
        Assert.True(_server.MaxInFlight <= 2, $"{_server.MaxInFlight} requests in flight at once; the limit is 2");
        Assert.Equal(2, _server.MaxInFlight); // the limit is used, not undershot
        Assert.True(_server.MaxPerSecond() <= 20, $"{_server.MaxPerSecond()} requests within one second; the limit is 20");
        Assert.True(_server.MaxPerSecond() >= 12, $"only {_server.MaxPerSecond()} requests within a second: the pace is far below the limit");
    }

    [SharedModelFact("mobilenet_v2_1.0_224")]
    public async Task Predict_MobileNetV2_EqualsLocalLogitsBitForBit()
    {
        string folder = SharedModelFactAttribute.SharedModelPath("mobilenet_v2_1.0_224")!;
        ModelSpec spec = ModelPresets.MobileNetV2 with { OnnxPath = Path.Combine(folder, "model.onnx"), Sha256 = null, DownloadUrl = null };
        using var model = new OnnxClassifier(spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        await using ClassifierServer server = await ClassifierServer.StartAsync(model);
        using var sut = new RemoteClassifier(spec with { OnnxPath = null, Remote = new RemoteEndpoint { Url = server.Url } }, _http);
        var random = new Random(4);
        float[] images = [.. Enumerable.Range(0, 2 * 3 * 224 * 224).Select(_ => random.Next(256) / 255f)];

        Assert.Equal(Predict(model, images, 2), Predict(sut, images, 2));
    }

    private static void AssertSameRuns(IReadOnlyList<ImageResult> local, IReadOnlyList<ImageResult> remote)
    {
        Assert.Equal(local.Count, remote.Count);
        for (int i = 0; i < local.Count; i++)
        {
            Assert.Equal(local[i].Report.Outcome.Status, remote[i].Report.Outcome.Status);
            Assert.Equal(local[i].Report.Outcome.Queries, remote[i].Report.Outcome.Queries);
            Assert.Equal(local[i].AdversarialPng, remote[i].AdversarialPng);
        }
    }

    private static float[] Predict(IClassifier classifier, float[] images, int count)
    {
        var logits = new float[count * classifier.NumClasses];
        classifier.Predict(images, count, logits);
        return logits;
    }

    private static float[] Noise(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, 28 * 28).Select(_ => random.Next(256) / 255f)];   // the bundled model is gray
    }

    private RemoteClassifier Remote(RemoteEndpoint endpoint, Func<string, string?>? environment = null) =>
        new(_local with { OnnxPath = null, Sha256 = null, Remote = endpoint }, _http, environment);

    private List<PreparedImage> SampleImages(int count) =>
        [.. Directory.GetFiles(Path.Combine(Root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal).Take(count)
            .Select(f => PreparedImage.Load(Path.GetFileName(f), File.ReadAllBytes(f), _local))];

    private float[] SampleTensors(int count) => [.. SampleImages(count).SelectMany(i => i.Clean)];

    /// <summary>The local model as a service that receives 8-bit PNGs sees it: every query rounded to the grid first.</summary>
    private sealed class RoundingClassifier(IClassifier inner) : IClassifier
    {
        public int InputHeight => inner.InputHeight;

        public int InputWidth => inner.InputWidth;

        public int NumClasses => inner.NumClasses;

        public int Channels => inner.Channels;

        public IReadOnlyList<string> Labels => inner.Labels;

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            float[] rounded = images.ToArray();
            TensorImage.QuantizeChw(rounded);
            inner.Predict(rounded, count, logits);
        }
    }
}
