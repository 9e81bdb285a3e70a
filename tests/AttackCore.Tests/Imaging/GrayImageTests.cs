using AttackCore.Imaging;
using AttackCore.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Imaging;

public class GrayImageTests
{
    [Theory]
    [InlineData(255, 0, 0, 76)]     // 0.299 x 255 = 76.2
    [InlineData(0, 255, 0, 150)]    // 0.587 x 255 = 149.7
    [InlineData(0, 0, 255, 29)]     // 0.114 x 255 = 29.1
    [InlineData(128, 64, 32, 79)]   // 38.27 + 37.57 + 3.65 = 79.49
    [InlineData(200, 100, 50, 124)] // 59.8 + 58.7 + 5.7 = 124.2
    public void Luma_Bt601_IsPillowsConvertL(byte red, byte green, byte blue, byte expected)
    {
        Assert.Equal(expected, GrayImage.Luma(red, green, blue, GrayConversion.Bt601));
    }

    [Theory]
    [InlineData(GrayConversion.Bt709, 255, 0, 0, 54)]   // 0.2126 x 255 = 54.2
    [InlineData(GrayConversion.Bt709, 0, 255, 0, 182)]  // 0.7152 x 255 = 182.4
    [InlineData(GrayConversion.Mean, 10, 20, 31, 20)]   // 61 / 3 = 20.3
    [InlineData(GrayConversion.Mean, 10, 20, 32, 21)]   // 62 / 3 = 20.7
    public void Luma_OtherConversions_AreTheirFormulasRounded(GrayConversion conversion, byte red, byte green, byte blue, byte expected)
    {
        Assert.Equal(expected, GrayImage.Luma(red, green, blue, conversion));
    }

    [Theory]
    [InlineData(GrayConversion.Bt601)]
    [InlineData(GrayConversion.Bt709)]
    [InlineData(GrayConversion.Mean)]
    public void Luma_GrayPixel_KeepsItsValue(GrayConversion conversion)
    {
        for (int v = 0; v < 256; v++)
        {
            Assert.Equal((byte)v, GrayImage.Luma((byte)v, (byte)v, (byte)v, conversion));
        }
    }

    [Fact]
    public void ToGray_ColourImage_EveryPixelItsLumaInAllChannels()
    {
        using Image<Rgb24> image = TestImages.FromRows([new Rgb24(255, 0, 0), new Rgb24(128, 64, 32)]);

        using Image<Rgb24> sut = GrayImage.ToGray(image, GrayConversion.Bt601);

        Assert.Equal(new Rgb24(76, 76, 76), sut[0, 0]);
        Assert.Equal(new Rgb24(79, 79, 79), sut[1, 0]);
    }

    [Fact]
    public void Convert_RgbToGrayAndBack_LumaThenReplication()
    {
        // One pixel: R = 200, G = 100, B = 50 (as k / 255).
        float[] rgb = [200 / 255f, 100 / 255f, 50 / 255f];
        var gray = new float[1];
        var back = new float[3];

        GrayImage.Convert(rgb, gray, 1, 1, GrayConversion.Bt601);
        GrayImage.Convert(gray, back, 1, 1, GrayConversion.Bt601);

        Assert.Equal(124 / 255f, gray[0]);
        Assert.Equal([124 / 255f, 124 / 255f, 124 / 255f], back);
    }

    [Fact]
    public void Convert_WrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => GrayImage.Convert(new float[5], new float[4], 2, 2, GrayConversion.Bt601));
    }
}
