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
    /// 224 x 224 image adds about 0.4 to the norm; when the rounded image is over budget the perturbation
    /// is shrunk and rounded again (three tries), and at last rounded toward the clean value, which can only
    /// shrink each entry and so always fits.
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

        double epsSquared = epsilon * epsilon;
        double scale = 1.0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            double sum = 0;
            for (int i = 0; i < clean.Length; i++)
            {
                float x = clean[i];
                float v = x + (float)((candidate[i] - x) * scale);
                double d = FromLevel(ToLevel(v)) - (double)x;
                sum += d * d;
            }

            if (sum <= epsSquared)
            {
                for (int i = 0; i < clean.Length; i++)
                {
                    float x = clean[i];
                    candidate[i] = Snap(x + (float)((candidate[i] - x) * scale));
                }

                return;
            }

            scale *= epsilon / Math.Sqrt(sum) * 0.999;
        }

        for (int i = 0; i < clean.Length; i++)
        {
            float x = clean[i];
            int k = ToLevel(x);
            double steps = (candidate[i] - (double)x) * scale * 255.0;
            candidate[i] = FromLevel(Math.Clamp(k + (int)Math.Truncate(steps), 0, 255));
        }
    }
}
