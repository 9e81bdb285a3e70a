using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace AttackCore.Imaging;

/// <summary>
/// Turns untrusted bytes (an upload, a blob) into an upright, opaque RGB image, or throws
/// <see cref="InvalidImageException"/> with a message a person can act on.
/// </summary>
/// <remarks>
/// <para>The checks run cheapest first so that hostile input is refused before it costs anything: the byte
/// count, then the header dimensions read by <see cref="Image.Identify(Configuration, byte[], out IImageFormat)"/>
/// (no pixel memory is allocated, so a PNG claiming 30000x30000 is refused in milliseconds), and only then the
/// decode, which runs under an ImageSharp allocator whose <see cref="MemoryAllocatorOptions.AllocationLimitMegabytes"/>
/// caps any single buffer at 16 bytes per allowed pixel (a full frame of <c>Vector4</c>, the widest pixel
/// format a decoder or processor holds a whole frame in), in case a header understates what a decoder allocates.</para>
/// <para>Before the header is read, a PNG's chunk list is screened (<see cref="PngChunkScreen"/>): a compressed
/// metadata chunk over <see cref="DecodeLimits.MaxCompressedMetadataBytes"/> is refused and text chunks are dropped
/// unread, so a decompression bomb hidden in metadata costs milliseconds, not gigabytes.</para>
/// <para>EXIF orientation is applied, so the pixels are the way a viewer shows them. Transparent pixels are
/// composited onto white, as browsers and most viewers show them on a white page, rather than left with
/// whatever colour the encoder stored under zero alpha. Only the first frame of an animation or multi-page file is
/// used; see <see cref="DecodeLimits.MaxFrames"/>.</para>
/// <para>Every failure caused by the data is wrapped in <see cref="InvalidImageException"/>; I/O errors from a
/// caller's stream and argument errors are not.</para>
/// </remarks>
public static class ImageDecoder
{
    /// <summary>The formats ImageSharp 2.1 decodes, as named in messages to users.</summary>
    internal const string SupportedFormats = "PNG, JPEG, BMP, GIF, TIFF, TGA or WebP";

    private const int BytesPerPixelCap = 16;
    private const int StreamChunk = 81_920;

    // One configuration per distinct (allocation cap, frame count): each owns a pooling allocator, so making one
    // per call would throw its pool away every time. Callers use a handful of limits at most.
    private static readonly ConcurrentDictionary<(int AllocationLimitMegabytes, int MaxFrames), Configuration> Configurations = new();

    /// <summary>Decodes an encoded image.</summary>
    /// <param name="data">The encoded bytes (PNG, JPEG, BMP, GIF, TIFF, TGA, WebP).</param>
    /// <param name="limits">The limits to enforce; <see langword="null"/> uses <see cref="DecodeLimits.Default"/>.</param>
    /// <returns>A new upright, opaque RGB image that the caller owns and must dispose.</returns>
    /// <exception cref="InvalidImageException">The data is empty, too large, not an image, too many pixels, or damaged.</exception>
    public static Image<Rgb24> Decode(byte[] data, DecodeLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        limits ??= DecodeLimits.Default;
        CheckByteCount(data.LongLength, limits);
        return DecodeChecked(data, limits);
    }

    /// <summary>Decodes an encoded image held in a span.</summary>
    /// <param name="data">The encoded bytes; copied once into an array, as ImageSharp 2.1 cannot identify a span.</param>
    /// <param name="limits">The limits to enforce; <see langword="null"/> uses <see cref="DecodeLimits.Default"/>.</param>
    /// <returns>A new upright, opaque RGB image that the caller owns and must dispose.</returns>
    /// <exception cref="InvalidImageException">The data is empty, too large, not an image, too many pixels, or damaged.</exception>
    public static Image<Rgb24> Decode(ReadOnlySpan<byte> data, DecodeLimits? limits = null)
    {
        limits ??= DecodeLimits.Default;
        CheckByteCount(data.Length, limits);
        return DecodeChecked(data.ToArray(), limits);
    }

    /// <summary>Reads at most <see cref="DecodeLimits.MaxBytes"/> + 1 bytes from a stream and decodes them.</summary>
    /// <param name="stream">The stream, read from its current position; it is not disposed.</param>
    /// <param name="limits">The limits to enforce; <see langword="null"/> uses <see cref="DecodeLimits.Default"/>.</param>
    /// <returns>A new upright, opaque RGB image that the caller owns and must dispose.</returns>
    /// <exception cref="InvalidImageException">The data is empty, too large, not an image, too many pixels, or damaged.</exception>
    /// <exception cref="IOException">Reading the stream failed.</exception>
    public static Image<Rgb24> Decode(Stream stream, DecodeLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        limits ??= DecodeLimits.Default;

        // A seekable stream tells its length, so an oversized one is refused without reading a byte.
        if (stream.CanSeek)
        {
            CheckByteCount(stream.Length - stream.Position, limits);
        }

        byte[] data = ReadAtMost(stream, limits);
        CheckByteCount(data.LongLength, limits);
        return DecodeChecked(data, limits);
    }

