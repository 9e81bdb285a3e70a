namespace AttackCore.Attacks.Bandits;

/// <summary>Standard normal draws from a <see cref="SeededRandom"/>, so they are saved and resumed with its state.</summary>
internal static class GaussianNoise
{
    /// <summary>
    /// Fills <paramref name="values"/> with independent N(0, 1) draws by the Box-Muller transform, two per pair of
    /// uniforms (the second of the last pair is dropped when the length is odd).
    /// </summary>
    /// <param name="random">The stream to draw from.</param>
    /// <param name="values">Receives the draws.</param>
    public static void Fill(SeededRandom random, Span<double> values)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            double angle = 2.0 * Math.PI * random.NextDouble();
            values[i] = radius * Math.Cos(angle);
            if (i + 1 < values.Length)
            {
                values[i + 1] = radius * Math.Sin(angle);
            }
        }
    }
}
