using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Models;

public sealed class ModelResolverTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Resolve_PresetName_ReturnsPreset()
    {
        Assert.Same(ModelPresets.InceptionV3TorchHub, ModelResolver.Resolve("inception-v3-torchhub"));
    }

    [Fact]
    public void Resolve_JsonPath_LoadsSpec()
    {
        var json = temp.Write("m.json", """{"name": "from-json", "inputSize": 224, "numClasses": 10}""");

        Assert.Equal("from-json", ModelResolver.Resolve(json).Name);
    }

    [Fact]
    public void Resolve_OnnxPathWithSidecar_LoadsSidecar()
    {
        var onnx = temp.Write("m.onnx", [0]);
        temp.Write("m.json", """{"name": "sidecar", "inputSize": 224, "numClasses": 10}""");

        var sut = ModelResolver.Resolve(onnx);

        Assert.Equal(("sidecar", onnx), (sut.Name, sut.OnnxPath));
    }

    [Fact]
    public void Resolve_Unknown_ThrowsListingPresets()
    {
        var ex = Assert.Throws<ModelSpecException>(() => ModelResolver.Resolve("resnet"));

        Assert.Contains("inception-v3-torchhub", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_LocalOnnx_NoNetwork()
    {
        var onnx = temp.Write("m.onnx", [0]);
        temp.Write("m.json", """{"name": "sidecar", "inputSize": 224, "numClasses": 10}""");
        using var http = new HttpClient(new ThrowingHandler());
        var sut = new ModelResolver(http, temp.File("cache"));

        var spec = await sut.ResolveAsync(onnx);

        Assert.Equal(onnx, spec.OnnxPath);
    }

    private sealed class ThrowingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no network expected");
    }
}
