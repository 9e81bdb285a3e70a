namespace AttackCore.Reporting;

/// <summary>Wall-clock time of each stage, in milliseconds.</summary>
public sealed record TimingInfo
{
    /// <summary>Gets the time to decode, preprocess and classify the clean image.</summary>
    public required double PrepareMs { get; init; }

    /// <summary>
    /// Gets this image's time in the attacks themselves, summed over all their slices and over the plan's attempts:
    /// images are attacked in batches, so each slice's time is split over the batch's images by the model calls each
    /// made in it (schema version 1 gave the whole batch's time here).
    /// </summary>
    public required double AttackMs { get; init; }

    /// <summary>Gets the time of the eps search after success (0 when not run).</summary>
    public double MinimizeMs { get; init; }

    /// <summary>Gets the time to quantize, encode, decode and re-classify the adversarial image.</summary>
    public required double VerifyMs { get; init; }

    /// <summary>Gets the time from start to report, including what the stages above leave out.</summary>
    public required double TotalMs { get; init; }
}
