using AttackCore.Models;

namespace AttackCore.Tests.Models;

public class ModelPresetsTests
{
    [Fact]
    public void TryGet_EveryName_ReturnsValidSpec()
    {
        foreach (var name in ModelPresets.Names)
        {
            Assert.True(ModelPresets.TryGet(name, out var spec), name);
            ModelSpecLoader.Validate(spec, name);
        }
    }

    [Fact]
    public void TryGet_Default_IsTimmModelZooFile()
    {
        Assert.True(ModelPresets.TryGet("Inception-V3", out var sut));

        Assert.Same(ModelPresets.InceptionV3Timm, sut);
        Assert.Equal(299, sut.InputSize);
        Assert.Equal(341, sut.EffectiveResizeTo); // timm: floor(299 / crop_pct 0.875)
        Assert.Equal(ResizeFilter.Bicubic, sut.Interpolation);
        Assert.Equal(InputScaling.MinusOneToOne, sut.Scaling); // timm: inception mean/std (0.5, 0.5, 0.5) for inception_v3.tv_in1k
        Assert.Equal("d714dcf66d2a2819681b7e1900deab67d5a4be0725014390bd044d1fea746b1c", sut.Sha256);
        Assert.Equal("media.githubusercontent.com", sut.DownloadUrl!.Host);
        Assert.EndsWith("inception_v3_Opset17_timm/inception_v3_Opset17.onnx", sut.DownloadUrl.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public void TryGet_TorchHub_Is224WithResize256()
    {
        Assert.True(ModelPresets.TryGet("inception-v3-torchhub", out var sut));

        Assert.Equal(224, sut.InputSize);
        Assert.Equal(256, sut.EffectiveResizeTo);
        Assert.Equal("2bf53d021ea7c60ee8238f144681b3d5b9546dea373dbe244cb0698795142676", sut.Sha256);
    }

    [Fact]
    public void Presets_TfSlimAndMobileNet_HaveBackgroundClass()
    {
        Assert.Equal((1001, 1, InputScaling.MinusOneToOne), (ModelPresets.InceptionV3TfSlim.NumClasses, ModelPresets.InceptionV3TfSlim.BackgroundOffset, ModelPresets.InceptionV3TfSlim.Scaling));
        Assert.Equal((1001, 1, 224), (ModelPresets.MobileNetV2.NumClasses, ModelPresets.MobileNetV2.BackgroundOffset, ModelPresets.MobileNetV2.InputSize));
        Assert.Equal(InputScaling.MinusOneToOne, ModelPresets.InceptionV3Keras.Scaling);
    }

    [Theory]
    [InlineData("inception-v3-timm", CropRule.ShortSide, 341, 1.0, ResizeFilter.Bicubic)]
    [InlineData("inception-v3-torchhub", CropRule.ShortSide, 256, 1.0, ResizeFilter.Bilinear)]
    [InlineData("inception-v3-torchvision", CropRule.ShortSide, 342, 1.0, ResizeFilter.Bilinear)]
    [InlineData("inception-v3-keras", CropRule.CentralFraction, 299, 0.875, ResizeFilter.Bilinear)]
    [InlineData("inception-v3-tfslim", CropRule.CentralFraction, 299, 0.875, ResizeFilter.Bilinear)]
    [InlineData("mobilenet-v2", CropRule.CentralFraction, 224, 0.875, ResizeFilter.Bilinear)]
    [InlineData("mobilenet-v1", CropRule.CentralFraction, 160, 0.875, ResizeFilter.Bilinear)]
    public void Recipe_EveryPreset_IsItsFamilysRule(string name, CropRule rule, int resizeTo, double fraction, ResizeFilter filter)
    {
        Assert.True(ModelPresets.TryGet(name, out var spec));

        var sut = spec.Recipe;

        Assert.Equal((rule, resizeTo, fraction, filter, spec.InputSize), (sut.Rule, sut.ResizeTo, sut.CentralFraction, sut.Filter, sut.InputSize));
    }

    [Fact]
    public void TryGet_Unknown_ReturnsFalse()
    {
        Assert.False(ModelPresets.TryGet("resnet-50", out _));
    }
}
