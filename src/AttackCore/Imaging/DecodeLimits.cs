namespace AttackCore.Imaging;

/// <summary>
/// Bounds on what <see cref="ImageDecoder"/> accepts, so that an uploaded file cannot exhaust memory or CPU.
/// </summary>
/// <remarks>
/// The byte limit is checked before anything is parsed, the size limits against the image header before any
/// pixel is decoded, and the pixel limit again through a per-buffer allocation cap while decoding (a header
/// can understate what a decoder then allocates).
/// </remarks>
public sealed record DecodeLimits
{
    /// <summary>Gets the limits used when none are given.</summary>
    public static DecodeLimits Default { get; } = new();

    /// <summary>Gets the largest accepted encoded size in bytes.</summary>
    /// <value>Defaults to 50 MiB (52,428,800 bytes). Must be positive.</value>
    public long MaxBytes
    {
        get;
        init => field = value > 0 ? value : throw Positive(nameof(MaxBytes), value);
    } = 50L * 1024 * 1024;

    /// <summary>Gets the largest accepted width in pixels, as stated by the image header.</summary>
    /// <value>Defaults to 12,000. Must be positive.</value>
    public int MaxWidth
    {
        get;
        init => field = value > 0 ? value : throw Positive(nameof(MaxWidth), value);
    } = 12_000;

    /// <summary>Gets the largest accepted height in pixels, as stated by the image header.</summary>
    /// <value>Defaults to 12,000. Must be positive.</value>
    public int MaxHeight
    {
        get;
        init => field = value > 0 ? value : throw Positive(nameof(MaxHeight), value);
    } = 12_000;

    /// <summary>Gets the largest accepted width x height.</summary>
    /// <value>Defaults to 40,000,000 (40 megapixels). Must be positive.</value>
    public long MaxPixels
    {
        get;
        init => field = value > 0 ? value : throw Positive(nameof(MaxPixels), value);
    } = 40_000_000;

    /// <summary>
    /// Gets how many frames of a multi-frame image (animated GIF, multi-page TIFF) are decoded at most.
    /// </summary>
    /// <value>Defaults to 1. Must be positive.</value>
    /// <remarks>
    /// Only the first frame is ever used; later frames are not an error, they are skipped. Keeping this at 1
    /// stops a long animation from costing one full frame of memory per frame. GIF honours any count; TIFF
    /// decodes either the first frame (1) or all of them (more than 1); animated WebP files are refused as
    /// unsupported (<see cref="ImageRejectionReason.Unsupported"/>), which ImageSharp 2.1 cannot read.
    /// </remarks>
    public int MaxFrames
    {
        get;
        init => field = value > 0 ? value : throw Positive(nameof(MaxFrames), value);
    } = 1;

    /// <summary>
    /// Gets the largest accepted compressed metadata chunk of a PNG (<c>zTXt</c>, <c>iCCP</c>, compressed <c>iTXt</c>), in bytes.
    /// </summary>
    /// <value>Defaults to 65,536 (64 KiB). Must be positive.</value>
    /// <remarks>
    /// Checked from the chunk headers before anything is decoded or inflated. Deflate expands up to about 1032 to 1,
    /// so a larger compressed chunk is refused as a possible decompression bomb; real text and colour profiles are
    /// far smaller. Text chunks within the limit are skipped unread (see <see cref="ImageDecoder"/>).
    /// </remarks>
    public int MaxCompressedMetadataBytes
    {
        get;
        init => field = value > 0 ? value : throw Positive(nameof(MaxCompressedMetadataBytes), value);
    } = 64 * 1024;

    private static ArgumentOutOfRangeException Positive(string name, long value) =>
        new(name, value, $"{name} must be greater than 0; it was {value}.");
}
