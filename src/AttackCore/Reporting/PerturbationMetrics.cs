namespace AttackCore.Reporting;

/// <summary>
/// The size of the change, measured between <c>clean.png</c> and <c>adversarial.png</c> (both at the
/// model's input size, 8-bit, values on the [0, 1] scale).
/// </summary>
public sealed record PerturbationMetrics
{
    /// <summary>Gets the largest absolute change of any channel value (1/255 is one 8-bit step).</summary>
    public required double LInf { get; init; }

    /// <summary>Gets the Euclidean norm of the change over all channel values.</summary>
    public required double L2 { get; init; }

    /// <summary>Gets the number of pixels with at least one changed channel.</summary>
    public required int L0Pixels { get; init; }

    /// <summary>Gets the number of changed channel values.</summary>
    public required int L0Values { get; init; }

    /// <summary>Gets the peak signal-to-noise ratio in decibels (peak 1.0); omitted when the images are identical (it would be infinite).</summary>
    public double? Psnr { get; init; }

    /// <summary>Gets the structural similarity index in [-1, 1] (1 when identical).</summary>
    public required double Ssim { get; init; }

    /// <summary>Gets the factor the change was multiplied by to draw <c>perturbation.png</c> (around mid-grey).</summary>
    public required double Amplification { get; init; }
}
