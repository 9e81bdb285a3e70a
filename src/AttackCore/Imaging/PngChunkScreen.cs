using System.Buffers.Binary;
using System.Globalization;

namespace AttackCore.Imaging;

/// <summary>
/// Walks a PNG's chunk list before any decoder sees it, reading only the 8-byte chunk headers: a compressed
/// metadata chunk larger than <see cref="DecodeLimits.MaxCompressedMetadataBytes"/> is refused, and every text chunk
/// (<c>tEXt</c>, <c>zTXt</c>, <c>iTXt</c>) is removed, so that no text is ever inflated.
/// </summary>
/// <remarks>
/// <para>Why: ImageSharp 2.1 inflates <c>zTXt</c> and <c>iTXt</c> text in full into its metadata, even when only the
/// header is identified, with no bound of its own. Deflate expands up to about 1032 to 1, so a 1 MB file can hold
/// 1 GiB of text (a decompression bomb). Nothing here uses text metadata (EXIF orientation comes from the
/// <c>eXIf</c> chunk, which is kept), so dropping the chunks changes no pixel.</para>
/// <para>Chunk CRCs are not checked and a chunk that runs past the end of the data stops the walk: both are left to
/// the decoder, which reports a damaged file in its own words.</para>
/// </remarks>
internal static class PngChunkScreen
{
    private const int SignatureLength = 8;
    private const int ChunkOverhead = 12; // length (4), type (4), CRC (4)
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Returns the bytes to decode: <paramref name="data"/> itself when it is no PNG or has no text chunks, else a copy without them.</summary>
    /// <param name="data">The encoded file.</param>
    /// <param name="limits">Gives <see cref="DecodeLimits.MaxCompressedMetadataBytes"/>.</param>
    /// <exception cref="InvalidImageException">A compressed metadata chunk is over the limit (reason <see cref="ImageRejectionReason.UnsafeMetadata"/>).</exception>
    public static byte[] Screen(byte[] data, DecodeLimits limits)
    {
        if (!data.AsSpan().StartsWith(Signature))
        {
            return data;
        }

        List<(int Start, int Length)>? dropped = null;
        long offset = SignatureLength;
        while (offset + 8 <= data.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan((int)offset, 4));
            ReadOnlySpan<byte> type = data.AsSpan((int)offset + 4, 4);
            long end = offset + ChunkOverhead + length;

            // Checked before the chunk's end is known to be inside the file: a bomb whose length runs past the end
            // would still be inflated as far as the data goes.
            int available = (int)Math.Min(length, data.Length - (offset + 8));
            if (length > limits.MaxCompressedMetadataBytes && IsCompressedMetadata(type, data.AsSpan((int)offset + 8, available)))
            {
                throw new InvalidImageException(
                    ImageRejectionReason.UnsafeMetadata,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"The PNG file holds a compressed {TypeName(type)} metadata chunk of {length:N0} bytes, above the limit of {limits.MaxCompressedMetadataBytes:N0} bytes; compressed metadata this large can expand a thousandfold when read. Save the image again without its metadata (text, comments, colour profile) and upload it again."));
            }

            if (end > data.Length)
            {
                break;
            }

            if (IsText(type))
            {
                (dropped ??= []).Add(((int)offset, (int)(end - offset)));
            }

            if (type.SequenceEqual("IEND"u8))
            {
                break;
            }

            offset = end;
        }

        return dropped is null ? data : Without(data, dropped);
    }

    private static bool IsText(ReadOnlySpan<byte> type) =>
        type.SequenceEqual("tEXt"u8) || type.SequenceEqual("zTXt"u8) || type.SequenceEqual("iTXt"u8);

    // zTXt and iCCP are always compressed; iTXt only when its compression flag (the byte after the keyword's NUL) is set.
    private static bool IsCompressedMetadata(ReadOnlySpan<byte> type, ReadOnlySpan<byte> body)
    {
        if (type.SequenceEqual("zTXt"u8) || type.SequenceEqual("iCCP"u8))
        {
            return true;
        }

        if (!type.SequenceEqual("iTXt"u8))
        {
            return false;
        }

        int nul = body.IndexOf((byte)0);
        return nul < 0 || nul + 1 >= body.Length || body[nul + 1] != 0;
    }

    private static string TypeName(ReadOnlySpan<byte> type) => System.Text.Encoding.ASCII.GetString(type);

    private static byte[] Without(byte[] data, List<(int Start, int Length)> dropped)
    {
        int removed = dropped.Sum(d => d.Length);
        byte[] result = new byte[data.Length - removed];
        int from = 0;
        int to = 0;
        foreach ((int start, int length) in dropped)
        {
            data.AsSpan(from, start - from).CopyTo(result.AsSpan(to));
            to += start - from;
            from = start + length;
        }

        data.AsSpan(from).CopyTo(result.AsSpan(to));
        return result;
    }
}
