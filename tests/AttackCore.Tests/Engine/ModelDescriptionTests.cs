using AttackCore.Engine;
using AttackCore.Models;

namespace AttackCore.Tests.Engine;

public class ModelDescriptionTests
{
    [Fact]
    public void Preprocessing_TimmPreset_NamesBicubicResizeAndCrop()
    {
        string sut = ModelDescription.Preprocessing(ModelPresets.InceptionV3Timm);

        Assert.StartsWith("resize shortest side to 341 (bicubic), center crop 299, p/127.5 - 1", sut, StringComparison.Ordinal);
    }

    [Fact]
    public void Preprocessing_TfSlimPreset_NamesCentralCropAndResize()
    {
        string sut = ModelDescription.Preprocessing(ModelPresets.MobileNetV2);

        Assert.StartsWith("central crop 0.875 of each side, resize to 224x224 (bilinear, TF), p/127.5 - 1", sut, StringComparison.Ordinal);
    }
}
