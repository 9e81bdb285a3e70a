using AttackCore.Imaging;
using AttackCore.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace AttackCore.Tests.Imaging;

public class ImagePreprocessorTests
{
    private static readonly Rgb24 A = new(10, 20, 30);
    private static readonly Rgb24 B = new(40, 50, 60);
    private static readonly Rgb24 C = new(70, 80, 90);
    private static readonly Rgb24 D = new(100, 110, 120);

    [Fact]
    public void ResizeAndCenterCrop_ShortSideAlreadyTarget_OnlyCropsCenter()
    {
        // 4x2: short side is already 2, so no resampling; crop left = (4 - 2) / 2 = 1.
        using Image<Rgb24> image = TestImages.FromRows([A, B, C, D], [D, C, B, A]);

        using Image<Rgb24> sut = ImagePreprocessor.ResizeAndCenterCrop(image, resizeShortSide: 2, cropSize: 2);

        Assert.Equal(new[,] { { B, C }, { C, B } }, TestImages.Pixels(sut));
    }

    [Fact]
    public void ResizeAndCenterCrop_OddMargin_LeavesExtraPixelOnTheRight()
    {
        // 5x2: left = (5 - 2) / 2 = 1, so columns 1 and 2 remain and two columns are cut on the right.
        using Image<Rgb24> image = TestImages.FromRows([A, B, C, D, A], [D, C, B, A, D]);

        using Image<Rgb24> sut = ImagePreprocessor.ResizeAndCenterCrop(image, 2, 2);

        Assert.Equal(new[,] { { B, C }, { C, B } }, TestImages.Pixels(sut));
    }

    [Fact]
    public void ResizeAndCenterCrop_ImageAlreadyCropSize_ReturnsExactCopyEvenWithLargerResize()
    {
        using Image<Rgb24> image = TestImages.Random(5, 5, seed: 11);

        using Image<Rgb24> sut = ImagePreprocessor.ResizeAndCenterCrop(image, resizeShortSide: 8, cropSize: 5);

        Assert.NotSame(image, sut);
        Assert.Equal(TestImages.Pixels(image), TestImages.Pixels(sut));
    }

    [Fact]
    public void ResizeAndCenterCrop_Halving_MatchesHandComputedTriangleWeights()
    {
        // Columns 0, 0, 255, 255 shrunk to 2 columns. ImageSharp scales the triangle kernel by 2 (radius 2) and
        // centres output 0 at source 0.5: sources 0, 1, 2 at distances 0.5, 0.5, 1.5 weigh 0.75, 0.75, 0.25
        // (normalised by 1.75), so output 0 = 255 x 0.25 / 1.75 = 36.4 -> 36; output 1 mirrors it: 219.
        // The crop of 1 keeps column (2 - 1) / 2 = 0.
        var black = new Rgb24(0, 0, 0);
        var white = new Rgb24(255, 255, 255);
        using Image<Rgb24> image = TestImages.FromRows([black, black, white, white], [black, black, white, white]);

        using Image<Rgb24> left = ImagePreprocessor.ResizeAndCenterCrop(image, resizeShortSide: 1, cropSize: 1);
        image.Mutate(x => x.Flip(FlipMode.Horizontal));
        using Image<Rgb24> mirrored = ImagePreprocessor.ResizeAndCenterCrop(image, resizeShortSide: 1, cropSize: 1);

        Assert.Equal(new Rgb24(36, 36, 36), left[0, 0]);
        Assert.Equal(new Rgb24(219, 219, 219), mirrored[0, 0]);
    }

    [Fact]
    public void ResizeAndCenterCrop_UniformImage_StaysUniformAtCropSize()
    {
        using var image = new Image<Rgb24>(80, 40, C);

        using Image<Rgb24> sut = ImagePreprocessor.ResizeAndCenterCrop(image, resizeShortSide: 12, cropSize: 10);

        Assert.Equal(10, sut.Width);
        Assert.Equal(10, sut.Height);
        foreach (Rgb24 pixel in TestImages.Pixels(sut))
        {
            Assert.Equal(C, pixel);
        }
    }

