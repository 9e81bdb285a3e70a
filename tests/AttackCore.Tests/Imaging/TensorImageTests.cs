using AttackCore.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Imaging;

public class TensorImageTests
{
    [Fact]
    public void WriteChw_2x2Image_WritesRedThenGreenThenBluePlanesScaledBy255()
    {
        using Image<Rgb24> image = TestImages.FromRows(
            [new Rgb24(0, 51, 102), new Rgb24(255, 1, 2)],
            [new Rgb24(3, 4, 5), new Rgb24(6, 7, 8)]);
        float[] sut = new float[12];

        TensorImage.WriteChw(image, sut);

        float[] expected =
        [
            0 / 255f, 255 / 255f, 3 / 255f, 6 / 255f,   // R, row by row
            51 / 255f, 1 / 255f, 4 / 255f, 7 / 255f,    // G
            102 / 255f, 2 / 255f, 5 / 255f, 8 / 255f,   // B
        ];
        Assert.Equal(expected, sut);
        Assert.Equal(0.2f, sut[4]);
        Assert.Equal(1f, sut[1]);
    }

    [Fact]
    public void WriteChw_WrongLength_ThrowsNamingDestination()
    {
        using var image = new Image<Rgb24>(2, 2);

        var ex = Assert.Throws<ArgumentException>(() => TensorImage.WriteChw(image, new float[11]));

        Assert.Equal("destination", ex.ParamName);
    }

    [Fact]
    public void FromChw_OutOfRangeAndNaN_ClampsAndMapsNaNToZero()
    {
        float[] chw = [-0.5f, 1.5f, float.NaN, 0.2f, 0f, 0f, 0f, 0f, 1f, 1f, 1f, float.PositiveInfinity];

        using Image<Rgb24> sut = TensorImage.FromChw(chw, height: 2, width: 2);

        Assert.Equal(new Rgb24(0, 0, 255), sut[0, 0]);
        Assert.Equal(new Rgb24(255, 0, 255), sut[1, 0]);
        Assert.Equal(new Rgb24(0, 0, 255), sut[0, 1]);
        Assert.Equal(new Rgb24(51, 0, 255), sut[1, 1]);
    }

    [Fact]
    public void FromChw_Rounds_ToNearest()
    {
        float[] chw = [10.49f / 255f, 10.51f / 255f, 0.5f, 0.5f];

        using Image<Rgb24> sut = TensorImage.FromChw([.. chw, .. chw, .. chw], height: 1, width: 4);

        Assert.Equal(10, sut[0, 0].R);
        Assert.Equal(11, sut[1, 0].R);
        Assert.Equal(128, sut[2, 0].R); // 127.5: away from zero
    }

    [Fact]
    public void ToByte_ExactHalfWithEvenFloor_RoundsAwayFromZero()
    {
        // Find a float whose product with 255 is exactly 2.5, where banker's rounding would give 2.
        float v = 2.5f / 255f;
        while (v * 255f < 2.5f)
        {
            v = MathF.BitIncrement(v);
        }

        while (v * 255f > 2.5f)
        {
            v = MathF.BitDecrement(v);
        }

        Assert.Equal(2.5f, v * 255f);
        Assert.Equal(3, TensorImage.ToByte(v));
    }

    [Fact]
    public void QuantizeChw_AllByteValues_AreFixedPointsEqualToWriteChw()
    {
        float[] grid = new float[256];
        for (int k = 0; k < 256; k++)
        {
            grid[k] = k / 255f;
        }

        float[] sut = (float[])grid.Clone();
        TensorImage.QuantizeChw(sut);

        Assert.Equal(grid, sut);
    }

    [Fact]
    public void QuantizeChw_ArbitraryValues_SnapsToNearestStepAndClamps()
    {
        float[] sut = [0.1f, -3f, 7f, float.NaN, 0.5f];

        TensorImage.QuantizeChw(sut);

        Assert.Equal([26 / 255f, 0f, 1f, 0f, 128 / 255f], sut); // 0.1f x 255f rounds to 25.5 -> 26
    }

    [Fact]
    public void QuantizeChw_ThenFromChwPngAndWriteChw_IsBitIdentical()
    {
        const int height = 13;
        const int width = 17;
        var random = new Random(21);
        float[] tensor = new float[3 * height * width];
        for (int i = 0; i < tensor.Length; i++)
        {
            tensor[i] = (float)((random.NextDouble() * 1.2) - 0.1);
        }

        TensorImage.QuantizeChw(tensor);
        using Image<Rgb24> image = TensorImage.FromChw(tensor, height, width);
        byte[] png = PngCodec.Encode(image);
        using Image<Rgb24> readBack = PngCodec.Decode(png);
        float[] sut = new float[tensor.Length];
        TensorImage.WriteChw(readBack, sut);

        Assert.Equal(tensor, sut);
        for (int i = 0; i < tensor.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(tensor[i]), BitConverter.SingleToInt32Bits(sut[i]));
        }
    }

    [Fact]
    public void WriteChw_ThenFromChw_ReproducesImage()
    {
        using Image<Rgb24> image = TestImages.Random(6, 4, seed: 22);
        float[] tensor = new float[3 * 6 * 4];

        TensorImage.WriteChw(image, tensor);
        using Image<Rgb24> sut = TensorImage.FromChw(tensor, height: 4, width: 6);

        Assert.Equal(TestImages.Pixels(image), TestImages.Pixels(sut));
    }

    [Fact]
    public void ToByte_NearEveryHalfStepAndAtRandom_EqualsRoundingHalvesAwayFromZero()
    {
        static byte Reference(float v) => v > 0f ? v >= 1f ? (byte)255 : (byte)MathF.Round(v * 255f, MidpointRounding.AwayFromZero) : (byte)0;
        var values = new List<float>();
        for (int k = 0; k < 255; k++)
        {
            float mid = (k + 0.5f) / 255f;
            float below = mid, above = mid;
            values.Add(mid);
            for (int u = 0; u < 8; u++)
            {
                below = MathF.BitDecrement(below);
                above = MathF.BitIncrement(above);
                values.Add(below);
                values.Add(above);
            }
        }

        var random = new Random(5);
        for (int i = 0; i < 1_000_000; i++)
        {
            values.Add(random.NextSingle());
        }

        Assert.All(values, v => Assert.Equal(Reference(v), TensorImage.ToByte(v)));
    }
}
