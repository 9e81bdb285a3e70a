using AttackCore.Models;
using AttackCore.Models.Remote;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Models.Remote;

/// <summary>Remote specs as files: the sample loads, paths resolve, and each bad value is refused with its name.</summary>
public sealed class RemoteEndpointTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Load_SampleRemoteSpec_ReadsEveryField()
    {
        string path = RepoPaths.FromRoot(Path.Combine("samples", "remote", "fashion-mnist-remote.json"))!;

        ModelSpec sut = ModelResolver.Resolve(path);

        Assert.Null(sut.OnnxPath);
        Assert.Equal(new Uri("http://127.0.0.1:8080/predict"), sut.Remote!.Url);
        Assert.Equal(RemoteBody.Png, sut.Remote.Body);
        Assert.Equal(RemoteAnswers.Scores, sut.Remote.Answers);
        Assert.Equal("$.scores", sut.Remote.ScoresPath);
        Assert.Equal("Bearer ${FASHION_API_KEY}", sut.Remote.Headers["Authorization"]);
        Assert.Equal(50, sut.Remote.RequestsPerSecond);
        Assert.Equal(10, LabelSet.Resolve(sut).Count);
    }

    [Fact]
    public async Task ResolveAsync_RemoteSpec_DownloadsNothing()
    {
        using var http = new HttpClient();
        var sut = new ModelResolver(http, temp.File("cache"));
        string path = RepoPaths.FromRoot(Path.Combine("samples", "remote", "fashion-mnist-remote.json"))!;

        ModelSpec spec = await sut.ResolveAsync(path);

        Assert.NotNull(spec.Remote);
        Assert.False(Directory.Exists(temp.File("cache")));
    }

    [Theory]
    [InlineData("\"url\": \"ftp://host/x\"", "remote.url must be an absolute http or https URL")]
    [InlineData("\"url\": \"http://h/p\", \"batchSize\": 4", "remote.batchSize above 1 needs body JsonBase64")]
    [InlineData("\"url\": \"http://h/p\", \"batchSize\": 0", "remote.batchSize must be in [1, 256]")]
    [InlineData("\"url\": \"http://h/p\", \"scoresPath\": \"a..b\"", "remote.scoresPath 'a..b' is not a JSON path")]
    [InlineData("\"url\": \"http://h/p\", \"labelPath\": \"x[one]\"", "remote.labelPath 'x[one]' is not a JSON path")]
    [InlineData("\"url\": \"http://h/p\", \"timeoutSeconds\": 0", "remote.timeoutSeconds must be in (0, 600]")]
    [InlineData("\"url\": \"http://h/p\", \"maxConcurrency\": 0", "remote.maxConcurrency must be in [1, 256]")]
    [InlineData("\"url\": \"http://h/p\", \"requestsPerSecond\": -1", "remote.requestsPerSecond must be in (0, 10000]")]
    [InlineData("\"url\": \"http://h/p\", \"maxRetries\": 21", "remote.maxRetries must be in [0, 20]")]
    [InlineData("\"url\": \"http://h/p\", \"headers\": {\"X-Api-Key\": \"abc123\"}", "remote.headers.X-Api-Key looks like a secret but names no environment variable")]
    public void Load_BadRemoteValue_RefusedNamingIt(string remote, string expected)
    {
        string path = temp.Write("remote.json", "{\"name\": \"r\", \"inputSize\": 28, \"numClasses\": 10, \"remote\": {" + remote + "}}");

        ModelSpecException e = Assert.Throws<ModelSpecException>(() => ModelSpecLoader.Load(path));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RemoteWithOnnxPath_Refused()
    {
        string path = temp.Write("remote.json", """{"name": "r", "onnxPath": "m.onnx", "inputSize": 28, "numClasses": 10, "remote": {"url": "http://h/p"}}""");

        ModelSpecException e = Assert.Throws<ModelSpecException>(() => ModelSpecLoader.Load(path));

        Assert.Contains("a remote model has no onnxPath", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RemoteTypo_RefusedAsUnknownMember()
    {
        string path = temp.Write("remote.json", """{"name": "r", "inputSize": 28, "numClasses": 10, "remote": {"url": "http://h/p", "answer": "Label"}}""");

        Assert.Throws<ModelSpecException>(() => ModelSpecLoader.Load(path));
    }
}
