using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace AttackCore.Tests.Imaging;

/// <summary>Builds PNG chunks by hand, as a hostile file's author would: metadata bombs, spliced and oversized chunks.</summary>
internal static class PngChunks
{
    /// <summary>One chunk: big-endian length, type, body and the CRC over type and body.</summary>
    public static byte[] Chunk(string type, ReadOnlySpan<byte> body)
    {
        byte[] chunk = new byte[12 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)body.Length);
        Encoding.ASCII.GetBytes(type, chunk.AsSpan(4, 4));
        body.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + body.Length), TestImages.Crc32(chunk.AsSpan(4, 4 + body.Length)));
        return chunk;
    }

    /// <summary>Inserts chunks right after IHDR (signature 8 bytes + IHDR 25 bytes), where metadata usually sits.</summary>
    public static byte[] InsertAfterIhdr(byte[] png, params byte[][] chunks)
    {
        const int AfterIhdr = 8 + 25;
        using var result = new MemoryStream();
        result.Write(png, 0, AfterIhdr);
        foreach (byte[] chunk in chunks)
        {
            result.Write(chunk);
        }

        result.Write(png, AfterIhdr, png.Length - AfterIhdr);
        return result.ToArray();
    }

    /// <summary>A zTXt chunk: keyword, NUL, compression method 0, then the zlib stream.</summary>
    public static byte[] Ztxt(string keyword, byte[] zlib) => Chunk("zTXt", [.. Encoding.Latin1.GetBytes(keyword), 0, 0, .. zlib]);

    /// <summary>An iTXt chunk with the compression flag set: keyword, NUL, flag 1, method 0, empty language and translated keyword.</summary>
    public static byte[] CompressedItxt(string keyword, byte[] zlib) => Chunk("iTXt", [.. Encoding.Latin1.GetBytes(keyword), 0, 1, 0, 0, 0, .. zlib]);

    /// <summary>A zlib stream that inflates to <paramref name="zeroBytes"/> zero bytes (about 1/1000 of that compressed).</summary>
    public static byte[] ZlibOfZeros(long zeroBytes)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            byte[] zeros = new byte[1 << 20];
            for (long left = zeroBytes; left > 0; left -= zeros.Length)
            {
                zlib.Write(zeros, 0, (int)Math.Min(zeros.Length, left));
            }
        }

        return output.ToArray();
    }

    /// <summary>A zlib stream of text that inflates to exactly <paramref name="text"/>.</summary>
    public static byte[] Zlib(string text)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(Encoding.Latin1.GetBytes(text));
        }

        return output.ToArray();
    }
}
