using AttackCore.Attacks;
using AttackCore.Attacks.Simba;

namespace AttackCore.Tests.Attacks.Simba;

public class DctBasisTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(224)]
    public void CosineTable_Rows_AreOrthonormal(int n)
    {
        double[] sut = DctBasis.CosineTable(n);

        for (int a = 0; a < n; a += Math.Max(1, n / 9))
        {
            for (int b = 0; b < n; b += Math.Max(1, n / 11))
            {
                double dot = 0;
                for (int i = 0; i < n; i++)
                {
                    dot += sut[(a * n) + i] * sut[(b * n) + i];
                }

                Assert.Equal(a == b ? 1.0 : 0.0, dot, 9);
            }
        }
    }

    [Fact]
    public void CosineTable_ConstantRow_IsTheOrthonormalDcTerm()
    {
        double[] sut = DctBasis.CosineTable(4);

        // scipy idct([1, 0, 0, 0], norm='ortho') = [0.5, 0.5, 0.5, 0.5]; idct([0, 1, 0, 0]) starts with sqrt(2/4) cos(pi/8).
        Assert.All(sut.Take(4), v => Assert.Equal(0.5, v, 12));
        Assert.Equal(Math.Sqrt(0.5) * Math.Cos(Math.PI / 8), sut[4], 12);
    }

    [Theory]
    [InlineData(224, 224, 28, 7)]
    [InlineData(12, 9, 3, 2)]
    [InlineData(10, 10, 4, 4)]
    public void BlockOrder_Full_IsAPermutationInGrowingBands(int height, int width, int initial, int stride)
    {
        int total = 3 * height * width;

        int[] sut = DctBasis.BlockOrder(3, height, width, initial, stride, new SeededRandom(5), int.MaxValue);

        Assert.Equal(total, sut.Length);
        Assert.Equal(total, sut.Distinct().Count());
        Assert.All(sut, i => Assert.InRange(i, 0, total - 1));
        int[] bands = sut.Select(i => Band(i % (height * width) / width, i % width)).ToArray();
        Assert.All(bands.Take(3 * initial * initial), b => Assert.Equal(0, b));
        Assert.True(bands.Zip(bands.Skip(1)).All(p => p.First <= p.Second), "bands must come in order");

        int Band(int u, int v) => Math.Max(u, v) < initial ? 0 : 1 + ((Math.Max(u, v) - initial) / stride);
    }

    [Fact]
    public void BlockOrder_SameStream_SameOrder_PrefixIsAPrefix()
    {
        int[] full = DctBasis.BlockOrder(3, 32, 32, 4, 2, new SeededRandom(9), int.MaxValue);

        int[] prefix = DctBasis.BlockOrder(3, 32, 32, 4, 2, new SeededRandom(9), 500);
        int[] other = DctBasis.BlockOrder(3, 32, 32, 4, 2, new SeededRandom(10), 500);

        Assert.Equal(full.Take(500), prefix);
        Assert.NotEqual(prefix, other);
    }

    [Fact]
    public void BlockOrder_FirstBlock_MixesChannels()
    {
        int[] sut = DctBasis.BlockOrder(3, 224, 224, 28, 7, new SeededRandom(1), 30);

        Assert.Equal(3, sut.Select(i => i / (224 * 224)).Distinct().Count());
    }
}
