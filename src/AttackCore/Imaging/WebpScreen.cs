namespace AttackCore.Imaging;

/// <summary>Refuses animated WebP files from their header, before any decoder sees them.</summary>
/// <remarks>
/// ImageSharp 2.1 fails on an animation's frames with a decoder error, which would tell the person that a valid
/// file is damaged. An animated WebP announces itself in its first chunk: <c>VP8X</c> with the animation flag.
/// </remarks>
internal static class WebpScreen
{
    private const byte AnimationFlag = 0x02;

    /// <summary>Throws when <paramref name="data"/> is an animated WebP; anything else passes unchanged.</summary>
    /// <param name="data">The encoded file.</param>
    /// <exception cref="InvalidImageException">The file is an animated WebP (reason <see cref="ImageRejectionReason.Unsupported"/>).</exception>
    public static void Screen(ReadOnlySpan<byte> data)
    {
        // RIFF, size (4), WEBP, then the first chunk's type (4), size (4) and, for VP8X, its flags byte.
        if (data.Length >= 21 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8)
            && data[12..16].SequenceEqual("VP8X"u8) && (data[20] & AnimationFlag) != 0)
        {
            throw new InvalidImageException(
                ImageRejectionReason.Unsupported,
                "The file is an animated WebP, which is not supported: save the frame you want as a PNG, JPEG or still WebP and use that.");
        }
    }
}
