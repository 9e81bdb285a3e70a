namespace AttackCore.Reporting;

/// <summary>The input image as it was received, before any preprocessing.</summary>
public sealed record InputInfo
{
    /// <summary>Gets the input's name (blob name or file name).</summary>
    public required string Name { get; init; }

    /// <summary>Gets the decoded width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Gets the decoded height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>Gets the size of the encoded file in bytes.</summary>
    public required long Bytes { get; init; }

    /// <summary>Gets the SHA-256 (lower-case hex) of the encoded file.</summary>
    public required string Sha256 { get; init; }

    /// <summary>
    /// Gets the version of the input that this report describes: the blob's ETag in the storage pipeline;
    /// <see langword="null"/> (and absent from the JSON) for a local file.
    /// </summary>
    public string? Version { get; init; }
}
