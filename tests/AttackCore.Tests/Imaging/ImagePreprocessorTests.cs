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

        using Image<Rgb24> sut = ImagePreprocessor.Preprocess(image, CropRecipe.ShortSide(resizeTo: 2, inputSize: 2));

        Assert.Equal(new[,] { { B, C }, { C, B } }, TestImages.Pixels(sut));
    }

    [Fact]
    public void Preprocess_MarginOfThree_StartsAtTwoAsPythonRoundsHalfToEven()
    {
        // 5x2: torchvision's left = int(round(3 / 2.0)) = round(1.5) = 2, so columns 2 and 3 remain.
        using Image<Rgb24> image = TestImages.FromRows([A, B, C, D, A], [D, C, B, A, D]);

        using Image<Rgb24> sut = ImagePreprocessor.Preprocess(image, CropRecipe.ShortSide(2, 2));

        Assert.Equal(new[,] { { C, D }, { B, A } }, TestImages.Pixels(sut));
    }

    [Fact]
    public void Preprocess_MarginOfOne_LeavesExtraPixelOnTheRight()
    {
        // 3x2: left = round(0.5) = 0, so columns 0 and 1 remain.
        using Image<Rgb24> image = TestImages.FromRows([A, B, C], [D, C, B]);

        using Image<Rgb24> sut = ImagePreprocessor.Preprocess(image, CropRecipe.ShortSide(2, 2));

        Assert.Equal(new[,] { { A, B }, { D, C } }, TestImages.Pixels(sut));
    }

    [Fact]
    public void Preprocess_ImageAlreadyInputSize_ReturnsExactCopyWhateverTheRule()
    {
        using Image<Rgb24> image = TestImages.Random(5, 5, seed: 11);

        using Image<Rgb24> resized = ImagePreprocessor.Preprocess(image, CropRecipe.ShortSide(resizeTo: 8, inputSize: 5, ResizeFilter.Bicubic));
        using Image<Rgb24> central = ImagePreprocessor.Preprocess(image, CropRecipe.Central(0.875, 5));

        Assert.NotSame(image, resized);
        Assert.Equal(TestImages.Pixels(image), TestImages.Pixels(resized));
        Assert.Equal(TestImages.Pixels(image), TestImages.Pixels(central));
    }

    [Fact]
    public void Preprocess_Halving_MatchesHandComputedPillowBilinearWeights()
    {
        // Columns 0, 0, 255, 255 shrunk to 2 columns. Pillow widens the triangle by the scale 2 (support 2) and
        // centres output 0 at source 1.0, taps at source centres 0.5, 1.5, 2.5: distances 0.5, 0.5, 1.5 weigh 0.75, 0.75,
        // 0.25 (normalised by 1.75), so output 0 = 255 x 0.25 / 1.75 = 36.4 -> 36; output 1 mirrors it: 219.
        // The crop of 1 keeps column round(0.5) = 0.
        var black = new Rgb24(0, 0, 0);
        var white = new Rgb24(255, 255, 255);
        using Image<Rgb24> image = TestImages.FromRows([black, black, white, white], [black, black, white, white]);

        using Image<Rgb24> left = ImagePreprocessor.Preprocess(image, CropRecipe.ShortSide(resizeTo: 1, inputSize: 1));
        image.Mutate(x => x.Flip(FlipMode.Horizontal));
        using Image<Rgb24> mirrored = ImagePreprocessor.Preprocess(image, CropRecipe.ShortSide(resizeTo: 1, inputSize: 1));

        Assert.Equal(new Rgb24(36, 36, 36), left[0, 0]);
        Assert.Equal(new Rgb24(219, 219, 219), mirrored[0, 0]);
    }

    [Theory]
    [InlineData(CropRule.ShortSide, ResizeFilter.Bilinear)]
    [InlineData(CropRule.ShortSide, ResizeFilter.Bicubic)]
    [InlineData(CropRule.CentralFraction, ResizeFilter.Bilinear)]
    public void Preprocess_UniformImage_StaysUniformAtInputSize(CropRule rule, ResizeFilter filter)
    {
        using var image = new Image<Rgb24>(80, 40, C);
        CropRecipe recipe = rule == CropRule.ShortSide ? CropRecipe.ShortSide(12, 10, filter) : CropRecipe.Central(0.875, 10);

        using Image<Rgb24> sut = ImagePreprocessor.Preprocess(image, recipe);

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
    [InlineData(500, 375, 299, 398, 299)] // 398.67 -> 398, as torchvision's int()
    [InlineData(512, 341, 342, 513, 342)] // cat.png: 513.5 -> 513
    [InlineData(512, 600, 342, 342, 400)] // grace_hopper.png: 400.8 -> 400
    [InlineData(7, 2, 4, 14, 4)]      // upscaling keeps the aspect ratio too
    [InlineData(3, 2, 3, 4, 3)]       // 4.5 -> 4
    public void ResizedSize_AnyAspect_ScalesShortSideAndTruncatesLongSide(int width, int height, int shortSide, int expectedWidth, int expectedHeight)
    {
        (int w, int h) = ImagePreprocessor.ResizedSize(width, height, shortSide);

        Assert.Equal((expectedWidth, expectedHeight), (w, h));
    }

    [Fact]
    public void ShortSide_CropLargerThanResize_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CropRecipe.ShortSide(resizeTo: 4, inputSize: 5));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0001)]
    [InlineData(double.NaN)]
    public void Central_FractionOutsideZeroToOne_Throws(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CropRecipe.Central(fraction, 10));
    }

    [Theory]
    [InlineData(512, 341, 0.875, 32, 21, 448, 299)] // top = int((341 - 298.375) / 2) = int(21.3) = 21
    [InlineData(100, 100, 0.875, 6, 6, 88, 88)]     // int(6.25) = 6, so 100 - 12 = 88 pixels, not 87.5
    [InlineData(7, 3, 1.0, 0, 0, 7, 3)]
    public void CentralCrop_Fraction_TruncatesTheStartAsTensorFlow(int width, int height, double fraction, int left, int top, int w, int h)
    {
        Assert.Equal(new Rectangle(left, top, w, h), TfBilinear.CentralCrop(width, height, fraction));
    }

    [Fact]
    public void Preprocess_CentralHalving_SamplesEveryOtherPixelWithoutAntialias()
    {
        // TF 1's resize_bilinear without half-pixel centres: output i reads source 2i exactly, so a 4x4 image becomes its
        // pixels (0,0), (2,0), (0,2), (2,2); Pillow would have averaged neighbours.
        using Image<Rgb24> image = TestImages.FromRows([A, B, C, D], [D, C, B, A], [B, D, A, C], [C, A, D, B]);

        using Image<Rgb24> sut = ImagePreprocessor.Preprocess(image, CropRecipe.Central(1.0, 2));

        Assert.Equal(new[,] { { A, C }, { B, A } }, TestImages.Pixels(sut));
    }

    [Fact]
    public void Preprocess_CentralUpscaling_InterpolatesTowardsTheNextPixel()
    {
        // 2 columns (0 and 200) to 4: scale 0.5, positions 0, 0.5, 1, 1.5 -> 0, 100, 200, 200 (the last clamps to column 1).
        var black = new Rgb24(0, 0, 0);
        var grey = new Rgb24(200, 200, 200);
        using Image<Rgb24> image = TestImages.FromRows([black, grey], [black, grey]);

        using Image<Rgb24> sut = ImagePreprocessor.Preprocess(image, CropRecipe.Central(1.0, 4));

        Rgb24[,] pixels = TestImages.Pixels(sut);
        Assert.Equal(new byte[] { 0, 100, 200, 200 }, Enumerable.Range(0, 4).Select(x => pixels[3, x].R).ToArray());
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

        using Image<Rgb24> sut = ImagePreprocessor.Preprocess(strip, CropRecipe.ShortSide(resizeTo: 342, inputSize: 299));

        Assert.Equal((299, 299), (sut.Width, sut.Height));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData(1000, 50, 40, 32, ResizeFilter.Bilinear)]
    [InlineData(60, 900, 48, 40, ResizeFilter.Bicubic)]
    [InlineData(301, 203, 120, 100, ResizeFilter.Bicubic)]
    [InlineData(97, 64, 160, 150, ResizeFilter.Bilinear)]
    public void Preprocess_OnlyTheWindow_EqualsTheWholeResizeCropped(int width, int height, int resizeTo, int cropSize, ResizeFilter filter)
    {
        using Image<Rgb24> image = Smooth(width, height);
        (int w, int h) = ImagePreprocessor.ResizedSize(width, height, resizeTo);
        var window = new Rectangle(ImagePreprocessor.CenterCropStart(w, cropSize), ImagePreprocessor.CenterCropStart(h, cropSize), cropSize, cropSize);
        using Image<Rgb24> whole = PilResampler.ResizeWindow(image, new Size(w, h), new Rectangle(0, 0, w, h), filter);
        using Image<Rgb24> expected = whole.Clone(x => x.Crop(window));

        using Image<Rgb24> sut = ImagePreprocessor.Preprocess(image, CropRecipe.ShortSide(resizeTo, cropSize, filter));

        Assert.Equal(TestImages.Pixels(expected), TestImages.Pixels(sut));
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
