using System.Buffers;
using AttackCore.Imaging;

namespace AttackCore.Attacks;

/// <summary>
/// The 8-bit grid that PNG files hold: value v in [0,1] is stored as level round(255 v) and read back
/// as exactly <c>level / 255f</c>. Every tensor the attacks produce on the grid uses these two functions,
/// so an image written as PNG and read again gives back bit-identical floats.
/// </summary>
public static class PixelGrid
{
    /// <summary>Returns the 8-bit level nearest to <paramref name="value"/>, clamped to [0, 255] (the PNG writer's own rounding).</summary>
    /// <param name="value">A value in [0,1] units.</param>
    /// <returns>The level.</returns>
    public static int ToLevel(float value) => TensorImage.ToByte(value);

    /// <summary>Returns the float that an 8-bit level decodes to.</summary>
    /// <param name="level">A level in [0, 255].</param>
    /// <returns><c>level / 255f</c>.</returns>
    public static float FromLevel(int level) => level / 255f;

    /// <summary>Snaps <paramref name="value"/> to the nearest grid value.</summary>
    /// <param name="value">A value in [0,1] units.</param>
    /// <returns>The grid value.</returns>
    public static float Snap(float value) => FromLevel(ToLevel(value));

    /// <summary>Snaps every value in place.</summary>
    /// <param name="values">Values in [0,1] units.</param>
    public static void Snap(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Snap(values[i]);
        }
    }

    /// <summary>Gets the largest whole number of 8-bit steps that fits in an L-inf budget.</summary>
    /// <param name="epsilon">The budget in [0,1] units.</param>
    /// <returns>floor(255 eps), with a tolerance for eps given as k/255 in decimal.</returns>
    public static int StepsWithin(double epsilon) => (int)Math.Floor((epsilon * 255) + 1e-6);

    /// <summary>
    /// Projects <paramref name="candidate"/> onto the 8-bit grid without letting the perturbation from
    /// <paramref name="clean"/> (itself on the grid) exceed <paramref name="epsilon"/> in the given norm.
    /// </summary>
    /// <param name="clean">The clean image, on the grid.</param>
    /// <param name="candidate">The perturbed image in [0,1]; replaced by its projection.</param>
    /// <param name="norm">The norm of the budget.</param>
    /// <param name="epsilon">The budget.</param>
    /// <remarks>
    /// L-inf: each value moves to the nearest level within floor(255 eps) levels of the clean one.
    /// L2: rounding to the nearest level adds noise of about 0.29 levels per value, which on a
    /// 224 x 224 image adds about 0.4 to the norm; see <see cref="ProjectL2"/> for how the budget is kept.
    /// </remarks>
    public static void Project(ReadOnlySpan<float> clean, Span<float> candidate, NormKind norm, double epsilon)
    {
        if (clean.Length != candidate.Length)
        {
            throw new ArgumentException("Clean and candidate images differ in length.", nameof(candidate));
        }

        if (norm == NormKind.LInf)
        {
            int m = StepsWithin(epsilon);
            for (int i = 0; i < clean.Length; i++)
            {
                int k = ToLevel(clean[i]);
                int q = Math.Clamp(ToLevel(candidate[i]), Math.Max(0, k - m), Math.Min(255, k + m));
                candidate[i] = FromLevel(q);
            }

            return;
        }

        double[] direction = ArrayPool<double>.Shared.Rent(clean.Length);
        try
        {
            for (int i = 0; i < clean.Length; i++)
            {
                direction[i] = candidate[i] - (double)clean[i];
            }

            ProjectL2(clean, direction.AsSpan(0, clean.Length), 1.0, candidate, epsilon);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(direction);
        }
    }

    /// <summary>
    /// Writes the 8-bit projection of clip(clean + scale x direction) into <paramref name="candidate"/>, with
    /// an L2 distance from <paramref name="clean"/> of at most <paramref name="epsilon"/>: each try rounds to
    /// the nearest level in the same pass that measures the norm (usually one pass suffices); when over budget
    /// the scale shrinks and it tries again (three tries), and at last it rounds toward the clean value.
    /// </summary>
    /// <param name="clean">The clean image, on the grid.</param>
    /// <param name="direction">The perturbation direction.</param>
    /// <param name="scale">The factor for <paramref name="direction"/>; clip(clean + scale x direction) should have norm at most eps.</param>
    /// <param name="candidate">Receives the projected image.</param>
    /// <param name="epsilon">The L2 budget.</param>
    public static void ProjectL2(ReadOnlySpan<float> clean, ReadOnlySpan<double> direction, double scale, Span<float> candidate, double epsilon)
    {
        if (clean.Length != candidate.Length || clean.Length != direction.Length)
        {
            throw new ArgumentException("Clean image, direction and candidate differ in length.", nameof(candidate));
        }

        double epsSquared = epsilon * epsilon;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            double sum = 0;
            for (int i = 0; i < clean.Length; i++)
            {
                float x = clean[i];
                float level = FromLevel(ToLevel(x + (float)(direction[i] * scale)));
                candidate[i] = level;
                double d = level - (double)x;
                sum += d * d;
            }

            if (sum <= epsSquared)
            {
                return;
            }

            scale *= epsilon / Math.Sqrt(sum) * 0.999;
        }

        for (int i = 0; i < clean.Length; i++)
        {
            float x = clean[i];
            int k = ToLevel(x);
            double steps = (Math.Clamp(x + (float)(direction[i] * scale), 0f, 1f) - (double)x) * 255.0;
            candidate[i] = FromLevel(Math.Clamp(k + (int)Math.Truncate(steps), 0, 255));
        }
    }
}
