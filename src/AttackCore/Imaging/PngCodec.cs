using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Imaging;

/// <summary>Lossless 8-bit PNG in and out (RGB, or grayscale for gray models), the format adversarial images are stored in.</summary>
/// <remarks>
/// PNG is used because any lossy step (JPEG) would move pixels off the values the attack chose and could undo
/// the attack; with 8-bit RGB (or 8-bit gray) and no alpha, what <see cref="TensorImage.QuantizeChw"/> produced is
/// stored exactly. A grayscale PNG decodes to R = G = B, which every <see cref="Models.GrayConversion"/> maps back to
/// the same gray value.
/// </remarks>
public static class PngCodec
{
    // The encoder holds settings only; each Encode call creates its own working state, so one instance is shared.
    private static readonly PngEncoder Encoder = new()
    {
        ColorType = PngColorType.Rgb,
        BitDepth = PngBitDepth.Bit8,
    };

    private static readonly PngEncoder GrayEncoder = new()
    {
        ColorType = PngColorType.Grayscale,
        BitDepth = PngBitDepth.Bit8,
    };

    /// <summary>Encodes an image as an 8-bit RGB PNG.</summary>
    /// <param name="image">The image to encode.</param>
    /// <returns>The PNG file's bytes.</returns>
    public static byte[] Encode(Image<Rgb24> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var stream = new MemoryStream();
        image.Save(stream, Encoder);
        return stream.ToArray();
    }

    /// <summary>Encodes a gray image as an 8-bit grayscale PNG.</summary>
    /// <param name="image">The image to encode.</param>
    /// <returns>The PNG file's bytes.</returns>
    public static byte[] Encode(Image<L8> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var stream = new MemoryStream();
        image.Save(stream, GrayEncoder);
        return stream.ToArray();
    }

    /// <summary>Encodes an image as 8-bit grayscale PNG when it is an <see cref="Image{L8}"/>, else as 8-bit RGB.</summary>
    /// <param name="image">The image to encode.</param>
    /// <returns>The PNG file's bytes.</returns>
    public static byte[] Encode(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var stream = new MemoryStream();
        image.Save(stream, image is Image<L8> ? GrayEncoder : Encoder);
        return stream.ToArray();
    }

    /// <summary>Encodes a CHW tensor (on the 8-bit grid) as the PNG it is stored as: grayscale for one plane, RGB for three.</summary>
    /// <param name="chw">3 x height x width values, or height x width.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <returns>The PNG file's bytes.</returns>
    public static byte[] EncodeChw(ReadOnlySpan<float> chw, int height, int width)
    {
        using Image image = TensorImage.ToImage(chw, height, width);
        return Encode(image);
    }

    /// <summary>Decodes an image (PNG or any format <see cref="ImageDecoder"/> reads) under <see cref="DecodeLimits.Default"/>.</summary>
    /// <param name="data">The encoded bytes.</param>
    /// <returns>A new image that the caller owns and must dispose.</returns>
    /// <exception cref="InvalidImageException">The data is not a valid image within the default limits.</exception>
    public static Image<Rgb24> Decode(byte[] data) => ImageDecoder.Decode(data, DecodeLimits.Default);
}
