using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Imaging;

/// <summary>Lossless 8-bit RGB PNG in and out, the format adversarial images are stored in.</summary>
/// <remarks>
/// PNG is used because any lossy step (JPEG) would move pixels off the values the attack chose and could undo
/// the attack; with 8-bit RGB and no alpha, what <see cref="TensorImage.QuantizeChw"/> produced is stored exactly.
/// </remarks>
public static class PngCodec
{
    // The encoder holds settings only; each Encode call creates its own working state, so one instance is shared.
    private static readonly PngEncoder Encoder = new()
    {
        ColorType = PngColorType.Rgb,
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

    /// <summary>Decodes an image (PNG or any format <see cref="ImageDecoder"/> reads) under <see cref="DecodeLimits.Default"/>.</summary>
    /// <param name="data">The encoded bytes.</param>
    /// <returns>A new image that the caller owns and must dispose.</returns>
    /// <exception cref="InvalidImageException">The data is not a valid image within the default limits.</exception>
    public static Image<Rgb24> Decode(byte[] data) => ImageDecoder.Decode(data, DecodeLimits.Default);
}
