using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace AttackCore.Attacks;

/// <summary>
/// A small, fast random number generator (xoshiro256**) whose whole state is four integers,
/// so an attack can save it between slices and resume with exactly the same draws.
/// </summary>
/// <remarks>
/// <see cref="System.Random"/> cannot be serialized, which is why attacks use this instead.
/// Seeding goes through SplitMix64 as the xoshiro authors recommend (Blackman and Vigna, 2018).
/// </remarks>
public sealed class SeededRandom : IUniformSource
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Initializes a new instance of the <see cref="SeededRandom"/> class from a seed.</summary>
    /// <param name="seed">Any value; equal seeds give equal streams.</param>
    public SeededRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    private SeededRandom(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>Restores a stream saved with <see cref="GetState"/>.</summary>
    /// <param name="state">Four values from <see cref="GetState"/>.</param>
    /// <returns>A stream that continues exactly where the saved one stopped.</returns>
    public static SeededRandom FromState(IReadOnlyList<ulong> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Count != 4 || (state[0] | state[1] | state[2] | state[3]) == 0)
        {
            throw new ArgumentException("A random stream state is four values, not all zero.", nameof(state));
        }

        return new SeededRandom(state[0], state[1], state[2], state[3]);
    }

    /// <summary>Derives an independent stream seed from a base seed and a label (for example an attack stage).</summary>
    /// <param name="seed">The user's seed.</param>
    /// <param name="stream">A number that names the stream.</param>
    /// <returns>A seed for <see cref="SeededRandom(ulong)"/>.</returns>
    public static ulong DeriveSeed(ulong seed, ulong stream)
    {
        ulong x = seed ^ (stream * 0x9E3779B97F4A7C15UL);
        return SplitMix64(ref x);
    }

    /// <summary>
    /// The stream of one image of a run: the run's seed mixed with a hash of the clean image, so images in one batch
    /// draw independently, while an image's run does not depend on which images share its batch. Every attack seeds
    /// its images this way.
    /// </summary>
    /// <param name="seed">The run's seed.</param>
    /// <param name="clean">The clean image.</param>
    /// <returns>The image's stream.</returns>
    public static SeededRandom ForImage(ulong seed, ReadOnlySpan<float> clean) => new(ImageSeed(seed, clean));

    /// <summary>The seed of <see cref="ForImage"/>.</summary>
    internal static ulong ImageSeed(ulong seed, ReadOnlySpan<float> clean)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(MemoryMarshal.AsBytes(clean), hash);
        return DeriveSeed(seed, BinaryPrimitives.ReadUInt64LittleEndian(hash));
    }

    /// <summary>Returns the four state words.</summary>
    /// <returns>A copy of the state.</returns>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    /// <summary>Returns the next 64 random bits.</summary>
    /// <returns>A uniformly distributed value.</returns>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Returns a uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    /// <param name="maxExclusive">The exclusive upper bound; must be positive.</param>
    /// <returns>An unbiased draw (Lemire's multiply-and-reject method).</returns>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        ulong range = (ulong)maxExclusive;
        ulong threshold = (0UL - range) % range;
        while (true)
        {
            ulong high = Math.BigMul(NextUInt64(), range, out ulong low);
            if (low >= threshold)
            {
                return (int)high;
            }
        }
    }

    /// <summary>Returns a uniform double in [0, 1) with 53 random bits.</summary>
    /// <returns>The draw.</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Returns -1 or +1 with equal probability.</summary>
    /// <returns>The sign.</returns>
    public int NextSign() => (NextUInt64() >> 63) == 0 ? -1 : 1;

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
