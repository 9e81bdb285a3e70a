using AttackCore.Reporting;

namespace AttackCore.Tests.Reporting;

public class TraceDownsamplerTests
{
    private static List<TracePoint> Trace(int count) =>
        Enumerable.Range(0, count)
            .Select(i => new TracePoint { Queries = i + 1, Loss = -i, TrueConfidence = 0.5, WinningConfidence = 0.1, WinningClass = 3 })
            .ToList();

    [Theory]
    [InlineData(10_001, 200)]
    [InlineData(201, 200)]
    [InlineData(1_000, 2)]
    [InlineData(1_000, 3)]
    [InlineData(399, 200)]
    public void Downsample_LongTrace_KeepsFirstAndLastAndCapsLength(int count, int max)
    {
        var trace = Trace(count);

        var sut = TraceDownsampler.Downsample(trace, max);

        Assert.Equal(max, sut.Count);
        Assert.Same(trace[0], sut[0]);
        Assert.Same(trace[^1], sut[^1]);
        for (var i = 1; i < sut.Count; i++)
        {
            Assert.True(sut[i].Queries > sut[i - 1].Queries, "points stay in order without duplicates");
        }
    }

    [Fact]
    public void Downsample_LongTrace_SpacesPointsEvenly()
    {
        var sut = TraceDownsampler.Downsample(Trace(1_001), 11);

        Assert.Equal([1, 101, 201, 301, 401, 501, 601, 701, 801, 901, 1001], sut.Select(p => p.Queries));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(200)]
    public void Downsample_ShortTrace_ReturnsAllPointsAsCopy(int count)
    {
        var trace = Trace(count);

        var sut = TraceDownsampler.Downsample(trace, 200);

        Assert.Equal(trace, sut);
        Assert.NotSame(trace, sut);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-5)]
    public void Downsample_MaxBelowTwo_Throws(int max)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TraceDownsampler.Downsample(Trace(10), max));
    }
}
