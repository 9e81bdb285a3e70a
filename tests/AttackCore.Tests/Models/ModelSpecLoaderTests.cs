using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Models;

public sealed class ModelSpecLoaderTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Load_ValidJson_ResolvesPathsAgainstJsonFolder()
    {
        var path = temp.Write("model.json", """
            {
              "name": "my-inception",
              "onnxPath": "inception.onnx",
              "labelsPath": "sub/labels.txt",
              "inputSize": 299,
              "resizeTo": 342,
              "layout": "Nhwc",
              "channelOrder": "Bgr",
              "scaling": "MinusOneToOne",
              "numClasses": 1001,
              "backgroundOffset": 1,
              "output": "Probabilities"
            }
            """);

        var sut = ModelSpecLoader.Load(path);

        Assert.Equal("my-inception", sut.Name);
        Assert.Equal(Path.Combine(temp.Path, "inception.onnx"), sut.OnnxPath);
        Assert.Equal(Path.Combine(temp.Path, "sub", "labels.txt"), sut.LabelsPath);
        Assert.Equal(342, sut.EffectiveResizeTo);
        Assert.Equal(TensorLayout.Nhwc, sut.Layout);
        Assert.Equal(ChannelOrder.Bgr, sut.ChannelOrder);
        Assert.Equal(InputScaling.MinusOneToOne, sut.Scaling);
        Assert.Equal(OutputKind.Probabilities, sut.Output);
        Assert.Equal(1, sut.BackgroundOffset);
    }

    [Fact]
    public void Load_CentralFractionCrop_GivesTfSlimRecipe()
    {
        var path = temp.Write("tf.json", """
            { "name": "tf", "inputSize": 224, "numClasses": 1001, "crop": "CentralFraction", "centralFraction": 0.8 }
            """);

        var sut = ModelSpecLoader.Load(path).Recipe;

        Assert.Equal((CropRule.CentralFraction, 0.8, 224), (sut.Rule, sut.CentralFraction, sut.InputSize));
    }

    [Fact]
    public void Load_NoCropFields_GivesTorchvisionBilinearRecipe()
    {
        var path = temp.Write("tv.json", """{ "name": "tv", "inputSize": 224, "resizeTo": 256, "numClasses": 1000 }""");

        var sut = ModelSpecLoader.Load(path).Recipe;

        Assert.Equal((CropRule.ShortSide, 256, ResizeFilter.Bilinear), (sut.Rule, sut.ResizeTo, sut.Filter));
    }

    [Theory]
    [InlineData("\"inputSize\": 0", "inputSize must be > 0")]
    [InlineData("\"numClasses\": 0", "numClasses must be > 0")]
    [InlineData("\"backgroundOffset\": 10", "backgroundOffset must be in [0, numClasses - 1] = [0, 9]")]
    [InlineData("\"backgroundOffset\": -1", "backgroundOffset must be in")]
    [InlineData("\"mean\": [0.5, 0.5]", "mean must have 3 values")]
    [InlineData("\"std\": [0.5, 0, 0.5]", "std values must be > 0")]
    [InlineData("\"std\": [0.5]", "std must have 3 values")]
    [InlineData("\"resizeTo\": 100", "resizeTo must be >= inputSize")]
    [InlineData("\"sha256\": \"abc\"", "sha256 must be 64 hexadecimal digits")]
    [InlineData("\"crop\": \"CentralFraction\", \"centralFraction\": 0", "centralFraction must be in (0, 1]")]
    [InlineData("\"crop\": \"CentralFraction\", \"resizeTo\": 256", "resizeTo is not used with crop CentralFraction")]
    [InlineData("\"crop\": \"CentralFraction\", \"interpolation\": \"Bicubic\"", "interpolation must be Bilinear with crop CentralFraction")]
    [InlineData("\"centralFraction\": 0.875", "centralFraction is used only with crop CentralFraction")]
    public void Load_OutOfRange_ThrowsNamingField(string field, string expected)
    {
        // A repeated property overrides the earlier one.
        var json = "{\"name\": \"m\", \"inputSize\": 224, \"numClasses\": 10, " + field + "}";
        var path = temp.Write("bad.json", json);

        var ex = Assert.Throws<ModelSpecException>(() => ModelSpecLoader.Load(path));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownEnum_ThrowsListingAllowedValues()
    {
        var path = temp.Write("bad.json", """{"name": "m", "inputSize": 224, "numClasses": 10, "layout": "Chwn"}""");

        var ex = Assert.Throws<ModelSpecException>(() => ModelSpecLoader.Load(path));

        Assert.Contains("layout Nchw|Nhwc", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingRequiredField_ThrowsNamingIt()
    {
        var path = temp.Write("bad.json", """{"name": "m", "inputSize": 224}""");

        var ex = Assert.Throws<ModelSpecException>(() => ModelSpecLoader.Load(path));

        Assert.Contains("numClasses", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TypoInPropertyName_Rejected()
    {
        var path = temp.Write("bad.json", """{"name": "m", "inputSize": 224, "numClasses": 10, "scalling": "MeanStd"}""");

        var ex = Assert.Throws<ModelSpecException>(() => ModelSpecLoader.Load(path));

        Assert.Contains("scalling", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_Throws()
    {
        Assert.Throws<ModelSpecException>(() => ModelSpecLoader.Load(temp.File("none.json")));
    }

    [Fact]
    public void ForOnnxFile_NamedSidecar_LoadedWithOnnxPath()
    {
        var onnx = temp.Write("net.onnx", [1, 2, 3]);
        temp.Write("net.json", """{"name": "net", "inputSize": 224, "numClasses": 10}""");

        var sut = ModelSpecLoader.ForOnnxFile(onnx);

        Assert.Equal("net", sut.Name);
        Assert.Equal(onnx, sut.OnnxPath);
    }

    [Fact]
    public void ForOnnxFile_ModelJsonSidecar_Loaded()
    {
        var onnx = temp.Write("weights.onnx", [1, 2, 3]);
        temp.Write("model.json", """{"name": "generic", "inputSize": 224, "numClasses": 10}""");

        Assert.Equal("generic", ModelSpecLoader.ForOnnxFile(onnx).Name);
    }

    [Fact]
    public void ForOnnxFile_NoSidecar_ThrowsWithExampleAndPresets()
    {
        var onnx = temp.Write("lonely.onnx", [1, 2, 3]);

        var ex = Assert.Throws<ModelSpecException>(() => ModelSpecLoader.ForOnnxFile(onnx));

        Assert.Contains("lonely.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"inputSize\": 299", ex.Message, StringComparison.Ordinal);
        Assert.Contains(ModelPresets.DefaultName, ex.Message, StringComparison.Ordinal);
    }

    [SharedModelFact("mobilenet_v2_1.0_224")]
    public void ForOnnxFile_NoSidecar_SuggestsThePresetWhoseInputAndClassesMatchTheFile()
    {
        string onnx = Path.Combine(SharedModelFactAttribute.SharedModelPath("mobilenet_v2_1.0_224")!, "model.onnx");

        var ex = Assert.Throws<ModelSpecException>(() => ModelSpecLoader.ForOnnxFile(onnx));

        Assert.Contains("It takes 224x224 images (NCHW) and gives 1001 scores, as the preset mobilenet-v2 does", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--preset mobilenet-v2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForOnnxFile_NoSidecar_NoPresetOfThatShape_SaysSo()
    {
        string onnx = Path.Combine(temp.Path, "fashion.onnx");
        File.Copy(RepoPaths.FromRoot("models/fashion-mnist-cnn/model.onnx")!, onnx);

        var ex = Assert.Throws<ModelSpecException>(() => ModelSpecLoader.ForOnnxFile(onnx));

        Assert.Contains("It takes 28x28 images (NCHW) and gives 10 scores; no preset has that input and class count.", ex.Message, StringComparison.Ordinal);
    }
}
