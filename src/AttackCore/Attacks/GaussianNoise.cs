namespace AttackCore.Attacks;

/// <summary>A stream of uniform doubles in [0, 1), so one Gaussian sampler serves every random source an attack keeps.</summary>
internal interface IUniformSource
{
    /// <summary>Returns a uniform double in [0, 1).</summary>
    /// <returns>The draw.</returns>
    double NextDouble();
}

/// <summary>
/// The one source of standard normal draws: the Box-Muller transform, two values per pair of uniforms (the second of
/// the last pair is dropped when the length is odd). Generic over the source, so a struct source (a probe's own
/// stream) is not boxed and a <see cref="SeededRandom"/> is saved and resumed with its state.
/// </summary>
internal static class GaussianNoise
{
    /// <summary>Fills <paramref name="values"/> with independent N(0, 1) draws.</summary>
    /// <typeparam name="TSource">The uniform source.</typeparam>
    /// <param name="source">The stream to draw from; advanced.</param>
    /// <param name="values">Receives the draws.</param>
    public static void Fill<TSource>(ref TSource source, Span<double> values)
        where TSource : IUniformSource
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            (double a, double b) = Pair(ref source);
            values[i] = a;
            if (i + 1 < values.Length)
            {
                values[i + 1] = b;
            }
        }
    }

    /// <summary>Fills <paramref name="values"/> with independent N(0, 1) draws rounded to float, and returns their sum of squares.</summary>
    /// <typeparam name="TSource">The uniform source.</typeparam>
    /// <param name="source">The stream to draw from; advanced.</param>
    /// <param name="values">Receives the draws.</param>
    /// <returns>The sum of the squares of the values written.</returns>
    public static double Fill<TSource>(ref TSource source, Span<float> values)
        where TSource : IUniformSource
    {
        double sum = 0;
        for (int i = 0; i < values.Length; i += 2)
        {
            (double a, double b) = Pair(ref source);
            float x = (float)a;
            values[i] = x;
            sum += (double)x * x;
            if (i + 1 < values.Length)
            {
                float y = (float)b;
                values[i + 1] = y;
                sum += (double)y * y;
            }
        }

        return sum;
    }

    /// <summary>Fills <paramref name="values"/> with N(0, 1) draws from a <see cref="SeededRandom"/>.</summary>
    /// <param name="random">The stream to draw from; advanced.</param>
    /// <param name="values">Receives the draws.</param>
    public static void Fill(SeededRandom random, Span<double> values) => Fill(ref random, values);

    private static (double A, double B) Pair<TSource>(ref TSource source)
        where TSource : IUniformSource
    {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - source.NextDouble()));
        (double sin, double cos) = Math.SinCos(2.0 * Math.PI * source.NextDouble());
        return (radius * cos, radius * sin);
    }
}
