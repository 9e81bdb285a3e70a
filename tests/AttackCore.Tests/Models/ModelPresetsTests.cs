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
        Assert.Equal(342, sut.EffectiveResizeTo);
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

    [Fact]
    public void TryGet_Unknown_ReturnsFalse()
    {
        Assert.False(ModelPresets.TryGet("resnet-50", out _));
    }
}
