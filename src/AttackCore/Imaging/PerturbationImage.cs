using System.Buffers;

namespace AttackCore.Imaging;

/// <summary>Draws the difference between a clean and an adversarial image so that a person can see it.</summary>
public static class PerturbationImage
{
    /// <summary>
    /// Renders 0.5 + delta x (0.5 / max |delta|) per channel: mid-gray means unchanged, and the largest change
    /// anywhere reaches black or full intensity.
    /// </summary>
    /// <remarks>
    /// A perturbation bounded by, say, 8/255 is invisible at its own scale; stretching the largest change to the
    /// full half-range makes its pattern (Square Attack's squares, for one) visible while the sign of each change
    /// stays readable (brighter = increased, darker = decreased). The factor differs between images, so it is
    /// returned to be printed beside the picture.
    /// </remarks>
    /// <param name="cleanChw">The clean image, CHW in [0, 1], RGB or one gray plane (drawn as a gray picture).</param>
    /// <param name="advChw">The adversarial image, same layout and length.</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <returns>The picture and its amplification factor; the caller disposes it.</returns>
    /// <exception cref="ArgumentException">A span holds neither 3 x height x width (RGB) nor height x width (gray) values, or the two differ.</exception>
    public static PerturbationRendering Render(ReadOnlySpan<float> cleanChw, ReadOnlySpan<float> advChw, int height, int width)
    {
        PerturbationMetrics.CheckPair(cleanChw, advChw, height, width);
        int count = cleanChw.Length;

        float maxAbs = 0f;
        for (int i = 0; i < count; i++)
        {
            maxAbs = MathF.Max(maxAbs, MathF.Abs(advChw[i] - cleanChw[i]));
        }

        double amplification = maxAbs > 0f ? 0.5 / maxAbs : 1.0;
        float[] buffer = ArrayPool<float>.Shared.Rent(count);
        try
        {
            Span<float> shown = buffer.AsSpan(0, count);
            for (int i = 0; i < count; i++)
            {
                shown[i] = (float)(0.5 + ((advChw[i] - cleanChw[i]) * amplification));
            }

            return new PerturbationRendering(TensorImage.ToImage(shown, height, width), amplification);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
