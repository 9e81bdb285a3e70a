using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Tests.Imaging;
using AttackCore.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Models;

/// <summary>How a model's channels are found and fed: read from the ONNX input, gray models attacked in one plane, RGB models unchanged.</summary>
public class ModelChannelsTests
{
    private static readonly OnnxClassifierOptions Cpu = new() { Provider = ExecutionProviderKind.Cpu };

    private static ModelSpec Linear(ChannelOrder order = ChannelOrder.Rgb, int? channels = null) => new()
    {
        Name = "linear",
        OnnxPath = Path.Combine(AppContext.BaseDirectory, "TestModels", "linear_3x8x8_4.onnx"),
        LabelsPath = Path.Combine(AppContext.BaseDirectory, "TestModels", "labels4.txt"),
        InputSize = 8,
        NumClasses = 4,
        ChannelOrder = order,
        Channels = channels,
        Scaling = InputScaling.ZeroToOne,
    };

    private static OnnxTensorInfo Input(params long?[] dims) =>
        new("input", [.. dims.Select(d => new OnnxDimension(d, d is null ? "N" : null))]);

    [Fact]
    public void ResolveChannels_DeclaredOneChannel_MakesTheSpecGray()
    {
        ModelSpec spec = Linear() with { Mean = [0.5f], Std = [0.25f], Scaling = InputScaling.MeanStd };

        ModelSpec sut = ModelSpecLoader.ResolveChannels(spec, [Input(null, 1, 8, 8)]);

        Assert.Equal((1, 1, 1), (sut.Channels, sut.InputChannels, sut.AttackChannels));
        Assert.True(sut.Pixels.IsGray);
    }

    [Fact]
    public void ResolveChannels_SpecContradictsTheModel_ThrowsNamingBoth()
    {
        var ex = Assert.Throws<ModelSpecException>(() => ModelSpecLoader.ResolveChannels(Linear(channels: 3), [Input(null, 1, 8, 8)]));

        Assert.Contains("channels 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("declares 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolveChannels_UndeclaredDimension_KeepsTheSpecsValue()
    {
        ModelSpec sut = ModelSpecLoader.ResolveChannels(Linear(ChannelOrder.Gray), [Input(null, null, 8, 8)]);

        Assert.Null(sut.Channels);
        Assert.Equal((1, 1), (sut.InputChannels, sut.AttackChannels));
    }

    [Fact]
    public void Validate_OneChannelWithThreeMeans_NamesTheCount()
    {
        var ex = Assert.Throws<ModelSpecException>(() => ModelSpecLoader.Validate(Linear(channels: 1) with { Scaling = InputScaling.MeanStd }));

        Assert.Contains("mean must have 1 value", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classifier_RgbModel_IsUnchanged()
    {
        using var sut = new OnnxClassifier(Linear(), Cpu);

        Assert.Equal((3, 3), (sut.Channels, sut.Spec.Channels));
        Assert.Same(ChannelSpace.Rgb, sut.Spec.Pixels);
        Assert.EndsWith(", p/255, NCHW, RGB", ModelDescription.Preprocessing(sut.Spec), StringComparison.Ordinal);
        Assert.Equal(3, ModelDescription.From(sut).Channels);
    }

    [Fact]
    public void Classifier_GrayOrderOnThreeChannelModel_FeedsThePlaneToEveryChannel()
    {
        using var rgb = new OnnxClassifier(Linear(), Cpu);
        using var sut = new OnnxClassifier(Linear(ChannelOrder.Gray), Cpu);
        float[] gray = LinearClassifier.RandomImage(8, 3, channels: 1);
        float[] rgbLogits = new float[4], grayLogits = new float[4];

        rgb.Predict([.. gray, .. gray, .. gray], 1, rgbLogits);
        sut.Predict(gray, 1, grayLogits);

        Assert.Equal(1, sut.Channels);
        Assert.Equal(rgbLogits, grayLogits);
        Assert.Throws<ArgumentException>(() => sut.Predict(new float[10], 1, grayLogits));
    }

    [Fact]
    public void PreparedImage_ColourInputForGrayModel_ConvertsWithBt601AndWritesAGrayPng()
    {
        using Image<Rgb24> colour = TestImages.FromRows(
            [new Rgb24(255, 0, 0), new Rgb24(0, 255, 0)],
            [new Rgb24(0, 0, 255), new Rgb24(200, 100, 50)]);

        PreparedImage sut = PreparedImage.Load("colour.png", TestImages.Png(colour), CropRecipe.ShortSide(2, 2), pixels: ChannelSpace.Gray());

        Assert.Equal(1, sut.Channels);
        Assert.Equal([76 / 255f, 150 / 255f, 29 / 255f, 124 / 255f], sut.Clean);
        Assert.Equal(0, sut.CleanPng[25]);  // grayscale PNG
    }

    [Fact]
    public void PreparedImage_RgbModel_KeepsThreePlanes()
    {
        using Image<Rgb24> colour = TestImages.FromRows(
            [new Rgb24(255, 0, 0), new Rgb24(0, 255, 0)],
            [new Rgb24(0, 0, 255), new Rgb24(200, 100, 50)]);
        var expected = new float[12];
        TensorImage.WriteChw(colour, expected);

        PreparedImage sut = PreparedImage.Load("colour.png", TestImages.Png(colour), Linear() with { InputSize = 2 });

        Assert.Equal(3, sut.Channels);
        Assert.Equal(expected, sut.Clean);
        Assert.Equal(2, sut.CleanPng[25]);  // RGB PNG
    }
}
