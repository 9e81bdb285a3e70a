using System.Diagnostics;
using AttackCore.Imaging;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Imaging;

public class PngChunkScreenTests
{
    // 256 MiB of zeros compress to about 260 KB: far over the 64 KiB bound, and slow and large to inflate.
    private static readonly Lazy<byte[]> BombText = new(() => PngChunks.ZlibOfZeros(256L * 1024 * 1024));

    [Fact]
    public void Decode_ZtxtBomb_RejectsAsUnsafeMetadataWithoutInflating()
    {
        byte[] png = PngChunks.InsertAfterIhdr(TestImages.RandomPng(8, 8, seed: 1), PngChunks.Ztxt("Comment", BombText.Value));
        var clock = Stopwatch.StartNew();

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(png));

        Assert.Equal(ImageRejectionReason.UnsafeMetadata, ex.Reason);
        Assert.Contains("compressed zTXt metadata chunk", ex.Message, StringComparison.Ordinal);
        Assert.Contains("without its metadata", ex.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Identify_CompressedItxtBomb_RejectsAsUnsafeMetadata()
    {
        byte[] png = PngChunks.InsertAfterIhdr(TestImages.RandomPng(8, 8, seed: 2), PngChunks.CompressedItxt("XML:com.adobe.xmp", BombText.Value));

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Identify(png));

        Assert.Equal(ImageRejectionReason.UnsafeMetadata, ex.Reason);
        Assert.Contains("iTXt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_SmallTextChunkThatIsNotValidZlib_IsSkippedUnreadAndDecodes()
    {
        // A zTXt whose compressed text is garbage: a decoder that inflated it would fail; skipping it must not.
        byte[] clean = TestImages.RandomPng(6, 5, seed: 3);
        byte[] png = PngChunks.InsertAfterIhdr(clean, PngChunks.Ztxt("Comment", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0x00, 0x13]), PngChunks.Chunk("tEXt", "Title\0x"u8));

        using var expected = ImageDecoder.Decode(clean);
        using var sut = ImageDecoder.Decode(png);

        Assert.Equal(TestImages.Pixels(expected), TestImages.Pixels(sut));
    }

    [Fact]
    public void Decode_ManyTextChunksWithinTheBound_AreSkippedWithoutInflating()
    {
        // 40 chunks of 32 KiB compressed each would inflate to 40 x 32 MiB = 1.25 GiB of text.
        byte[] chunk = PngChunks.Ztxt("Comment", PngChunks.ZlibOfZeros(32L * 1024 * 1024));
        Assert.InRange(chunk.Length, 16 * 1024, 64 * 1024);
        byte[] png = PngChunks.InsertAfterIhdr(TestImages.RandomPng(8, 8, seed: 4), Enumerable.Repeat(chunk, 40).ToArray());
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        using SixLabors.ImageSharp.Image<Rgb24> sut = ImageDecoder.Decode(png);

        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.Equal(8, sut.Width);
        Assert.True(allocated < 16L * 1024 * 1024, $"allocated {allocated:N0} bytes decoding a {png.Length:N0}-byte file");
    }

    [Fact]
    public void Decode_BombChunkCutShortByTheEndOfTheFile_IsStillRefused()
    {
        // The chunk's length claims the whole bomb but the file ends part-way: what is there would still be inflated.
        byte[] png = PngChunks.InsertAfterIhdr(TestImages.RandomPng(8, 8, seed: 8), PngChunks.Ztxt("Comment", BombText.Value));
        byte[] cut = png[..(8 + 25 + 200_000)];

        var ex = Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(cut));

        Assert.Equal(ImageRejectionReason.UnsafeMetadata, ex.Reason);
    }

    [Fact]
    public void Screen_NoTextChunks_ReturnsTheSameArray()
    {
        byte[] png = TestImages.RandomPng(4, 4, seed: 5);

        Assert.Same(png, PngChunkScreen.Screen(png, DecodeLimits.Default));
    }

    [Fact]
    public void Screen_UncompressedItxtOverTheCompressedBound_IsDroppedNotRefused()
    {
        // Large XMP packets are stored as uncompressed iTXt; they cannot expand, so they are dropped, not refused.
        byte[] png = TestImages.RandomPng(4, 4, seed: 6);
        byte[] xmp = PngChunks.Chunk("iTXt", [.. "XML:com.adobe.xmp"u8, 0, 0, 0, 0, 0, .. new byte[100_000]]);

        byte[] sut = PngChunkScreen.Screen(PngChunks.InsertAfterIhdr(png, xmp), DecodeLimits.Default);

        Assert.Equal(png, sut);
    }

    [Fact]
    public void Screen_ChunkRunningPastTheEnd_StopsAndLeavesTheFileToTheDecoder()
    {
        byte[] png = TestImages.RandomPng(4, 4, seed: 7);
        byte[] truncated = PngChunks.InsertAfterIhdr(png, PngChunks.Ztxt("Comment", PngChunks.Zlib("hello")))[..40];

        Assert.Same(truncated, PngChunkScreen.Screen(truncated, DecodeLimits.Default));
    }

    [Fact]
    public void DecodeLimits_MaxCompressedMetadataBytes_MustBePositive()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new DecodeLimits { MaxCompressedMetadataBytes = 0 });

        Assert.Contains(nameof(DecodeLimits.MaxCompressedMetadataBytes), ex.Message, StringComparison.Ordinal);
    }
}
