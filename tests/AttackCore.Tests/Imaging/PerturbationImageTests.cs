using AttackCore.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Imaging;

public class PerturbationImageTests
{
    [Fact]
    public void Render_IdenticalImages_IsMidGrayWithAmplificationOne()
    {
        float[] clean = Enumerable.Range(0, 12).Select(i => i / 12f).ToArray();

        using PerturbationRendering sut = PerturbationImage.Render(clean, clean, height: 2, width: 2);

        Assert.Equal(1.0, sut.Amplification);
        foreach (Rgb24 pixel in TestImages.Pixels(Assert.IsType<Image<Rgb24>>(sut.Image)))
        {
            Assert.Equal(new Rgb24(128, 128, 128), pixel); // 0.5 x 255 = 127.5 -> 128
        }
    }

    [Fact]
    public void Render_KnownDelta_StretchesLargestChangeToFullRange()
    {
        // Largest |delta| = 0.02, so amplification = 0.5 / 0.02 = 25:
        // +0.02 -> 0.5 + 0.5 = 1 (255); -0.01 -> 0.5 - 0.25 = 0.25 (63.75 -> 64); unchanged -> 128.
        float[] clean = Enumerable.Repeat(0.5f, 12).ToArray();
        float[] adv = (float[])clean.Clone();
        adv[0] += 0.02f;   // R of pixel (0, 0)
        adv[5] -= 0.01f;   // G of pixel (1, 0)

        using PerturbationRendering sut = PerturbationImage.Render(clean, adv, height: 2, width: 2);

        Assert.Equal(25.0, sut.Amplification, precision: 3);
        var image = Assert.IsType<Image<Rgb24>>(sut.Image);
        Assert.Equal(new Rgb24(255, 128, 128), image[0, 0]);
        Assert.Equal(new Rgb24(128, 64, 128), image[1, 0]);
        Assert.Equal(new Rgb24(128, 128, 128), image[0, 1]);
        Assert.Equal(new Rgb24(128, 128, 128), image[1, 1]);
    }

    [Fact]
    public void Render_GrayImages_IsAGrayPictureOfTheGrayDelta()
    {
        // One plane of 2 x 2: the largest |delta| 0.04 reaches white, -0.02 gives 0.25 (64), unchanged 128.
        float[] clean = Enumerable.Repeat(0.5f, 4).ToArray();
        float[] adv = (float[])clean.Clone();
        adv[0] += 0.04f;
        adv[3] -= 0.02f;

        using PerturbationRendering sut = PerturbationImage.Render(clean, adv, height: 2, width: 2);

        var image = Assert.IsType<Image<L8>>(sut.Image);
        Assert.Equal(12.5, sut.Amplification, precision: 3);
        Assert.Equal(new L8(255), image[0, 0]);
        Assert.Equal(new L8(128), image[1, 0]);
        Assert.Equal(new L8(64), image[1, 1]);
    }

    [Fact]
    public void Render_WrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => PerturbationImage.Render(new float[12], new float[11], 2, 2));
    }
}
