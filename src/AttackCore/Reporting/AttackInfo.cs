using AttackCore.Attacks;

namespace AttackCore.Reporting;

/// <summary>How the attack was configured.</summary>
public sealed record AttackInfo
{
    /// <summary>Gets the attack's name, for example <c>square</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the norm that bounds the perturbation: <c>linf</c> or <c>l2</c>.</summary>
    public required string Norm { get; init; }

    /// <summary>Gets the perturbation budget in that norm, on the [0, 1] pixel scale (8/255 is about 0.0314).</summary>
    public required double Eps { get; init; }

    /// <summary>
    /// Gets the budget the attack could really use, on the [0, 1] scale: every image it writes is on the 8-bit grid, so
    /// an L-inf budget is the largest whole number of 8-bit steps within <see cref="Eps"/> (0.01 is 2/255, about
    /// 0.00784); an L2 budget is used as given. See <see cref="BudgetUsed"/>.
    /// </summary>
    public required double EpsUsed { get; init; }

    /// <summary>Gets the loss the attack recorded in the trace (<see cref="TracePoint.Loss"/>), which the loss chart is labelled with.</summary>
    public required LossInfo Loss { get; init; }

    /// <summary>Gets whether the attack aims at <see cref="TargetClass"/> rather than away from the true class.</summary>
    public required bool Targeted { get; init; }

    /// <summary>Gets the class a targeted attack aims at; omitted for untargeted attacks.</summary>
    public ClassRef? TargetClass { get; init; }

    /// <summary>Gets the random seed; the same seed, input, model and options give the same run.</summary>
    public required long Seed { get; init; }

    /// <summary>Gets the query budget of the attack itself.</summary>
    public required int MaxQueries { get; init; }

    /// <summary>Gets every option of the attack as text, keyed by option name, so a run can be repeated exactly.</summary>
    /// <value>Defaults to empty.</value>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the budget an image on the 8-bit grid can use within <paramref name="eps"/>.</summary>
    /// <param name="norm">The norm: <c>linf</c> or <c>l2</c>.</param>
    /// <param name="eps">The budget asked for, on the [0, 1] scale.</param>
    /// <returns>floor(255 eps) / 255 for L-inf (a decimal k/255 counts as k steps); <paramref name="eps"/> for L2.</returns>
    public static double BudgetUsed(string norm, double eps) =>
        norm == "linf" ? PixelGrid.StepsWithin(eps) / 255.0 : eps;

    /// <summary>
    /// Gets the surrogate models a surrogate-based attack (such as <c>transfer</c>) crafted on, in the order the run named
    /// them; omitted for attacks that use none.
    /// </summary>
    public IReadOnlyList<SurrogateInfo>? Surrogates { get; init; }
}
