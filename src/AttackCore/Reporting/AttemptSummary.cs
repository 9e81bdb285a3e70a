namespace AttackCore.Reporting;

/// <summary>
/// One attack of the plan as it went on this image: which attack, what it achieved, what it cost and how large its
/// change is. The report's main sections describe the attempt whose image was written (the first verified success in
/// plan order, else the last attempt); <see cref="AttackReport.Attempts"/> lists them all, in plan order.
/// </summary>
public sealed record AttemptSummary
{
    /// <summary>Gets how the attack was configured.</summary>
    public required AttackInfo Attack { get; init; }

    /// <summary>Gets the verdict of this attempt.</summary>
    public required OutcomeStatus Status { get; init; }

    /// <summary>Gets whether this attempt produced a verified adversarial image.</summary>
    public required bool Success { get; init; }

    /// <summary>Gets the queries this attack spent (the attack itself; minimization and verification are separate).</summary>
    public required int Queries { get; init; }

    /// <summary>Gets the gradient evaluations of a white-box attack; omitted for attacks that only query.</summary>
    public int? GradientEvaluations { get; init; }

    /// <summary>Gets the surrogate gradient evaluations of a surrogate-based attack (not target queries); omitted for other attacks.</summary>
    public int? SurrogateGradientEvaluations { get; init; }

    /// <summary>Gets the queries spent shrinking the perturbation after success.</summary>
    public int MinimizeQueries { get; init; }

    /// <summary>Gets the queries spent verifying the PNG read back.</summary>
    public int VerificationQueries { get; init; }

    /// <summary>Gets the smallest eps that still fooled the model; omitted when not searched.</summary>
    public double? EpsStar { get; init; }

    /// <summary>Gets the L-inf norm of this attempt's change, on the [0, 1] scale.</summary>
    public required double LInf { get; init; }

    /// <summary>Gets the L2 norm of this attempt's change, on the [0, 1] scale.</summary>
    public required double L2 { get; init; }

    /// <summary>Gets the top-1 class of this attempt's image, read back from its PNG.</summary>
    public ClassRef? AdversarialTop1 { get; init; }

    /// <summary>Gets whether this attempt's image is the one written beside the report.</summary>
    public required bool Written { get; init; }

    /// <summary>Gets this image's share of the attack's wall time, in milliseconds (see <see cref="TimingInfo.AttackMs"/>).</summary>
    public required double AttackMs { get; init; }

    /// <summary>Gets why the attempt ended as it did, when that needs words.</summary>
    public string? Message { get; init; }
}
