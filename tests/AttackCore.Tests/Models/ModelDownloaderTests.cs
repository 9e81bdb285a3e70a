using System.Net;
using System.Security.Cryptography;
using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Models;

public sealed class ModelDownloaderTests : IDisposable
{
    private static readonly byte[] Payload = [.. Enumerable.Range(0, 200_000).Select(i => (byte)(i * 31))];
    private static readonly string PayloadSha = Convert.ToHexStringLower(SHA256.HashData(Payload));
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task EnsureAsync_Download_WritesVerifiedFileAndReportsProgress()
    {
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Payload) });
        using var http = new HttpClient(handler);
        var reports = new List<DownloadProgress>();

        var path = await ModelDownloader.EnsureAsync(Spec(PayloadSha), temp.Path, new SyncProgress(reports.Add), http);

        Assert.Equal(ModelDownloader.CachePath(Spec(PayloadSha), temp.Path), path);
        Assert.Equal(Payload, await File.ReadAllBytesAsync(path));
        Assert.Equal(new DownloadProgress(Payload.Length, Payload.Length), reports[^1]);
        Assert.Equal(1, handler.Calls);
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task EnsureAsync_HashMismatch_DeletesAndThrowsExpectedAndActual()
    {
        using var http = new HttpClient(new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Payload) }));
        var expected = new string('0', 64);

        var ex = await Assert.ThrowsAsync<ModelSpecException>(() => ModelDownloader.EnsureAsync(Spec(expected), temp.Path, null, http));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains(PayloadSha, ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task EnsureAsync_Offline_ThrowsWithOfflineInstructions()
    {
        using var http = new HttpClient(new FakeHandler(_ => throw new HttpRequestException("Name or service not known")));
        var spec = Spec(PayloadSha);

        var ex = await Assert.ThrowsAsync<ModelUnavailableException>(() => ModelDownloader.EnsureAsync(spec, temp.Path, null, http));

        Assert.Contains($"download {spec.DownloadUrl} on a machine with internet", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--model /path/to/inception_v3_Opset17.onnx", ex.Message, StringComparison.Ordinal);
        Assert.Contains(ModelDownloader.CachePath(spec, temp.Path), ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task EnsureAsync_ServerError_ThrowsModelUnavailable()
    {
        using var http = new HttpClient(new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.NotFound)));

        await Assert.ThrowsAsync<ModelUnavailableException>(() => ModelDownloader.EnsureAsync(Spec(PayloadSha), temp.Path, null, http));
    }

    [Fact]
    public async Task EnsureAsync_CachedFile_ReusedWithoutNetwork()
    {
        var handler = new FakeHandler(_ => throw new InvalidOperationException("no network expected"));
        using var http = new HttpClient(handler);
        var spec = Spec(PayloadSha);
        await File.WriteAllBytesAsync(ModelDownloader.CachePath(spec, temp.Path), Payload);

        var path = await ModelDownloader.EnsureAsync(spec, temp.Path, null, http);

        Assert.Equal(ModelDownloader.CachePath(spec, temp.Path), path);
        Assert.Equal(0, handler.Calls);
    }

    [Fact]
    public async Task EnsureAsync_CorruptCache_DownloadedAgain()
    {
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Payload) });
        using var http = new HttpClient(handler);
        var spec = Spec(PayloadSha);
        await File.WriteAllBytesAsync(ModelDownloader.CachePath(spec, temp.Path), [1, 2, 3]);

        var path = await ModelDownloader.EnsureAsync(spec, temp.Path, null, http);

        Assert.Equal(Payload, await File.ReadAllBytesAsync(path));
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task EnsureAsync_NoUrlNoFile_ThrowsModelUnavailable()
    {
        using var http = new HttpClient(new FakeHandler(_ => throw new InvalidOperationException()));

        var ex = await Assert.ThrowsAsync<ModelUnavailableException>(() => ModelDownloader.EnsureAsync(ModelPresets.MobileNetV2, temp.Path, null, http));

        Assert.Contains("no download URL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_PresetNameOffline_TriesPresetUrlThenThrows()
    {
        var spec = ModelPresets.InceptionV3Timm;
        var handler = new FakeHandler(request =>
        {
            Assert.Equal(spec.DownloadUrl, request.RequestUri);
            throw new HttpRequestException("offline");
        });
        using var http = new HttpClient(handler);
        var sut = new ModelResolver(http, temp.Path);

        await Assert.ThrowsAsync<ModelUnavailableException>(() => sut.ResolveAsync("inception-v3"));

        Assert.Equal(1, handler.Calls);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("../../outside")]
    [InlineData("sub/model")]
    [InlineData("..")]
    public async Task EnsureAsync_NameWithPathSegments_RefusesWithoutWritingAnywhere(string name)
    {
        string cache = temp.File("cache");
        Directory.CreateDirectory(cache);
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Payload) });
        using var http = new HttpClient(handler);

        var ex = await Assert.ThrowsAsync<ModelSpecException>(() => ModelDownloader.EnsureAsync(Spec(PayloadSha) with { Name = name }, cache, null, http));

        Assert.Contains("not a plain file name", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, handler.Calls);
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(temp.Path, "*", SearchOption.AllDirectories), e => e != cache);
    }

    [Fact]
    public async Task EnsureAsync_PlainHttpWithoutSha256_IsRefusedBeforeAnyRequest()
    {
        var handler = new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Payload) });
        using var http = new HttpClient(handler);
        ModelSpec spec = Spec(PayloadSha) with { Sha256 = null, DownloadUrl = new Uri("http://models.example/m.onnx") };

        var ex = await Assert.ThrowsAsync<ModelSpecException>(() => ModelDownloader.EnsureAsync(spec, temp.Path, null, http));

        Assert.Contains("plain http", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"allowInsecureDownload\": true", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, handler.Calls);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task EnsureAsync_PlainHttpWithoutSha256_WhenTheSpecAllowsIt_Downloads()
    {
        using var http = new HttpClient(new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Payload) }));
        ModelSpec spec = Spec(PayloadSha) with { Sha256 = null, DownloadUrl = new Uri("http://models.example/m.onnx"), AllowInsecureDownload = true };

        string path = await ModelDownloader.EnsureAsync(spec, temp.Path, null, http);

        Assert.Equal(Payload, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task EnsureAsync_PlainHttpWithSha256_Downloads()
    {
        using var http = new HttpClient(new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Payload) }));

        string path = await ModelDownloader.EnsureAsync(Spec(PayloadSha) with { DownloadUrl = new Uri("http://models.example/m.onnx") }, temp.Path, null, http);

        Assert.Equal(Payload, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public void ModelSpecLoader_AllowInsecureDownload_IsReadFromTheSpecJson()
    {
        string json = temp.File("m.json");
        File.WriteAllText(json, "{\"name\": \"m\", \"inputSize\": 8, \"numClasses\": 4, \"downloadUrl\": \"http://models.example/m.onnx\", \"allowInsecureDownload\": true}");

        ModelSpec sut = ModelSpecLoader.Load(json);

        Assert.True(sut.AllowInsecureDownload);
    }

    private static ModelSpec Spec(string sha) => ModelPresets.InceptionV3Timm with { Name = "test-model", Sha256 = sha };

    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }

    private sealed class FakeHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(respond(request));
        }
    }
}
