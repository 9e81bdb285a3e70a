using System.Runtime.InteropServices;
using AttackCore.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Imaging;

/// <summary>
/// Pillow's 8-bit resize (<c>Image.resize</c>, libImaging/Resample.c), which torchvision's <c>Resize</c> calls on PIL
/// images, computed only for a window of the resized image so that a crop never pays for the pixels it drops.
/// </summary>
/// <remarks>
/// <para>Per axis, output pixel i is centred at source (i + 0.5) x scale with scale = in / out. When shrinking, the
/// filter's support is widened by the scale (this is Pillow's antialias; ImageSharp's triangle differs from it, by
/// up to tens of levels on photos). Taps run from (int)(centre - support + 0.5) to (int)(centre + support + 0.5),
/// clamped to the image, each weighing filter((x - centre + 0.5) / max(scale, 1)); the weights are normalised to sum
/// to 1 and stored as integers with 22 fractional bits, rounded half away from zero.</para>
/// <para>The horizontal pass runs first and its result is rounded to 8 bits, then the vertical pass; each sum starts
/// at one half (2^21) and is shifted right by 22 and clamped to [0, 255]. An axis whose size does not change is copied,
/// as Pillow skips that pass. Every output pixel depends only on its own taps, so computing a window gives exactly
/// the window of the full result.</para>
/// </remarks>
internal static class PilResampler
{
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes <paramref name="source"/> to <paramref name="resized"/> and returns only <paramref name="window"/> of the result.</summary>
    /// <param name="source">The image; not modified.</param>
    /// <param name="resized">The size of the whole resized image.</param>
    /// <param name="window">The part of the resized image to compute; inside <paramref name="resized"/>.</param>
    /// <param name="filter">Pillow's filter.</param>
    /// <returns>A new image of the window's size that the caller owns.</returns>
    public static Image<Rgb24> ResizeWindow(Image<Rgb24> source, Size resized, Rectangle window, ResizeFilter filter)
    {
        Axis columns = Axis.Compute(source.Width, resized.Width, window.X, window.Width, filter);
        Axis rows = Axis.Compute(source.Height, resized.Height, window.Y, window.Height, filter);
        int firstRow = rows.Start[0];
        int rowCount = rows.Start[^1] + rows.Count[^1] - firstRow;
        int stride = 3 * window.Width;

        // Horizontal pass over the source rows that the vertical pass reads.
        var horizontal = new byte[rowCount * stride];
        source.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < rowCount; y++)
            {
                ReadOnlySpan<byte> row = MemoryMarshal.AsBytes(accessor.GetRowSpan(firstRow + y));
                Horizontal(row, columns, horizontal.AsSpan(y * stride, stride));
            }
        });

        // Vertical pass: each output row combines rows of the horizontal result, column by column.
        var output = new byte[window.Height * stride];
        for (int y = 0; y < window.Height; y++)
        {
            ReadOnlySpan<int> k = rows.Weights(y);
            int start = rows.Start[y] - firstRow;
            Span<byte> target = output.AsSpan(y * stride, stride);
            for (int x = 0; x < stride; x++)
            {
                int sum = 1 << (PrecisionBits - 1);
                for (int t = 0; t < k.Length; t++)
                {
                    sum += horizontal[((start + t) * stride) + x] * k[t];
                }

                target[x] = Clip8(sum);
            }
        }

        return Image.LoadPixelData<Rgb24>(output, window.Width, window.Height);
    }

    // The horizontal pass of one RGB row: output pixel j sums the taps of axis entry j, per channel.
    private static void Horizontal(ReadOnlySpan<byte> source, Axis axis, Span<byte> target)
    {
        for (int j = 0; j < axis.Start.Length; j++)
        {
            ReadOnlySpan<int> k = axis.Weights(j);
            int first = 3 * axis.Start[j];
            for (int c = 0; c < 3; c++)
            {
                int sum = 1 << (PrecisionBits - 1);
                for (int t = 0; t < k.Length; t++)
                {
                    sum += source[first + (3 * t) + c] * k[t];
                }

                target[(3 * j) + c] = Clip8(sum);
            }
        }
    }

    private static byte Clip8(int sum) => (byte)Math.Clamp(sum >> PrecisionBits, 0, 255);

    private static double Bilinear(double x)
    {
        x = Math.Abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    // Keys' cubic with a = -0.5, written as Pillow writes it (the same operations, so the same doubles).
    private static double Bicubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0)
        {
            return ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1;
        }

        if (x < 2.0)
        {
            return ((((x - 5) * x) + 8) * x - 4) * a;
        }

        return 0.0;
    }

    /// <summary>The taps of a window of output pixels along one axis: first source pixel, count and fixed-point weights.</summary>
    private sealed class Axis
    {
        private readonly int[] _weights;
        private readonly int _kernelSize;

        private Axis(int[] start, int[] count, int[] weights, int kernelSize)
        {
            Start = start;
            Count = count;
            _weights = weights;
            _kernelSize = kernelSize;
        }

        public int[] Start { get; }

        public int[] Count { get; }

        public ReadOnlySpan<int> Weights(int index) => _weights.AsSpan(index * _kernelSize, Count[index]);

        public static Axis Compute(int inSize, int outSize, int first, int length, ResizeFilter filter)
        {
            var start = new int[length];
            var count = new int[length];
            if (inSize == outSize)
            {
                // Pillow skips the pass; one tap of weight 1 copies the pixel exactly.
                var copy = new int[length];
                for (int i = 0; i < length; i++)
                {
                    start[i] = first + i;
                    count[i] = 1;
                    copy[i] = 1 << PrecisionBits;
                }

                return new Axis(start, count, copy, 1);
            }

            Func<double, double> kernel = filter == ResizeFilter.Bicubic ? Bicubic : Bilinear;
            double baseSupport = filter == ResizeFilter.Bicubic ? 2.0 : 1.0;
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = baseSupport * filterScale;
            int kernelSize = ((int)Math.Ceiling(support) * 2) + 1;
            var weights = new int[length * kernelSize];
            Span<double> taps = kernelSize <= 256 ? stackalloc double[kernelSize] : new double[kernelSize];
            for (int i = 0; i < length; i++)
            {
                double center = (first + i + 0.5) * scale;
                int min = Math.Max((int)(center - support + 0.5), 0);
                int max = Math.Min((int)(center + support + 0.5), inSize) - min;
                double total = 0.0;
                for (int x = 0; x < max; x++)
                {
                    double w = kernel((x + min - center + 0.5) * (1.0 / filterScale));
                    taps[x] = w;
                    total += w;
                }

                for (int x = 0; x < max; x++)
                {
                    double w = total != 0.0 ? taps[x] / total : taps[x];
                    double fixedPoint = w * (1 << PrecisionBits);
                    weights[(i * kernelSize) + x] = (int)(w < 0 ? fixedPoint - 0.5 : fixedPoint + 0.5);
                }

                start[i] = min;
                count[i] = max;
            }

            return new Axis(start, count, weights, kernelSize);
        }
    }
}
