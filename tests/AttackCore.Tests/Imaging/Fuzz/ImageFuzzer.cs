using System.Buffers.Binary;
using System.Diagnostics;
using AttackCore.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Imaging.Fuzz;

/// <summary>What one fuzz case did to the decoder.</summary>
internal enum FuzzVerdict
{
    /// <summary>Decoded, or refused with <see cref="InvalidImageException"/> and a message in the user's words.</summary>
    Fine,

    /// <summary>An exception other than <see cref="InvalidImageException"/> escaped: a crash for the caller.</summary>
    Crash,

    /// <summary>The decoder took longer than the time bound.</summary>
    Hang,

    /// <summary>Refused, but the message carries a .NET runtime message (an exception from inside a decoder).</summary>
    RawMessage,
}

/// <summary>One mutated file and what happened to it.</summary>
internal sealed record FuzzCase(int Index, string Seed, string Mutation, byte[] Data, FuzzVerdict Verdict, string Detail);

/// <summary>
/// A mutation fuzzer for <see cref="ImageDecoder"/>: seed files it makes itself in every supported format, mutated by
/// bit flips, truncations, chunk splices, header fields and huge lengths, each decoded under a time bound.
/// </summary>
/// <remarks>
/// The same seed number gives the same files, so a finding can be reproduced from the seed and case index, and is
/// then committed as a regression file (see <c>FuzzRegressions/</c>).
/// </remarks>
internal sealed class ImageFuzzer
{
    private static readonly uint[] HugeLengths = [0x7FFFFFFF, 0xFFFFFFFF, 0x80000000, 0xFFFFFFF0, 0x40000000, 0x00FFFFFF];
    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF];
    private readonly Random _random;
    private readonly List<(string Name, byte[] Data)> _seeds;

    public ImageFuzzer(int seed)
    {
        _random = new Random(seed);
        _seeds = MakeSeeds();
    }

    public IReadOnlyList<(string Name, byte[] Data)> Seeds => _seeds;

    /// <summary>Makes and decodes <paramref name="count"/> mutated files, calling <paramref name="onCase"/> for each.</summary>
    public void Run(int count, TimeSpan timeBound, Action<FuzzCase> onCase)
    {
        for (int i = 0; i < count; i++)
        {
            (string seedName, byte[] seed) = _seeds[_random.Next(_seeds.Count)];
            (string mutation, byte[] data) = Mutate(seed);
            (FuzzVerdict verdict, string detail) = Check(data, timeBound);
            onCase(new FuzzCase(i, seedName, mutation, data, verdict, detail));
        }
    }

    /// <summary>Decodes one file under a time bound and judges the outcome.</summary>
    public static (FuzzVerdict Verdict, string Detail) Check(byte[] data, TimeSpan timeBound)
    {
        var clock = Stopwatch.StartNew();
        Task<Exception?> decode = Task.Run(() =>
        {
            try
            {
                ImageDecoder.Decode(data).Dispose();
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        });
        if (!decode.Wait(timeBound))
        {
            return (FuzzVerdict.Hang, $"still decoding after {timeBound.TotalSeconds:0.#} s");
        }

        return decode.Result switch
        {
            null => (FuzzVerdict.Fine, $"decoded in {clock.ElapsedMilliseconds} ms"),
            InvalidImageException e when CarriesRuntimeMessage(e) => (FuzzVerdict.RawMessage, e.Message),
            InvalidImageException e => (FuzzVerdict.Fine, e.Reason + ": " + e.Message),
            Exception e => (FuzzVerdict.Crash, e.GetType().FullName + ": " + e.Message),
        };
    }

    /// <summary>
    /// True when the message repeats the message of an inner exception that is not ImageSharp's own account of the
    /// file (a <c>NullReferenceException</c>, <c>IndexOutOfRangeException</c> and the like from inside a decoder).
    /// </summary>
    public static bool CarriesRuntimeMessage(InvalidImageException e)
    {
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            bool imageSharps = inner.GetType().Namespace?.StartsWith("SixLabors", StringComparison.Ordinal) == true;
            if (!imageSharps && inner.Message.Length > 0 && e.Message.Contains(inner.Message.Trim(), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private (string Mutation, byte[] Data) Mutate(byte[] seed)
    {
        switch (_random.Next(6))
        {
            case 0:
                return ("bit flips", BitFlips(seed));
            case 1:
                return ("truncation", seed[.._random.Next(1, seed.Length)]);
            case 2:
                return ("chunk splice", Splice(seed));
            case 3:
                return ("header field", HeaderField(seed));
            case 4:
                return ("huge length", HugeLength(seed));
            default:
                // Two mutations on top of each other find what one alone does not.
                return ("bit flips + truncation", BitFlips(seed)[.._random.Next(1, seed.Length)]);
        }
    }

    private byte[] BitFlips(byte[] seed)
    {
        byte[] data = (byte[])seed.Clone();
        for (int k = 0, n = 1 + _random.Next(8); k < n; k++)
        {
            int at = _random.Next(data.Length);
            data[at] ^= (byte)(1 << _random.Next(8));
        }

        return data;
    }

    // A PNG gets a whole chunk of another PNG seed (or its own, duplicated) inserted at a chunk boundary; other formats
    // get a slice of another seed of any format spliced in at a random point.
    private byte[] Splice(byte[] seed)
    {
        (string _, byte[] other) = _seeds[_random.Next(_seeds.Count)];
        List<(int Start, int Length)> chunks = PngChunkSpans(seed);
        List<(int Start, int Length)> donorChunks = PngChunkSpans(other);
        if (chunks.Count > 0 && donorChunks.Count > 0)
        {
            (int at, int _) = chunks[_random.Next(chunks.Count)];
            (int start, int length) = donorChunks[_random.Next(donorChunks.Count)];
            return [.. seed.AsSpan(0, at), .. other.AsSpan(start, length), .. seed.AsSpan(at)];
        }

        int cut = _random.Next(seed.Length);
        int from = _random.Next(other.Length);
        int take = _random.Next(1, Math.Min(256, other.Length - from) + 1);
        return [.. seed.AsSpan(0, cut), .. other.AsSpan(from, take), .. seed.AsSpan(Math.Min(seed.Length, cut + take))];
    }

    // The first 64 bytes hold the fields decoders trust most: sizes, bit depths, counts, offsets.
    private byte[] HeaderField(byte[] seed)
    {
        byte[] data = (byte[])seed.Clone();
        int at = _random.Next(Math.Min(64, data.Length));
        int width = Math.Min(1 + _random.Next(4), data.Length - at);
        for (int k = 0; k < width; k++)
        {
            data[at + k] = InterestingBytes[_random.Next(InterestingBytes.Length)];
        }

        return data;
    }

    // A length field claiming gigabytes: a PNG chunk length, else a 32-bit field somewhere in the header.
    private byte[] HugeLength(byte[] seed)
    {
        byte[] data = (byte[])seed.Clone();
        uint huge = HugeLengths[_random.Next(HugeLengths.Length)];
        List<(int Start, int Length)> chunks = PngChunkSpans(data);
        if (chunks.Count > 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(chunks[_random.Next(chunks.Count)].Start), huge);
            return data;
        }

        int at = _random.Next(Math.Max(1, Math.Min(60, data.Length - 4)));
        if (_random.Next(2) == 0)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(at), huge);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(at), huge);
        }

        return data;
    }

    private static List<(int Start, int Length)> PngChunkSpans(byte[] data)
    {
        var spans = new List<(int, int)>();
        if (data.Length < 8 || data[0] != 0x89 || data[1] != (byte)'P')
        {
            return spans;
        }

        for (long offset = 8; offset + 12 <= data.Length;)
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan((int)offset));
            if (offset + 12 + length > data.Length)
            {
                break;
            }

            spans.Add(((int)offset, (int)(12 + length)));
            offset += 12 + length;
        }

        return spans;
    }

    private static List<(string Name, byte[] Data)> MakeSeeds()
    {
        using Image<Rgb24> rgb = TestImages.Random(24, 16, seed: 1);
        using Image<Rgba32> rgba = rgb.CloneAs<Rgba32>();
        rgba[3, 3] = new Rgba32(10, 20, 30, 0);
        using Image<Rgb24> second = TestImages.Random(24, 16, seed: 2);
        using Image<Rgb24> gif = rgb.Clone();
        gif.Frames.AddFrame(second.Frames.RootFrame);
        byte[] png = TestImages.Png(rgb);
        return
        [
            ("png-rgb", png),
            ("png-rgba", TestImages.Png(rgba)),
            ("png-palette", Encode(rgb, new PngEncoder { ColorType = PngColorType.Palette })),
            ("png-gray16", Encode(rgb, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit16 })),
            ("png-interlaced", Encode(rgb, new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 })),
            ("png-text", PngChunks.InsertAfterIhdr(png, PngChunks.Ztxt("Comment", PngChunks.Zlib("hello fuzz")), PngChunks.Chunk("tEXt", "Title\0seed"u8))),
            ("jpeg", Encode(rgb, new JpegEncoder { Quality = 90 })),
            ("jpeg-420", Encode(rgb, new JpegEncoder { Quality = 50, ColorType = JpegColorType.YCbCrRatio420 })),
            ("bmp", Encode(rgb, new BmpEncoder())),
            ("gif-2-frames", Encode(gif, new GifEncoder())),
            ("tiff", Encode(rgb, new TiffEncoder())),
            ("tiff-deflate", Encode(rgb, new TiffEncoder { Compression = SixLabors.ImageSharp.Formats.Tiff.Constants.TiffCompression.Deflate })),
            ("tga", Encode(rgb, new TgaEncoder())),
            ("tga-rle", Encode(rgb, new TgaEncoder { Compression = TgaCompression.RunLength })),
            ("webp-lossless", WebpFiles.Lossless(rgb)),
            ("webp-lossy", Encode(rgb, new WebpEncoder { FileFormat = WebpFileFormatType.Lossy })),
        ];
    }

    private static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}
