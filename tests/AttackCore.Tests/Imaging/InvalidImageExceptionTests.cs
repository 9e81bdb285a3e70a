using AttackCore.Imaging;

namespace AttackCore.Tests.Imaging;

public class InvalidImageExceptionTests
{
    [Fact]
    public void Constructor_WithReason_KeepsReasonMessageAndInner()
    {
        var inner = new FormatException("bad");

        var sut = new InvalidImageException(ImageRejectionReason.TooLarge, "Too big: resize it.", inner);

        Assert.Equal(ImageRejectionReason.TooLarge, sut.Reason);
        Assert.Equal("Too big: resize it.", sut.Message);
        Assert.Same(inner, sut.InnerException);
    }

    [Fact]
    public void Constructor_MessageOnly_ReasonIsCorrupt()
    {
        var sut = new InvalidImageException("Damaged.");

        Assert.Equal(ImageRejectionReason.Corrupt, sut.Reason);
    }
}
