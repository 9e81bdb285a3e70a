namespace AttackCore.Attacks;

/// <summary>
/// How much work one <c>Step</c> call may do before it returns the state. Whichever limit is
/// reached first ends the slice; limits left <see langword="null"/> do not apply. A slice always
/// finishes the iteration it is in, so the state it returns is a clean resume point.
/// </summary>
/// <param name="MaxIterations">Iterations (one batched model call each) in this slice.</param>
/// <param name="MaxQueries">Model queries (summed over images) in this slice; an iteration that would cross it is not started.</param>
/// <param name="MaxDuration">Wall time for this slice, measured with the attack's <see cref="TimeProvider"/>.</param>
public sealed record StepBudget(int? MaxIterations = null, long? MaxQueries = null, TimeSpan? MaxDuration = null)
{
    /// <summary>Gets a budget with no limit: the attack runs until every image is done.</summary>
    public static StepBudget Unlimited { get; } = new();

    /// <summary>Gets a budget of exactly <paramref name="iterations"/> iterations.</summary>
    /// <param name="iterations">The number of iterations.</param>
    /// <returns>The budget.</returns>
    public static StepBudget Iterations(int iterations) => new(MaxIterations: iterations);
}

/// <summary>Where one image's attack stands.</summary>
public enum ImageAttackStatus
{
    /// <summary>Still searching.</summary>
    Running,

    /// <summary>The best image fools the model (on the 8-bit grid).</summary>
    Succeeded,

    /// <summary>The query budget ran out without success.</summary>
    Exhausted,

    /// <summary>The clean image already met the goal; no query was spent.</summary>
    AlreadyAdversarial,
}

/// <summary>How perturbed images relate to the 8-bit grid that PNG files can hold.</summary>
public enum QuantizationMode
{
    /// <summary>
    /// Every queried image is an 8-bit image (the perturbation is projected onto the grid without
    /// exceeding eps), so a success always survives being written as PNG. The default.
    /// </summary>
    OnGrid,

    /// <summary>
    /// Search in continuous [0,1] values as the reference implementation does; when a candidate fools
    /// the model, its 8-bit projection is queried too (one more counted query) and the image is done only
    /// if that also fools, else the search goes on.
    /// </summary>
    AfterSuccess,
}

/// <summary>One point of an image's progress: recorded at the start and at every improvement.</summary>
/// <param name="Queries">Queries spent on the image when this point was reached.</param>
/// <param name="Loss">Best loss so far.</param>
/// <param name="Margin">Best margin so far (zero or below means fooled).</param>
/// <param name="TrueConfidence">Softmax probability of the true class for the best image.</param>
/// <param name="WinningConfidence">Softmax probability of the strongest other class (the target when targeted).</param>
/// <param name="WinningClass">Index of that class.</param>
public sealed record AttackTracePoint(int Queries, double Loss, double Margin, double TrueConfidence, double WinningConfidence, int WinningClass);
