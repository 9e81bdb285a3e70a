namespace AttackCore.Attacks.HopSkipJump;

/// <summary>
/// The random stream of one probe or noise image: SplitMix64 seeded with one draw from the image's
/// <see cref="SeededRandom"/>. A struct, so the thousands of probes of an iteration allocate nothing, and each probe
/// owns its stream, so probes can be drawn in parallel and still give the same images in any thread order. Gaussian
/// probes come from <see cref="GaussianNoise"/>.
/// </summary>
internal struct ProbeNoise : IUniformSource
{
    private ulong _state;

    public ProbeNoise(ulong seed)
    {
        _state = seed;
    }

    /// <summary>Returns a uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Fills <paramref name="values"/> with uniform draws in [<paramref name="low"/>, <paramref name="high"/>) and returns their sum of squares.</summary>
    public double FillUniform(Span<float> values, double low, double high)
    {
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float v = (float)(low + ((high - low) * NextDouble()));
            values[i] = v;
            sum += (double)v * v;
        }

        return sum;
    }

    private ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
