using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Imaging;

/// <summary>Builds test images in code, so no binary fixtures are needed.</summary>
internal static class TestImages
{
    public static Image<Rgb24> Random(int width, int height, int seed)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < accessor.Height; y++)
            {
                Span<Rgb24> row = accessor.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
                }
            }
        });
        return image;
    }

    public static Image<Rgb24> FromRows(params Rgb24[][] rows)
    {
        var image = new Image<Rgb24>(rows[0].Length, rows.Length);
        for (int y = 0; y < rows.Length; y++)
        {
            for (int x = 0; x < rows[y].Length; x++)
            {
                image[x, y] = rows[y][x];
            }
        }

        return image;
    }

    public static byte[] Png<TPixel>(Image<TPixel> image)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    public static byte[] RandomPng(int width, int height, int seed)
    {
        using Image<Rgb24> image = Random(width, height, seed);
        return Png(image);
    }

    public static Rgb24[,] Pixels(Image<Rgb24> image)
    {
        var pixels = new Rgb24[image.Height, image.Width];
        for (int y = 0; y < image.Height; y++)
        {
            for (int x = 0; x < image.Width; x++)
            {
                pixels[y, x] = image[x, y];
            }
        }

        return pixels;
    }

    /// <summary>Rewrites the IHDR width and height of a PNG and fixes the chunk's CRC, as a hostile file would.</summary>
    public static byte[] WithIhdrSize(byte[] png, uint width, uint height)
    {
        // Signature (8) + length (4) + "IHDR" (4), then width and height; the CRC covers type + 13 data bytes.
        byte[] patched = (byte[])png.Clone();
        WriteBigEndian(patched, 16, width);
        WriteBigEndian(patched, 20, height);
        WriteBigEndian(patched, 29, Crc32(patched.AsSpan(12, 17)));
        return patched;
    }

    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }

    private static void WriteBigEndian(byte[] buffer, int offset, uint value)
    {
        buffer[offset] = (byte)(value >> 24);
        buffer[offset + 1] = (byte)(value >> 16);
        buffer[offset + 2] = (byte)(value >> 8);
        buffer[offset + 3] = (byte)value;
    }
}
