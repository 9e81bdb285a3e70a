using AttackCore.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Imaging;

/// <summary>
/// Converts between 8-bit images and the attack space: planar CHW floats in [0, 1] (all red values, then
/// green, then blue; each plane row by row), or one gray plane for a grayscale model (see <see cref="ChannelSpace"/>).
/// </summary>
/// <remarks>
/// <para>Bytes become floats as p / 255 (computed once per byte value, so every path yields the same bits).
/// Floats become bytes as round(clamp(v, 0, 1) x 255) in single precision with halves rounded away from zero;
/// NaN becomes 0. <see cref="QuantizeChw"/> applies exactly that mapping and back, so a quantized tensor written
/// with <see cref="FromChw"/>, saved as PNG, read back and converted with <see cref="WriteChw"/> is bit-identical.
/// That is what lets a verifier re-score a saved adversarial image and get the attack's own result.</para>
/// <para>Rows are reached through <see cref="AdvancedImageExtensions.DangerousGetPixelRowMemory{TPixel}(Image{TPixel}, int)"/>
/// rather than <c>ProcessPixelRows</c> because the tensor is a span, which a <c>ProcessPixelRows</c> lambda
/// cannot capture; the row memory is used only while the image is alive and unchanged, inside each call.</para>
/// </remarks>
public static class TensorImage
{
    private static readonly float[] ByteToUnit = CreateByteToUnit();

    /// <summary>
    /// Writes an image into a CHW tensor as p / 255: three planes (RGB), or one plane of gray values when
    /// <paramref name="destination"/> holds height x width values (each pixel's <see cref="GrayImage.Luma"/>).
    /// </summary>
    /// <param name="image">The source image.</param>
    /// <param name="destination">Receives exactly 3 x height x width values (RGB) or height x width (gray).</param>
    /// <param name="conversion">How a colour pixel becomes gray, for a one-plane destination; a pixel with R = G = B keeps its value under every formula.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> holds neither 3 x height x width nor height x width values.</exception>
    public static void WriteChw(Image<Rgb24> image, Span<float> destination, GrayConversion conversion = GrayConversion.Bt601)
    {
        ArgumentNullException.ThrowIfNull(image);
        int plane = image.Width * image.Height;
        float[] table = ByteToUnit;
        if (ChannelSpace.ChannelsOf(destination.Length, image.Height, image.Width, nameof(destination)) == 1)
        {
            for (int y = 0; y < image.Height; y++)
            {
                Span<Rgb24> row = image.DangerousGetPixelRowMemory(y).Span;
                Span<float> gray = destination.Slice(y * image.Width, image.Width);
                for (int x = 0; x < row.Length; x++)
                {
                    Rgb24 p = row[x];
                    gray[x] = table[GrayImage.Luma(p.R, p.G, p.B, conversion)];
                }
            }

            return;
        }

        Span<float> red = destination[..plane];
        Span<float> green = destination.Slice(plane, plane);
        Span<float> blue = destination.Slice(2 * plane, plane);
        for (int y = 0; y < image.Height; y++)
        {
            Span<Rgb24> row = image.DangerousGetPixelRowMemory(y).Span;
            int offset = y * image.Width;
            for (int x = 0; x < row.Length; x++)
            {
                Rgb24 p = row[x];
                red[offset + x] = table[p.R];
                green[offset + x] = table[p.G];
                blue[offset + x] = table[p.B];
            }
        }
    }