    [Theory]
    [InlineData(5, 3, 2, 3, 2)]      // 5 x 2/3 = 3.33 -> 3
    [InlineData(3, 5, 2, 2, 3)]
    [InlineData(640, 480, 342, 456, 342)]
    [InlineData(500, 375, 299, 399, 299)] // 398.67 -> 399
    [InlineData(7, 2, 4, 14, 4)]      // upscaling keeps the aspect ratio too
    [InlineData(3, 2, 3, 5, 3)]       // 4.5 rounds away from zero -> 5
    public void ResizedSize_AnyAspect_ScalesShortSideAndRoundsLongSide(int width, int height, int shortSide, int expectedWidth, int expectedHeight)
    {
        (int w, int h) = ImagePreprocessor.ResizedSize(width, height, shortSide);

        Assert.Equal((expectedWidth, expectedHeight), (w, h));
    }

    [Fact]
    public void ResizeAndCenterCrop_CropLargerThanResize_Throws()
    {
        using var image = new Image<Rgb24>(10, 10);

        Assert.Throws<ArgumentOutOfRangeException>(() => ImagePreprocessor.ResizeAndCenterCrop(image, resizeShortSide: 4, cropSize: 5));
    }

    [Fact]
    public void Preprocess_Spec_UsesEffectiveResizeAndInputSize()
    {
        using Image<Rgb24> image = TestImages.FromRows([A, B, C, D], [D, C, B, A]);
        var spec = new ModelSpec { Name = "test", InputSize = 2, NumClasses = 10 };

        using Image<Rgb24> sut = ImagePreprocessor.Preprocess(image, spec);

        Assert.Equal(new[,] { { B, C }, { C, B } }, TestImages.Pixels(sut));
    }

    [Fact]
    public void ResizeAndCenterCrop_12000x1Strip_CostsNoMoreThanAPhoto()
    {
        // Resizing first would build a 4,104,000x342 intermediate (about 30 s and 4 GB) to keep 299x299 of it.
        using Image<Rgb24> strip = TestImages.Random(12000, 1, seed: 11);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        using Image<Rgb24> sut = ImagePreprocessor.ResizeAndCenterCrop(strip, resizeShortSide: 342, cropSize: 299);

        Assert.Equal((299, 299), (sut.Width, sut.Height));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData(1000, 50, 40, 32)]
    [InlineData(60, 900, 48, 40)]
    [InlineData(30, 400, 64, 56)]
    public void ResizeAndCenterCrop_LongStrip_MatchesResizeThenCropWithinRounding(int width, int height, int resizeShortSide, int cropSize)
    {
        using Image<Rgb24> image = Smooth(width, height);
        (int w, int h) = ImagePreprocessor.ResizedSize(width, height, resizeShortSide);
        Assert.True(Math.Max(w, h) > ImagePreprocessor.MaxAspectBeforeCropFirst * Math.Min(w, h));
        using Image<Rgb24> expected = image.Clone(x => x.Resize(w, h, KnownResamplers.Triangle).Crop(new Rectangle((w - cropSize) / 2, (h - cropSize) / 2, cropSize, cropSize)));

        using Image<Rgb24> sut = ImagePreprocessor.ResizeAndCenterCrop(image, resizeShortSide, cropSize);

        Rgb24[,] a = TestImages.Pixels(expected);
        Rgb24[,] b = TestImages.Pixels(sut);
        double sum = 0;
        int worst = 0;
        foreach ((Rgb24 p, Rgb24 q) in a.Cast<Rgb24>().Zip(b.Cast<Rgb24>()))
        {
            int d = Math.Max(Math.Abs(p.R - q.R), Math.Max(Math.Abs(p.G - q.G), Math.Abs(p.B - q.B)));
            worst = Math.Max(worst, d);
            sum += d;
        }

        Assert.True(sum / a.Length <= 1.5 && worst <= 4, $"mean {sum / a.Length:0.00}, worst {worst}");
    }

    // A smooth photo-like gradient with some texture, so rounding of the crop shows as small differences only.
    private static Image<Rgb24> Smooth(int width, int height)
    {
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24(
                    (byte)(127 + (120 * Math.Sin(x * 0.05))),
                    (byte)(127 + (120 * Math.Cos(y * 0.07))),
                    (byte)(127 + (100 * Math.Sin((x + y) * 0.03))));
            }
        }

        return image;
    }
}
