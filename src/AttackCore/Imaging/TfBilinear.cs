using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Imaging;

/// <summary>
/// TF-slim's evaluation crop (<c>inception_preprocessing.preprocess_for_eval</c>): <c>tf.image.central_crop</c>, then
/// TF 1's <c>tf.image.resize_bilinear(align_corners=False)</c> to a square, both in float32 as TensorFlow computes them,
/// rounded to 8 bits at the end.
/// </summary>
/// <remarks>
/// <para><c>central_crop(f)</c> keeps rows [t, h - t) with t = (int)((h - h f) / 2), truncated, and likewise columns.</para>
/// <para>The TF 1 kernel has no half-pixel centres and no antialias: with scale = in / out (float), output i reads
/// source position p = i x scale, the pixels floor(p) and min(ceil(p), in - 1), and weighs them by p - floor(p); rows
/// are interpolated first along x, then the two results along y. Pixels enter as p x (1 / 255) in float32, as
/// <c>tf.image.convert_image_dtype</c> makes them. The float result is rounded to the nearest 8-bit level, which is
/// the only difference from TensorFlow's output (at most half a level).</para>
/// </remarks>
internal static class TfBilinear
{
    private const float ToUnit = (float)(1.0 / 255);

    /// <summary>The rectangle that <c>tf.image.central_crop</c> keeps.</summary>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="fraction">The central fraction, in (0, 1].</param>
    /// <returns>The kept rectangle.</returns>
    public static Rectangle CentralCrop(int width, int height, double fraction)
    {
        int top = (int)((height - (height * fraction)) / 2);
        int left = (int)((width - (width * fraction)) / 2);
        return new Rectangle(left, top, width - (2 * left), height - (2 * top));
    }

    /// <summary>Resizes the <paramref name="box"/> of <paramref name="source"/> to <paramref name="size"/> x <paramref name="size"/>.</summary>
    /// <param name="source">The image; not modified.</param>
    /// <param name="box">The region to resize, inside the image.</param>
    /// <param name="size">The output side.</param>
    /// <returns>A new image that the caller owns.</returns>
    public static Image<Rgb24> Resize(Image<Rgb24> source, Rectangle box, int size)
    {
        (int[] xLow, int[] xHigh, float[] xLerp) = Axis(box.Width, size);
        (int[] yLow, int[] yHigh, float[] yLerp) = Axis(box.Height, size);
        int stride = 3 * size;
        var output = new byte[size * stride];
        source.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < size; y++)
            {
                ReadOnlySpan<byte> top = MemoryMarshal.AsBytes(accessor.GetRowSpan(box.Y + yLow[y]));
                ReadOnlySpan<byte> bottom = MemoryMarshal.AsBytes(accessor.GetRowSpan(box.Y + yHigh[y]));
                Span<byte> target = output.AsSpan(y * stride, stride);
                float ly = yLerp[y];
                for (int x = 0; x < size; x++)
                {
                    int left = 3 * (box.X + xLow[x]);
                    int right = 3 * (box.X + xHigh[x]);
                    float lx = xLerp[x];
                    for (int c = 0; c < 3; c++)
                    {
                        float topValue = Lerp(top[left + c] * ToUnit, top[right + c] * ToUnit, lx);
                        float bottomValue = Lerp(bottom[left + c] * ToUnit, bottom[right + c] * ToUnit, lx);
                        double value = Lerp(topValue, bottomValue, ly);
                        target[(3 * x) + c] = (byte)Math.Clamp(Math.Floor((value * 255.0) + 0.5), 0, 255);
                    }
                }
            }
        });

        return Image.LoadPixelData<Rgb24>(output, size, size);
    }

    private static float Lerp(float a, float b, float t) => a + ((b - a) * t);

    private static (int[] Low, int[] High, float[] Lerp) Axis(int inSize, int outSize)
    {
        var low = new int[outSize];
        var high = new int[outSize];
        var lerp = new float[outSize];
        float scale = (float)inSize / outSize;
        for (int i = 0; i < outSize; i++)
        {
            float position = i * scale;
            float floor = MathF.Floor(position);
            low[i] = Math.Max((int)floor, 0);
            high[i] = Math.Min((int)MathF.Ceiling(position), inSize - 1);
            lerp[i] = position - floor;
        }

        return (low, high, lerp);
    }
}