    /// <summary>
    /// Runs the checks that <see cref="Decode(byte[], DecodeLimits?)"/> runs before it decodes a pixel: the byte count,
    /// the format, and the dimensions in the header. Cheap (no pixel memory), for refusing an upload at once; a file
    /// that passes can still be damaged further in, which only a full decode finds.
    /// </summary>
    /// <param name="data">The encoded bytes.</param>
    /// <param name="limits">The limits to enforce; <see langword="null"/> uses <see cref="DecodeLimits.Default"/>.</param>
    /// <returns>The header's width, height and format name.</returns>
    /// <exception cref="InvalidImageException">The data is empty, too large, not an image, has too many pixels, or has a damaged header.</exception>
    public static ImageHeader Identify(byte[] data, DecodeLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        limits ??= DecodeLimits.Default;
        CheckByteCount(data.LongLength, limits);
        WebpScreen.Screen(data);
        data = PngChunkScreen.Screen(data, limits);
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(ConfigurationFor(limits), data, out format);
        }
        catch (OutOfMemoryException e)
        {
            throw OutOfMemory(null, data, e);
        }
        catch (Exception e) when (IsDataFailure(e))
        {
            throw Wrap(e, null, data, limits);
        }

        if (info is null || format is null)
        {
            throw UnknownFormat(data, null);
        }

