namespace AttackCore.Reporting;

/// <summary>What the attack achieved and the model queries it spent.</summary>
public sealed record AttackOutcome
{
    /// <summary>Gets the verdict.</summary>
    public required OutcomeStatus Status { get; init; }

    /// <summary>Gets whether a verified adversarial image was found (true exactly when <see cref="Status"/> is <see cref="OutcomeStatus.Fooled"/>).</summary>
    public required bool Success { get; init; }

    /// <summary>
    /// Gets the model queries the attack spent on this image: every model call that scored the image, counted by the
    /// attack (for Square Attack, one for the initialization plus one per iteration, as in its paper). The clean
    /// classification is not counted.
    /// </summary>
    public required int Queries { get; init; }

    /// <summary>
    /// Gets the queries all attacks of the plan spent on this image (attack queries only), when more than one ran;
    /// omitted for a single attack, where it equals <see cref="Queries"/>.
    /// </summary>
    public int? PlanQueries { get; init; }

    /// <summary>
    /// Gets the gradient evaluations (a forward and a backward pass each) a white-box attack spent on this image, or a
    /// surrogate-based attack spent on its surrogates, beside its forward <see cref="Queries"/>; omitted for attacks that
    /// only query.
    /// </summary>
    public int? GradientEvaluations { get; init; }

    /// <summary>
    /// Gets the surrogate gradient evaluations a surrogate-based attack spent on this image (one per surrogate per
    /// evaluation, on models the attacker owns); they are not target queries, which <see cref="Queries"/> counts alone.
    /// Omitted for attacks that use no surrogate.
    /// </summary>
    public int? SurrogateGradientEvaluations { get; init; }

    /// <summary>Gets the queries spent verifying the PNG read back.</summary>
    public int VerificationQueries { get; init; }

    /// <summary>Gets the queries spent shrinking the perturbation after success (the eps search).</summary>
    public int MinimizeQueries { get; init; }

    /// <summary>
    /// Gets the queries at which the attack's continuous (not yet 8-bit) search first fooled the model, for attacks
    /// that search continuous values and check the 8-bit image before they stop (Square Attack in L2 by default,
    /// SimBA-DCT); the difference to <see cref="Queries"/> is what reaching the 8-bit grid cost. Omitted otherwise.
    /// </summary>
    public int? ContinuousSuccessQueries { get; init; }

    /// <summary>Gets the smallest eps found that still fools the model, on the [0, 1] scale; omitted when not searched.</summary>
    public double? EpsStar { get; init; }

    /// <summary>Gets a human-readable explanation (the error for <see cref="OutcomeStatus.Failed"/>); omitted when there is none.</summary>
    public string? Message { get; init; }
}
