using System.Buffers.Binary;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Imaging;

/// <summary>Builds WebP files by hand, for what ImageSharp 2.1 cannot write (animations).</summary>
internal static class WebpFiles
{
    /// <summary>A lossless still WebP, as ImageSharp writes it.</summary>
    public static byte[] Lossless(Image<Rgb24> image)
    {
        using var stream = new MemoryStream();
        image.Save(stream, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
        return stream.ToArray();
    }

    /// <summary>An animated WebP (VP8X with the animation flag, ANIM, then one ANMF per frame) of lossless frames.</summary>
    public static byte[] Animated(params Image<Rgb24>[] frames)
    {
        int width = frames[0].Width;
        int height = frames[0].Height;
        using var body = new MemoryStream();
        body.Write("WEBP"u8);
        byte[] vp8x = new byte[10];
        vp8x[0] = 0x02; // animation
        Write24(vp8x.AsSpan(4), width - 1);
        Write24(vp8x.AsSpan(7), height - 1);
        WriteChunk(body, "VP8X", vp8x);
        WriteChunk(body, "ANIM", [255, 255, 255, 255, 0, 0]);
        foreach (Image<Rgb24> frame in frames)
        {
            byte[] still = Lossless(frame);
            byte[] vp8l = still[12..]; // the still file's VP8L chunk, header and padding included
            byte[] anmf = new byte[16 + vp8l.Length];
            Write24(anmf.AsSpan(6), frame.Width - 1);
            Write24(anmf.AsSpan(9), frame.Height - 1);
            Write24(anmf.AsSpan(12), 100); // duration, ms
            vp8l.CopyTo(anmf, 16);
            WriteChunk(body, "ANMF", anmf);
        }

        byte[] content = body.ToArray();
        byte[] file = new byte[8 + content.Length];
        Encoding.ASCII.GetBytes("RIFF", file);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), (uint)content.Length);
        content.CopyTo(file, 8);
        return file;
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        stream.Write(Encoding.ASCII.GetBytes(type));
        byte[] size = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)data.Length);
        stream.Write(size);
        stream.Write(data);
        if (data.Length % 2 == 1)
        {
            stream.WriteByte(0);
        }
    }

    private static void Write24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }
}
