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

    /// <summary>
    /// Gets the surrogate models a surrogate-based attack (such as <c>transfer</c>) crafted on, in the order the run named
    /// them; omitted for attacks that use none.
    /// </summary>
    public IReadOnlyList<SurrogateInfo>? Surrogates { get; init; }
}
