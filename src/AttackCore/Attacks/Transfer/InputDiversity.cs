using AttackCore.Imaging;

namespace AttackCore.Attacks.Transfer;

/// <summary>
/// The input-diversity transform (Xie, Zhang, Zhou, Bai, Wang, Ren, Yuille, "Improving Transferability of Adversarial
/// Examples with Input Diversity", CVPR 2019): with probability p the image is resized to a random size in
/// [H, scale H), padded with zeros to scale H at a random offset, and (as the surrogates take the target's grid)
/// resized back to H. The whole transform is linear and separable, so it is one <see cref="AxisMap"/> per axis, and
/// its gradient is those maps transposed.
/// </summary>
internal static class InputDiversity
{
    /// <summary>Draws one transform from the image's stream, or none (the image as it is) with probability 1 - p.</summary>
    /// <param name="random">The image's stream; always advanced by one draw, by three more when a transform is drawn.</param>
    /// <param name="height">The image height H.</param>
    /// <param name="width">The image width W.</param>
    /// <param name="probability">p.</param>
    /// <param name="scale">The padded size over the input size (above 1).</param>
    /// <returns>The row and column maps, or <see langword="null"/> for the identity.</returns>
    public static (AxisMap Rows, AxisMap Columns)? Draw(SeededRandom random, int height, int width, double probability, double scale)
    {
        if (!(random.NextDouble() < probability))
        {
            return null;
        }

        // At least one pixel of padding, so that even a small image is transformed.
        int paddedHeight = Math.Max(height + 1, (int)Math.Floor(height * scale));
        int paddedWidth = Math.Max(width + 1, (int)Math.Floor(width * scale));
        int resizedHeight = height + random.NextInt(paddedHeight - height);
        int resizedWidth = Math.Clamp((int)Math.Round((double)resizedHeight * width / height), width, paddedWidth - 1);
        int top = random.NextInt(paddedHeight - resizedHeight + 1);
        int left = random.NextInt(paddedWidth - resizedWidth + 1);
        return (Axis(height, resizedHeight, paddedHeight, top), Axis(width, resizedWidth, paddedWidth, left));
    }

    private static AxisMap Axis(int size, int resized, int padded, int before) =>
        AxisMap.Bilinear(size, resized).Then(AxisMap.Pad(resized, padded, before)).Then(AxisMap.Bilinear(padded, size));
}
