using AttackCore.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Imaging;

/// <summary>What a person reads when a file is refused: the file's problem in plain words, never a .NET runtime message.</summary>
public class ImageMessagesTests
{
    [Fact]
    public void Decode_AnimatedWebp_SaysAnimationsAreUnsupported()
    {
        using Image<Rgb24> first = TestImages.Random(16, 12, seed: 1);
        using Image<Rgb24> second = TestImages.Random(16, 12, seed: 2);
        byte[] webp = WebpFiles.Animated(first, second);

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(webp));

        Assert.Equal(ImageRejectionReason.Unsupported, ex.Reason);
        Assert.Contains("animated WebP", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("damaged", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_StillWebp_Decodes()
    {
        using Image<Rgb24> image = TestImages.Random(16, 12, seed: 3);

        using Image<Rgb24> sut = ImageDecoder.Decode(WebpFiles.Lossless(image));

        Assert.Equal(TestImages.Pixels(image), TestImages.Pixels(sut));
    }
}
