using AttackCore.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Imaging;

public class PngCodecTests
{
    [Fact]
    public void Encode_Image_WritesEightBitRgbPng()
    {
        using var image = new Image<Rgb24>(3, 2);

        byte[] sut = PngCodec.Encode(image);

        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], sut[..8]);
        Assert.Equal("IHDR"u8.ToArray(), sut[12..16]);
        Assert.Equal(8, sut[24]);  // bit depth
        Assert.Equal(2, sut[25]);  // colour type 2: RGB, no alpha, no palette
    }

    [Fact]
    public void EncodeChw_GrayPlane_WritesEightBitGrayscaleThatReadsBackIdentical()
    {
        var random = new Random(5);
        float[] gray = [.. Enumerable.Range(0, 6 * 7).Select(_ => random.Next(256) / 255f)];

        byte[] sut = PngCodec.EncodeChw(gray, 6, 7);

        Assert.Equal(8, sut[24]);  // bit depth
        Assert.Equal(0, sut[25]);  // colour type 0: grayscale
        using Image<Rgb24> decoded = PngCodec.Decode(sut);
        var back = new float[gray.Length];
        TensorImage.WriteChw(decoded, back);
        Assert.Equal(gray, back);
        Assert.All(TestImages.Pixels(decoded).Cast<Rgb24>(), p => Assert.True(p.R == p.G && p.G == p.B));
    }

    [Fact]
    public void EncodeChw_ThreePlanes_IsTheRgbEncoding()
    {
        using Image<Rgb24> image = TestImages.Random(5, 4, seed: 2);
        var chw = new float[3 * 5 * 4];
        TensorImage.WriteChw(image, chw);

        Assert.Equal(PngCodec.Encode(image), PngCodec.EncodeChw(chw, 4, 5));
    }

    [Fact]
    public void EncodeThenDecode_RandomImage_IsLossless()
    {
        using Image<Rgb24> image = TestImages.Random(31, 19, seed: 31);

        using Image<Rgb24> sut = PngCodec.Decode(PngCodec.Encode(image));

        Assert.Equal(TestImages.Pixels(image), TestImages.Pixels(sut));
    }

    [Fact]
    public void Decode_NotAnImage_ThrowsInvalidImageException()
    {
        var ex = Assert.Throws<InvalidImageException>(() => PngCodec.Decode("GIF? no."u8.ToArray()));

        Assert.Equal(ImageRejectionReason.UnknownFormat, ex.Reason);
    }
}
