using AttackCore.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Imaging;

/// <summary>Colour to gray and back, on 8-bit values, with the formulas of <see cref="GrayConversion"/>.</summary>
/// <remarks>
/// Every formula maps a pixel with R = G = B = v to v exactly (the weights sum to one in fixed point), so a gray image
/// stored as RGB, or an 8-bit grayscale PNG decoded to RGB, converts back to the same gray values. Gray to colour is
/// replication, R = G = B = Y.
/// </remarks>
public static class GrayImage
{
    /// <summary>The gray value of one 8-bit RGB pixel.</summary>
    /// <param name="red">Red.</param>
    /// <param name="green">Green.</param>
    /// <param name="blue">Blue.</param>
    /// <param name="conversion">The formula.</param>
    /// <returns>The 8-bit gray value.</returns>
    public static byte Luma(byte red, byte green, byte blue, GrayConversion conversion) => conversion switch
    {
        // Pillow's ImagingConvert L24: the BT.601 weights scaled to 2^16 (19595 + 38470 + 7471 = 65536), rounded.
        GrayConversion.Bt601 => (byte)(((19595 * red) + (38470 * green) + (7471 * blue) + 32768) >> 16),

        // The BT.709 weights scaled to 2^16 the same way (13933 + 46871 + 4732 = 65536).
        GrayConversion.Bt709 => (byte)(((13933 * red) + (46871 * green) + (4732 * blue) + 32768) >> 16),

        // A sum of three integers divided by 3 has no halves: +1 rounds to nearest.
        GrayConversion.Mean => (byte)((red + green + blue + 1) / 3),
        _ => throw new ArgumentOutOfRangeException(nameof(conversion), conversion, "Unknown gray conversion."),
    };

    /// <summary>A copy of <paramref name="image"/> in which every pixel is its gray value in all three channels.</summary>
    /// <param name="image">The source image; not modified.</param>
    /// <param name="conversion">The formula.</param>
    /// <returns>A new image that the caller owns and must dispose.</returns>
    public static Image<Rgb24> ToGray(Image<Rgb24> image, GrayConversion conversion)
    {
        ArgumentNullException.ThrowIfNull(image);
        var gray = new Image<Rgb24>(image.Width, image.Height);
        for (int y = 0; y < image.Height; y++)
        {
            Span<Rgb24> source = image.DangerousGetPixelRowMemory(y).Span;
            Span<Rgb24> target = gray.DangerousGetPixelRowMemory(y).Span;
            for (int x = 0; x < source.Length; x++)
            {
                Rgb24 p = source[x];
                byte v = Luma(p.R, p.G, p.B, conversion);
                target[x] = new Rgb24(v, v, v);
            }
        }

        return gray;
    }

    /// <summary>
    /// Converts an attack-space image between channel counts: RGB to gray with <paramref name="conversion"/> (values
    /// are first stored as 8 bits, as the PNG they come from was), gray to RGB by replication, same to same by copy.
    /// </summary>
    /// <param name="source">CHW, 3 or 1 planes of height x width, in [0, 1].</param>
    /// <param name="destination">CHW, 3 or 1 planes of height x width.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="conversion">The formula for RGB to gray.</param>
    /// <exception cref="ArgumentException">A span holds neither 3 nor 1 planes.</exception>
    public static void Convert(ReadOnlySpan<float> source, Span<float> destination, int height, int width, GrayConversion conversion)
    {
        int from = ChannelSpace.ChannelsOf(source.Length, height, width, nameof(source));
        int to = ChannelSpace.ChannelsOf(destination.Length, height, width, nameof(destination));
        int plane = height * width;
        if (from == to)
        {
            source.CopyTo(destination);
        }
        else if (from == 1)
        {
            for (int c = 0; c < 3; c++)
            {
                source.CopyTo(destination.Slice(c * plane, plane));
            }
        }
        else
        {
            for (int i = 0; i < plane; i++)
            {
                byte r = TensorImage.ToByte(source[i]), g = TensorImage.ToByte(source[plane + i]), b = TensorImage.ToByte(source[(2 * plane) + i]);
                destination[i] = TensorImage.FromByte(Luma(r, g, b, conversion));
            }
        }
    }
}
