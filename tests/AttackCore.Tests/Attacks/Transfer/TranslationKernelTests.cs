using AttackCore.Attacks.Transfer;

namespace AttackCore.Tests.Attacks.Transfer;

public class TranslationKernelTests
{
    [Theory]
    [InlineData(7, 1.0)]
    [InlineData(15, 7 / 3.0)]
    [InlineData(3, 0.3)]
    public void Weights_SumToOneAndAreSymmetric(int size, double sigma)
    {
        var sut = new TranslationKernel(size, sigma);

        double sum = 0;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                sum += sut.Weight(y, x);
                Assert.Equal(sut.Weight(y, x), sut.Weight(size - 1 - y, x), 15);
                Assert.Equal(sut.Weight(y, x), sut.Weight(x, y), 15);
            }
        }

        Assert.Equal(1.0, sum, 12);
        Assert.True(sut.Weight(size / 2, size / 2) > sut.Weight(0, size / 2));
    }

    [Fact]
    public void Smooth_Impulse_GivesTheKernelAndKeepsTheSumAwayFromTheEdges()
    {
        var sut = new TranslationKernel(5, 1.0);
        var plane = new float[2 * 9 * 9];
        plane[(4 * 9) + 4] = 1;
        plane[81 + (4 * 9) + 4] = -2;

        sut.Smooth(plane, 2, 9, 9, new float[81]);

        for (int y = 0; y < 5; y++)
        {
            for (int x = 0; x < 5; x++)
            {
                Assert.Equal(sut.Weight(y, x), plane[((y + 2) * 9) + x + 2], 6);
                Assert.Equal(-2 * sut.Weight(y, x), plane[81 + ((y + 2) * 9) + x + 2], 6);
            }
        }

        Assert.Equal(1.0, plane.Take(81).Sum(v => (double)v), 6);
        Assert.Equal(0f, plane[0]);
    }

    [Fact]
    public void Constructor_EvenSize_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TranslationKernel(4, 1));
    }
}