    /// <summary>Builds an 8-bit RGB image from a CHW tensor, clamping to [0, 1] and rounding to the nearest step of 1/255.</summary>
    /// <param name="chw">Exactly 3 x <paramref name="height"/> x <paramref name="width"/> values, or one gray plane (replicated to R = G = B).</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <returns>A new image that the caller owns and must dispose.</returns>
    /// <exception cref="ArgumentException"><paramref name="chw"/> has the wrong length.</exception>
    public static Image<Rgb24> FromChw(ReadOnlySpan<float> chw, int height, int width)
    {
        int channels = ChannelSpace.ChannelsOf(chw.Length, height, width, nameof(chw));
        int plane = height * width;
        ReadOnlySpan<float> red = chw[..plane];
        ReadOnlySpan<float> green = channels == 3 ? chw.Slice(plane, plane) : red;
        ReadOnlySpan<float> blue = channels == 3 ? chw.Slice(2 * plane, plane) : red;
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
        {
            Span<Rgb24> row = image.DangerousGetPixelRowMemory(y).Span;
            int offset = y * width;
            for (int x = 0; x < row.Length; x++)
            {
                row[x] = new Rgb24(ToByte(red[offset + x]), ToByte(green[offset + x]), ToByte(blue[offset + x]));
            }
        }

        return image;
    }

    /// <summary>Builds an 8-bit grayscale image from one gray plane, clamping to [0, 1] and rounding to the nearest step of 1/255.</summary>
    /// <param name="gray">Exactly <paramref name="height"/> x <paramref name="width"/> values.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <returns>A new image that the caller owns and must dispose.</returns>
    /// <exception cref="ArgumentException"><paramref name="gray"/> has the wrong length.</exception>
    public static Image<L8> FromGray(ReadOnlySpan<float> gray, int height, int width)
    {
        if (ChannelSpace.ChannelsOf(gray.Length, height, width, nameof(gray)) != 1)
        {
            throw new ArgumentException($"Expected one gray plane of {height} x {width} = {height * width} values, got {gray.Length}.", nameof(gray));
        }

        var image = new Image<L8>(width, height);
        for (int y = 0; y < height; y++)
        {
            Span<L8> row = image.DangerousGetPixelRowMemory(y).Span;
            ReadOnlySpan<float> values = gray.Slice(y * width, width);
            for (int x = 0; x < row.Length; x++)
            {
                row[x] = new L8(ToByte(values[x]));
            }
        }

        return image;
    }

    /// <summary>The image a CHW tensor is stored as: 8-bit grayscale for one plane, 8-bit RGB for three.</summary>
    /// <param name="chw">3 x height x width values, or height x width.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <returns>A new <see cref="Image{L8}"/> or <see cref="Image{Rgb24}"/> that the caller owns and must dispose.</returns>
    /// <exception cref="ArgumentException"><paramref name="chw"/> has the wrong length.</exception>
    public static Image ToImage(ReadOnlySpan<float> chw, int height, int width) =>
        ChannelSpace.ChannelsOf(chw.Length, height, width, nameof(chw)) == 1 ? FromGray(chw, height, width) : FromChw(chw, height, width);

    /// <summary>
    /// Snaps every value in place to the 8-bit grid (k / 255), exactly as <see cref="FromChw"/> followed by
    /// <see cref="WriteChw"/> would.
    /// </summary>
    /// <param name="values">Values to quantize; any layout, any length.</param>
    public static void QuantizeChw(Span<float> values)
    {
        float[] table = ByteToUnit;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = table[ToByte(values[i])];
        }
    }

    /// <summary>The 8-bit value a [0, 1] float is stored as: round(clamp(v) x 255), halves away from zero, NaN to 0.</summary>
    internal static byte ToByte(float value)
    {
        // Written so that NaN fails the first test and maps to 0.
        if (!(value > 0f))
        {
            return 0;
        }

        if (value >= 1f)
        {
            return 255;
        }

        // Same as MathF.Round(value * 255f, MidpointRounding.AwayFromZero) for these positive values, but several
        // times faster: the float product is exact in double, where adding 0.5 cannot round.
        return (byte)(int)((double)(value * 255f) + 0.5);
    }

    /// <summary>The [0, 1] value an 8-bit value stands for: b / 255, the same bits on every path.</summary>
    internal static float FromByte(byte value) => ByteToUnit[value];

    private static float[] CreateByteToUnit()
    {
        float[] table = new float[256];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = i / 255f;
        }

        return table;
    }
}
