namespace AttackCore.Reporting;

/// <summary>Wall-clock time of each stage, in milliseconds.</summary>
public sealed record TimingInfo
{
    /// <summary>Gets the time to decode, preprocess and classify the clean image.</summary>
    public required double PrepareMs { get; init; }

    /// <summary>Gets the time of the attack itself, summed over all its slices.</summary>
    public required double AttackMs { get; init; }

    /// <summary>Gets the time of the eps search after success (0 when not run).</summary>
    public double MinimizeMs { get; init; }

    /// <summary>Gets the time to quantize, encode, decode and re-classify the adversarial image.</summary>
    public required double VerifyMs { get; init; }

    /// <summary>Gets the time from start to report, including what the stages above leave out.</summary>
    public required double TotalMs { get; init; }
}
