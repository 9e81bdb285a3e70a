using AttackCore.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Imaging;

public class PerturbationRenderingTests
{
    [Fact]
    public void Dispose_Always_DisposesImage()
    {
        var image = new Image<Rgb24>(2, 2);
        var sut = new PerturbationRendering(image, 3.0);

        sut.Dispose();

        Assert.Throws<ObjectDisposedException>(() => image.Clone());
    }
}
