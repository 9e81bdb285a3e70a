using AttackCore.Attacks;

namespace AttackCore.Tests.Attacks;

public sealed class EpsilonTextTests
{
    [Theory]
    [InlineData("4/255", 4.0 / 255)]
    [InlineData(" 0.05 ", 0.05)]
    [InlineData("5", 5.0)]
    [InlineData("1e-2", 0.01)]
    public void TryParse_DecimalOrFraction_ReadsTheValue(string text, double expected)
    {
        Assert.True(EpsilonText.TryParse(text, out double value));
        Assert.Equal(expected, value, 12);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("4/0")]
    [InlineData("4/-255")]
    [InlineData("4/255/2")]
    [InlineData("0,05")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void TryParse_Malformed_ReturnsFalse(string? text)
    {
        Assert.False(EpsilonText.TryParse(text, out _));
    }

    [Fact]
    public void AttackCatalog_SpecEpsilonAsFraction_IsReadByTheSameRule()
    {
        AttackOptions sut = AttackCatalog.Parse("square:epsilon=8/255", new CommonAttackSettings());

        Assert.Equal(8.0 / 255, sut.Epsilon, 12);
    }
}
