using System.Text.Json;
using AttackCore.Imaging;

namespace AttackCore.Tests.Imaging;

public class AxisMapTests
{
    [Fact]
    public void Apply_Bilinear_EqualsPyTorchInterpolate()
    {
        using JsonDocument fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestModels", "bilinear_resize.json")));
        foreach (JsonElement c in fixture.RootElement.GetProperty("cases").EnumerateArray())
        {
            int channels = c.GetProperty("channels").GetInt32(), h = c.GetProperty("height").GetInt32(), w = c.GetProperty("width").GetInt32();
            int oh = c.GetProperty("outHeight").GetInt32(), ow = c.GetProperty("outWidth").GetInt32();
            float[] input = [.. c.GetProperty("input").EnumerateArray().Select(v => (float)v.GetDouble())];
            double[] expected = [.. c.GetProperty("output").EnumerateArray().Select(v => v.GetDouble())];
            var actual = new float[channels * oh * ow];

            AxisMap.Apply(AxisMap.Bilinear(h, oh), AxisMap.Bilinear(w, ow), input, channels, actual);

            for (int i = 0; i < actual.Length; i++)
            {
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6, $"{h}x{w} -> {oh}x{ow}, value {i}: {actual[i]} vs torch {expected[i]}");
            }
        }
    }

    [Fact]
    public void ApplyTransposed_IsTheAdjointOfApply()
    {
        // <A x, y> = <x, A^T y> for a composed resize-pad-resize map, as the input-diversity transform uses it.
        AxisMap rows = AxisMap.Bilinear(10, 12).Then(AxisMap.Pad(12, 15, 2)).Then(AxisMap.Bilinear(15, 10));
        AxisMap columns = AxisMap.Bilinear(7, 7).Then(AxisMap.Pad(7, 9, 1)).Then(AxisMap.Bilinear(9, 7));
        var random = new Random(3);
        float[] x = [.. Enumerable.Range(0, 2 * 10 * 7).Select(_ => random.NextSingle())];
        float[] y = [.. Enumerable.Range(0, 2 * 10 * 7).Select(_ => random.NextSingle() - 0.5f)];
        var ax = new float[y.Length];
        var aty = new float[x.Length];

        AxisMap.Apply(rows, columns, x, 2, ax);
        AxisMap.ApplyTransposed(rows, columns, y, 2, aty);

        double left = ax.Select((v, i) => (double)v * y[i]).Sum();
        double right = x.Select((v, i) => (double)v * aty[i]).Sum();
        Assert.Equal(left, right, 4);
    }

    [Fact]
    public void Then_PadAndBilinear_RowsOfAnInsideSampleSumToOne()
    {
        AxisMap sut = AxisMap.Bilinear(20, 21).Then(AxisMap.Pad(21, 22, 0)).Then(AxisMap.Bilinear(22, 20));

        double[] dense = sut.ToDense();

        // Row 0 lies inside the resized image (padding is at the end): its weights are an interpolation.
        Assert.Equal(1.0, Enumerable.Range(0, 20).Sum(k => dense[k]), 9);
        Assert.Equal(20, sut.OutputSize);
        Assert.Equal(20, sut.InputSize);
    }

    [Fact]
    public void Then_SizesThatDoNotChain_ThrowsNamingBoth()
    {
        var ex = Assert.Throws<ArgumentException>(() => AxisMap.Bilinear(4, 5).Then(AxisMap.Bilinear(6, 4)));

        Assert.Contains("6", ex.Message, StringComparison.Ordinal);
        Assert.Contains("5", ex.Message, StringComparison.Ordinal);
    }
}