        CheckDimensions(info.Width, info.Height, limits);
        return new ImageHeader(info.Width, info.Height, format.Name);
    }

    private static Image<Rgb24> DecodeChecked(byte[] data, DecodeLimits limits) => DecodeWith(data, limits, ConfigurationFor(limits));

    /// <summary>
    /// Decodes with a given ImageSharp configuration (tests pass one whose allocator fails), after the byte count
    /// has been checked.
    /// </summary>
    /// <remarks>
    /// An <see cref="OutOfMemoryException"/> while this one input is read becomes an <see cref="InvalidImageException"/>
    /// (reason <see cref="ImageRejectionReason.OutOfMemory"/>): the buffers it allocated are unreachable by then, so
    /// a run's other inputs go on, and the caller's usual rejection path (error.json) applies.
    /// </remarks>
    internal static Image<Rgb24> DecodeWith(byte[] data, DecodeLimits limits, Configuration configuration)
    {
        WebpScreen.Screen(data);
        data = PngChunkScreen.Screen(data, limits);
        IImageFormat? format = null;
        try
        {
            return DecodeScreened(data, limits, configuration, f => format = f);
        }
        catch (OutOfMemoryException e)
        {
            throw OutOfMemory(format, data, e);
        }
    }

    private static Image<Rgb24> DecodeScreened(byte[] data, DecodeLimits limits, Configuration configuration, Action<IImageFormat> identified)
    {
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(configuration, data, out format);
        }
        catch (Exception e) when (IsDataFailure(e))
        {
            throw Wrap(e, null, data, limits);
        }

        if (info is null || format is null)
        {
            throw UnknownFormat(data, null);
        }

        CheckDimensions(info.Width, info.Height, limits);
        identified(format);

        Image<Rgba32> decoded;
        try
        {
            decoded = Image.Load<Rgba32>(configuration, data);
        }
        catch (Exception e) when (IsDataFailure(e))
        {
            throw Wrap(e, format, data, limits);
        }

        using (decoded)
        {
            // The header is only a claim; the pixels actually decoded must satisfy the limits too.
            CheckDimensions(decoded.Width, decoded.Height, limits);
            try
            {
                decoded.Mutate(x => x.AutoOrient());
            }
            catch (Exception e) when (IsDataFailure(e))
            {
                throw Wrap(e, format, data, limits);
            }

            return FlattenOntoWhite(decoded);
        }
    }

    private static Image<Rgb24> FlattenOntoWhite(Image<Rgba32> source)
    {
        var result = new Image<Rgb24>(source.Width, source.Height);
        source.ProcessPixelRows(result, static (src, dst) =>
        {
            for (int y = 0; y < src.Height; y++)
            {
                Span<Rgba32> from = src.GetRowSpan(y);
                Span<Rgb24> to = dst.GetRowSpan(y);
                for (int x = 0; x < from.Length; x++)
                {
                    Rgba32 p = from[x];
                    to[x] = p.A == 255
                        ? new Rgb24(p.R, p.G, p.B)
                        : new Rgb24(OverWhite(p.R, p.A), OverWhite(p.G, p.A), OverWhite(p.B, p.A));
                }
            }
        });
        return result;
    }

    // Straight (non-premultiplied) alpha over white, rounded to nearest: (c*a + 255*(255-a)) / 255.
    private static byte OverWhite(byte c, byte a) => (byte)(((c * a) + (255 * (255 - a)) + 127) / 255);

    private static Configuration ConfigurationFor(DecodeLimits limits)
    {
        long capBytes = limits.MaxPixels * BytesPerPixelCap;
        int capMegabytes = (int)Math.Clamp((capBytes + (1024 * 1024) - 1) / (1024 * 1024), 1, int.MaxValue);
        return Configurations.GetOrAdd((capMegabytes, limits.MaxFrames), static key =>
        {
            Configuration configuration = Configuration.Default.Clone();
            configuration.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                AllocationLimitMegabytes = key.AllocationLimitMegabytes,
            });
            FrameDecodingMode mode = key.MaxFrames == 1 ? FrameDecodingMode.First : FrameDecodingMode.All;
            configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder
            {
                DecodingMode = mode,
                MaxFrames = (uint)key.MaxFrames,
            });
            configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = mode });
            return configuration;
        });
    }

    private static byte[] ReadAtMost(Stream stream, DecodeLimits limits)
    {
        // Read one byte past the limit: that is enough to know the stream is too long, and no more is buffered.
        long cap = Math.Min(limits.MaxBytes + 1, Array.MaxLength);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[StreamChunk];
        while (buffer.Length < cap)
        {
            int wanted = (int)Math.Min(chunk.Length, cap - buffer.Length);
            int read = stream.Read(chunk, 0, wanted);
            if (read == 0)
            {
                break;
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length > limits.MaxBytes)
        {
            throw new InvalidImageException(
                ImageRejectionReason.TooLarge,
                Invariant($"The file is larger than the limit of {FormatBytes(limits.MaxBytes)}: compress or resize it before uploading."));
        }

        return buffer.ToArray();
    }

    private static void CheckByteCount(long length, DecodeLimits limits)
    {
        if (length <= 0)
        {
            throw new InvalidImageException(
                ImageRejectionReason.Empty,
                $"The file is 0 bytes: upload a {SupportedFormats} image.");
        }

        if (length > limits.MaxBytes)
        {
            throw new InvalidImageException(
                ImageRejectionReason.TooLarge,
                Invariant($"The file is {FormatBytes(length)}, above the limit of {FormatBytes(limits.MaxBytes)}: compress or resize it before uploading."));
        }
    }

    private static void CheckDimensions(int width, int height, DecodeLimits limits)
    {
        long pixels = (long)width * height;
        string claimed = Invariant($"The image header says {width}x{height} ({FormatMegapixels(pixels)})");
        if (width <= 0 || height <= 0)
        {
            throw new InvalidImageException(
                ImageRejectionReason.Corrupt,
                $"{claimed}, which is not a valid size: re-export or re-upload the original file.");
        }

        if (pixels > limits.MaxPixels)
        {
            throw new InvalidImageException(
                ImageRejectionReason.TooManyPixels,
                $"{claimed}, above the limit of {FormatMegapixels(limits.MaxPixels)}: resize it before uploading.");
        }

        // Sides are limited too: a 1 x 40,000,000 strip is within the pixel limit but is no photograph.
        if (width > limits.MaxWidth || height > limits.MaxHeight)
        {
            throw new InvalidImageException(
                ImageRejectionReason.TooManyPixels,
                Invariant($"{claimed}, above the limit of {limits.MaxWidth}x{limits.MaxHeight} pixels: resize it before uploading."));
        }
    }

    // Exceptions that bad data can provoke inside ImageSharp's decoders. OutOfMemoryException is not one: with the
    // allocation cap in place it means the process is short of memory, so it gets its own reason and message rather
    // than one that calls the file damaged.
    private static bool IsDataFailure(Exception e) => e is not (OutOfMemoryException or OperationCanceledException);

    private static InvalidImageException Wrap(Exception e, IImageFormat? format, byte[] data, DecodeLimits limits)
    {
        string name = (format ?? DetectFormat(data))?.Name ?? "image";
        return e switch
        {
            UnknownImageFormatException => UnknownFormat(data, e),
            InvalidMemoryOperationException => new InvalidImageException(
                ImageRejectionReason.TooManyPixels,
                $"Decoding the {name} file needed more memory than an image of {FormatMegapixels(limits.MaxPixels)} may use, so the file holds more than its header says: resize or re-export it before uploading.",
                e),
            NotSupportedException => new InvalidImageException(
                ImageRejectionReason.Corrupt,
                $"The {name} file is damaged, or uses a variant of the format that is not supported: re-export it as PNG or JPEG, or re-upload the original file.",
                e),
            _ when IsImageSharpAccount(e) => new InvalidImageException(
                ImageRejectionReason.Corrupt,
                $"The {name} file is damaged or truncated ({e.Message.Trim()}): re-export or re-upload the original file.",
                e),
            _ => new InvalidImageException(
                ImageRejectionReason.Corrupt,
                $"The {name} file is damaged or truncated: re-export or re-upload the original file.",
                e),
        };
    }

    // ImageSharp's own exceptions describe the file ("PNG Image does not contain a data chunk"); anything else thrown
    // from inside a decoder (a NullReferenceException, IndexOutOfRangeException...) describes the decoder's code and
    // means nothing to the person who sent the file, so its message stays in the inner exception, for the log.
    private static bool IsImageSharpAccount(Exception e) =>
        e.GetType().Namespace?.StartsWith("SixLabors", StringComparison.Ordinal) == true;

    private static IImageFormat? DetectFormat(byte[] data)
    {
        try
        {
            return Image.DetectFormat(data);
        }
        catch (Exception e) when (IsDataFailure(e))
        {
            return null;
        }
    }

    private static InvalidImageException OutOfMemory(IImageFormat? format, byte[] data, OutOfMemoryException e) =>
        new(
            ImageRejectionReason.OutOfMemory,
            $"Reading this {format?.Name ?? "image"} file ({FormatBytes(data.LongLength)}) ran out of memory: resize or re-export it, or try again when the machine is less busy.",
            e);

    private static InvalidImageException UnknownFormat(byte[] data, Exception? inner) =>
        new(
            ImageRejectionReason.UnknownFormat,
            $"The data is not a recognised image format (first bytes look like {DescribeLeadingBytes(data)}): upload a {SupportedFormats} image.",
            inner);

    /// <summary>Names what the first bytes look like, so the message helps someone who uploaded the wrong file.</summary>
    internal static string DescribeLeadingBytes(ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<byte> head = data[..Math.Min(data.Length, 64)];
        if (head.StartsWith("%PDF"u8))
        {
            return "a PDF document";
        }

        if (head.StartsWith("PK\u0003\u0004"u8))
        {
            return "a ZIP archive or Office document";
        }

        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8))
        {
            return "an HEIC/AVIF image or MP4 video, which is not supported; convert it to PNG or JPEG";
        }

        if (head.StartsWith("RIFF"u8) && head.Length >= 12 && !head[8..12].SequenceEqual("WEBP"u8))
        {
            return "a RIFF media file (audio or video)";
        }

        if (LooksLikeText(head))
        {
            string text = Encoding.UTF8.GetString(head).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
            if (text.StartsWith('<'))
            {
                return "HTML, XML or SVG text; SVG is not supported";
            }

            string sample = new(text.Take(24).Select(c => char.IsControl(c) ? ' ' : c).ToArray());
            return $"text: \"{sample.TrimEnd()}\"";
        }

        return "binary data: " + Convert.ToHexString(head[..Math.Min(head.Length, 8)]);
    }

    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        foreach (byte b in head)
        {
            // Tab, newlines and printable ASCII, or any byte of a multi-byte UTF-8 sequence.
            if (b is not (9 or 10 or 13) && b < 32)
            {
                return false;
            }
        }

        return !head.IsEmpty;
    }

    private static string FormatBytes(long bytes) =>
        bytes >= 1024 * 1024
            ? Invariant($"{bytes / (1024.0 * 1024.0):0.#} MiB ({bytes:N0} bytes)")
            : Invariant($"{bytes:N0} bytes");

    private static string FormatMegapixels(long pixels) =>
        pixels >= 10_000
            ? Invariant($"{pixels / 1_000_000.0:0.##} megapixels")
            : Invariant($"{pixels:N0} pixels");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What an image header says, read by <see cref="ImageDecoder.Identify(byte[], DecodeLimits?)"/>.</summary>
/// <param name="Width">The width in pixels.</param>
/// <param name="Height">The height in pixels.</param>
/// <param name="Format">The format's name (e.g. <c>PNG</c>).</param>
public readonly record struct ImageHeader(int Width, int Height, string Format);
