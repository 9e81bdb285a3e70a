using AttackCore.Imaging;

namespace AttackCore.Tests.Imaging;

public class DecodeLimitsTests
{
    [Fact]
    public void Default_Always_HasDocumentedValues()
    {
        DecodeLimits sut = DecodeLimits.Default;

        Assert.Equal(50L * 1024 * 1024, sut.MaxBytes);
        Assert.Equal(12_000, sut.MaxWidth);
        Assert.Equal(12_000, sut.MaxHeight);
        Assert.Equal(40_000_000, sut.MaxPixels);
        Assert.Equal(1, sut.MaxFrames);
    }

    [Fact]
    public void With_ChangedValue_KeepsOthers()
    {
        DecodeLimits sut = DecodeLimits.Default with { MaxBytes = 10 };

        Assert.Equal(10, sut.MaxBytes);
        Assert.Equal(12_000, sut.MaxWidth);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void MaxBytes_NotPositive_ThrowsNamingOption(long value)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new DecodeLimits { MaxBytes = value });

        Assert.Equal(nameof(DecodeLimits.MaxBytes), ex.ParamName);
    }

    [Fact]
    public void MaxFrames_Zero_ThrowsNamingOption()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new DecodeLimits { MaxFrames = 0 });

        Assert.Equal(nameof(DecodeLimits.MaxFrames), ex.ParamName);
    }
}
