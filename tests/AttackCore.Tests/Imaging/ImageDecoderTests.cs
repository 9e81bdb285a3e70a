using System.Diagnostics;
using System.Text;
using AttackCore.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Imaging;

public class ImageDecoderTests
{
    [Fact]
    public void Identify_Png_ReturnsHeaderWithoutDecoding()
    {
        ImageHeader header = ImageDecoder.Identify(TestImages.RandomPng(40, 30, seed: 3));

        Assert.Equal(new ImageHeader(40, 30, "PNG"), header);
    }

    [Fact]
    public void Identify_Text_RejectsAsUnknownFormat()
    {
        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Identify(Encoding.UTF8.GetBytes("just some text, not a picture")));

        Assert.Equal(ImageRejectionReason.UnknownFormat, ex.Reason);
    }

    [Fact]
    public void Identify_HeaderClaims30000x30000_RejectsAsTooManyPixels()
    {
        byte[] png = TestImages.WithIhdrSize(TestImages.RandomPng(8, 8, seed: 2), 30000, 30000);

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Identify(png));

        Assert.Equal(ImageRejectionReason.TooManyPixels, ex.Reason);
    }

    [Fact]
    public void Identify_OverByteLimit_RejectsAsTooLarge()
    {
        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Identify(new byte[2048], new DecodeLimits { MaxBytes = 1024 }));

        Assert.Equal(ImageRejectionReason.TooLarge, ex.Reason);
    }

    [Fact]
    public void Decode_ZeroBytes_RejectsAsEmpty()
    {
        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode([]));

        Assert.Equal(ImageRejectionReason.Empty, ex.Reason);
        Assert.Equal("The file is 0 bytes: upload a PNG, JPEG, BMP, GIF, TIFF, TGA or WebP image.", ex.Message);
    }

    [Fact]
    public void Decode_EmptyStream_RejectsAsEmpty()
    {
        using var stream = new MemoryStream();

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(stream));

        Assert.Equal(ImageRejectionReason.Empty, ex.Reason);
    }

    [Fact]
    public void Decode_TruncatedPng_RejectsAsCorrupt()
    {
        byte[] png = TestImages.RandomPng(64, 64, seed: 1);

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(png[..(png.Length / 2)]));

        Assert.Equal(ImageRejectionReason.Corrupt, ex.Reason);
        Assert.Contains("PNG file is damaged or truncated", ex.Message, StringComparison.Ordinal);
        Assert.Contains("re-upload", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.InnerException);
    }

    [Fact]
    public void Decode_PlainTextNamedJpg_RejectsAsUnknownFormatSayingText()
    {
        byte[] text = Encoding.UTF8.GetBytes("hello, this is not a jpeg at all\n");

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(text));

        Assert.Equal(ImageRejectionReason.UnknownFormat, ex.Reason);
        Assert.StartsWith("The data is not a recognised image format (first bytes look like text: \"hello, this is not a jpe\")", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("upload a PNG, JPEG, BMP, GIF, TIFF, TGA or WebP image.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_Html_RejectsAsUnknownFormatSayingHtml()
    {
        byte[] html = Encoding.UTF8.GetBytes("<!DOCTYPE html><html><body>Not found</body></html>");

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(html));

        Assert.Equal(ImageRejectionReason.UnknownFormat, ex.Reason);
        Assert.Contains("HTML, XML or SVG", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_RandomBinary_RejectsAsUnknownFormatShowingHex()
    {
        byte[] data = [0x00, 0x01, 0x02, 0x03, 0xFE, 0xFF, 0x10, 0x20, 0x30, 0x40];

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(data));

        Assert.Equal(ImageRejectionReason.UnknownFormat, ex.Reason);
        Assert.Contains("binary data: 00010203FEFF1020", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_PngHeaderClaims30000x30000_RejectsFastWithoutDecoding()
    {
        byte[] hostile = TestImages.WithIhdrSize(TestImages.RandomPng(16, 16, seed: 2), 30_000, 30_000);
        Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(hostile)); // warm up JIT before timing

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var stopwatch = Stopwatch.StartNew();
        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(hostile));
        stopwatch.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Equal(ImageRejectionReason.TooManyPixels, ex.Reason);
        Assert.Equal(
            "The image header says 30000x30000 (900 megapixels), above the limit of 40 megapixels: resize it before uploading.",
            ex.Message);
        Assert.True(stopwatch.ElapsedMilliseconds < 500, $"took {stopwatch.ElapsedMilliseconds} ms");
        Assert.True(allocated < 1024 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Decode_HeaderWithinSidesButOverPixelLimit_RejectsAsTooManyPixels()
    {
        byte[] hostile = TestImages.WithIhdrSize(TestImages.RandomPng(16, 16, seed: 3), 10_000, 10_000);

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(hostile));

        Assert.Equal(ImageRejectionReason.TooManyPixels, ex.Reason);
        Assert.Equal(
            "The image header says 10000x10000 (100 megapixels), above the limit of 40 megapixels: resize it before uploading.",
            ex.Message);
    }

    [Fact]
    public void Decode_WiderThanLimit_RejectsAsTooManyPixels()
    {
        byte[] png = TestImages.RandomPng(20, 5, seed: 4);
        var limits = new DecodeLimits { MaxWidth = 10 };

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(png, limits));

        Assert.Equal(ImageRejectionReason.TooManyPixels, ex.Reason);
        Assert.Equal("The image header says 20x5 (100 pixels), above the limit of 10x12000 pixels: resize it before uploading.", ex.Message);
    }

    [Fact]
    public void Decode_BytesOverLimit_RejectsAsTooLargeBeforeParsing()
    {
        byte[] png = TestImages.RandomPng(16, 16, seed: 5);
        var limits = new DecodeLimits { MaxBytes = png.Length - 1 };

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(png, limits));

        Assert.Equal(ImageRejectionReason.TooLarge, ex.Reason);
        Assert.Contains($"above the limit of {png.Length - 1:N0} bytes", ex.Message, StringComparison.Ordinal);
        Assert.Null(ex.InnerException);
    }

    [Fact]
    public void Decode_HugeBuffer_RejectsAsTooLargeWithMiB()
    {
        byte[] data = new byte[(50 * 1024 * 1024) + 1];

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(data));

        Assert.Equal(ImageRejectionReason.TooLarge, ex.Reason);
        Assert.Contains("above the limit of 50 MiB (52,428,800 bytes): compress or resize it before uploading.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_NonSeekableStreamOverLimit_ReadsAtMostOneBytePastLimit()
    {
        using var stream = new EndlessStream();
        var limits = new DecodeLimits { MaxBytes = 1000 };

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(stream, limits));

        Assert.Equal(ImageRejectionReason.TooLarge, ex.Reason);
        Assert.Equal(1001, stream.BytesRead);
    }

    [Fact]
    public void Decode_SeekableStreamOverLimit_RejectsWithoutReading()
    {
        byte[] png = TestImages.RandomPng(16, 16, seed: 6);
        using var stream = new MemoryStream(png);

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(stream, new DecodeLimits { MaxBytes = 100 }));

        Assert.Equal(ImageRejectionReason.TooLarge, ex.Reason);
        Assert.Equal(0, stream.Position);
    }

    [Fact]
    public void Decode_StreamAtOffset_DecodesFromCurrentPosition()
    {
        using Image<Rgb24> original = TestImages.Random(7, 5, seed: 7);
        byte[] png = TestImages.Png(original);
        using var stream = new MemoryStream([0xAA, 0xBB, .. png]);
        stream.Position = 2;

        using Image<Rgb24> sut = ImageDecoder.Decode(stream);

        Assert.Equal(TestImages.Pixels(original), TestImages.Pixels(sut));
    }

    [Fact]
    public void Decode_ValidPng_ReturnsExactPixels()
    {
        using Image<Rgb24> original = TestImages.Random(9, 4, seed: 8);
        byte[] png = TestImages.Png(original);

        using Image<Rgb24> fromArray = ImageDecoder.Decode(png);
        using Image<Rgb24> fromSpan = ImageDecoder.Decode(png.AsSpan());

        Assert.Equal(TestImages.Pixels(original), TestImages.Pixels(fromArray));
        Assert.Equal(TestImages.Pixels(original), TestImages.Pixels(fromSpan));
    }

    [Fact]
    public void Decode_JpegWithExifOrientation6_IsRotatedClockwise()
    {
        // Stored 40x20: left half red, right half blue. Orientation 6 means "rotate 90 degrees clockwise to
        // display", which puts the stored left edge at the top.
        using var stored = new Image<Rgb24>(40, 20);
        for (int y = 0; y < 20; y++)
        {
            for (int x = 0; x < 40; x++)
            {
                stored[x, y] = x < 20 ? new Rgb24(255, 0, 0) : new Rgb24(0, 0, 255);
            }
        }

        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        using var stream = new MemoryStream();
        stored.Save(stream, new JpegEncoder { Quality = 95 });

        using Image<Rgb24> sut = ImageDecoder.Decode(stream.ToArray());

        Assert.Equal(20, sut.Width);
        Assert.Equal(40, sut.Height);
        Assert.True(sut[10, 5].R > 200 && sut[10, 5].B < 50, $"top should be red, was {sut[10, 5]}");
        Assert.True(sut[10, 35].B > 200 && sut[10, 35].R < 50, $"bottom should be blue, was {sut[10, 35]}");
    }

    [Fact]
    public void Decode_TransparentPng_FlattensOntoWhite()
    {
        using var rgba = new Image<Rgba32>(3, 1);
        rgba[0, 0] = new Rgba32(10, 20, 30, 0);      // fully transparent: its stored colour must not show
        rgba[1, 0] = new Rgba32(0, 0, 0, 128);       // half black over white
        rgba[2, 0] = new Rgba32(10, 20, 30, 255);    // opaque: unchanged

        using Image<Rgb24> sut = ImageDecoder.Decode(TestImages.Png(rgba));

        Assert.Equal(new Rgb24(255, 255, 255), sut[0, 0]);
        Assert.Equal(new Rgb24(127, 127, 127), sut[1, 0]); // 255 * 127 / 255 = 127
        Assert.Equal(new Rgb24(10, 20, 30), sut[2, 0]);
    }

    [Fact]
    public void Decode_AnimatedGif_UsesFirstFrame()
    {
        using var gif = new Image<Rgba32>(4, 4, new Rgba32(255, 0, 0, 255));
        using (var second = new Image<Rgba32>(4, 4, new Rgba32(0, 0, 255, 255)))
        {
            gif.Frames.AddFrame(second.Frames.RootFrame);
        }

        using var stream = new MemoryStream();
        gif.Save(stream, new GifEncoder());

        using Image<Rgb24> sut = ImageDecoder.Decode(stream.ToArray());

        Assert.Equal(new Rgb24(255, 0, 0), sut[2, 2]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Decode_RandomlyDamagedFiles_OnlyEverThrowInvalidImageException(int seed)
    {
        var random = new Random(seed);
        using Image<Rgb24> image = TestImages.Random(24, 24, seed);
        using var jpeg = new MemoryStream();
        image.Save(jpeg, new JpegEncoder());
        foreach (byte[] original in new[] { TestImages.Png(image), jpeg.ToArray() })
        {
            for (int trial = 0; trial < 40; trial++)
            {
                byte[] damaged = (byte[])original.Clone();
                for (int k = 0; k < 1 + random.Next(8); k++)
                {
                    damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
                }

                byte[] input = random.Next(3) == 0 ? damaged[..random.Next(1, damaged.Length)] : damaged;
                try
                {
                    ImageDecoder.Decode(input).Dispose();
                }
                catch (InvalidImageException)
                {
                    // The only failure bad data may cause.
                }
            }
        }
    }

    [Fact]
    public void DecodeWith_AllocatorOutOfMemory_RejectsThisInputAsOutOfMemory()
    {
        Configuration configuration = Configuration.Default.Clone();
        configuration.MemoryAllocator = new OutOfMemoryAllocator();

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.DecodeWith(TestImages.RandomPng(32, 32, seed: 9), DecodeLimits.Default, configuration));

        Assert.Equal(ImageRejectionReason.OutOfMemory, ex.Reason);
        Assert.Contains("ran out of memory", ex.Message, StringComparison.Ordinal);
        Assert.IsType<OutOfMemoryException>(ex.InnerException);
    }

    /// <summary>An ImageSharp allocator whose every allocation fails as a machine out of memory would.</summary>
    private sealed class OutOfMemoryAllocator : SixLabors.ImageSharp.Memory.MemoryAllocator
    {
#pragma warning disable CA2201 // Reserved by the runtime, and exactly what a machine out of memory throws from an allocation.
        public override System.Buffers.IMemoryOwner<T> Allocate<T>(int length, SixLabors.ImageSharp.Memory.AllocationOptions options = SixLabors.ImageSharp.Memory.AllocationOptions.None) =>
            throw new OutOfMemoryException("Insufficient memory to continue the execution of the program.");
#pragma warning restore CA2201

        protected override int GetBufferCapacityInBytes() => int.MaxValue;
    }

    /// <summary>A non-seekable stream of zeros that never ends and counts what was read from it.</summary>
    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Clear(buffer, offset, count);
            BytesRead += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
