namespace AttackCore.Imaging;

/// <summary>Why <see cref="ImageDecoder"/> refused an input; callers map it to an error report or status code.</summary>
public enum ImageRejectionReason
{
    /// <summary>The input has no bytes.</summary>
    Empty,

    /// <summary>The input has more bytes than <see cref="DecodeLimits.MaxBytes"/>.</summary>
    TooLarge,

    /// <summary>The bytes are not in any supported image format.</summary>
    UnknownFormat,

    /// <summary>The image is wider, taller or has more pixels than the <see cref="DecodeLimits"/> allow.</summary>
    TooManyPixels,

    /// <summary>The format was recognised but the data is truncated or damaged.</summary>
    Corrupt,

    /// <summary>
    /// A PNG holds a compressed metadata chunk over <see cref="DecodeLimits.MaxCompressedMetadataBytes"/>: it could
    /// expand far beyond the file's size (a decompression bomb), so it is refused before anything is inflated.
    /// </summary>
    UnsafeMetadata,

    /// <summary>The file is a valid image of a kind that is not supported (an animated WebP).</summary>
    Unsupported,

    /// <summary>The process ran out of memory while reading this input; other inputs are not affected.</summary>
    OutOfMemory,
}
