using System.Globalization;
using System.Text.Json.Serialization;

namespace AttackCore.Attacks.HopSkipJump;

/// <summary>
/// Options of <see cref="HopSkipJumpAttack"/> (the common ones are in <see cref="AttackOptions"/>; the norm the attack
/// minimizes is <see cref="AttackOptions.Norm"/>). Defaults follow the authors' code (github.com/Jianbo-Lab/HSJA) and
/// ART's <c>HopSkipJump</c>. Values are checked when the attack is constructed; a bad value throws an
/// <see cref="ArgumentException"/> naming the option and its allowed range.
/// </summary>
public sealed record HopSkipJumpOptions : AttackOptions
{
    /// <summary>The name users write and reports show.</summary>
    public const string Name = "hopskipjump";

    /// <inheritdoc />
    public override string AttackName => Name;

    /// <summary>Gets a value indicating whether the attack reads scores: it does not, it uses only the top-1 label.</summary>
    [JsonIgnore]
    public override bool UsesScores => false;

    /// <summary>
    /// Gets the most iterations (gradient estimate, step, binary search) per image; an image that has run them all
    /// without success is <see cref="ImageAttackStatus.Exhausted"/>. With the default budgets the query budget ends
    /// the run first (about 25 iterations fit in 10,000 queries on 224 x 224 images).
    /// </summary>
    /// <value>Defaults to 64 (the authors' examples use 40 to 64, ART 50).</value>
    public int MaxIterations { get; init; } = 64;

    /// <summary>Gets the number of probes of the first gradient estimate; iteration t (from 0) uses InitEvals x sqrt(t + 1).</summary>
    /// <value>Defaults to 100, as the reference and ART.</value>
    public int InitEvals { get; init; } = 100;

    /// <summary>Gets the most probes of one gradient estimate.</summary>
    /// <value>Defaults to 10,000, as the reference and ART.</value>
    public int MaxEvals { get; init; } = 10_000;

    /// <summary>
    /// Gets the most random uniform noise images tried (one query each) to find a first adversarial image when no
    /// starting image is given; an image none of whose tries fools the model is <see cref="ImageAttackStatus.Exhausted"/>.
    /// </summary>
    /// <value>Defaults to 100, as ART.</value>
    public int InitSize { get; init; } = 100;

    /// <summary>
    /// Gets the factor of the binary search threshold theta: gamma / d^(3/2) for L2 and gamma / d^2 for L-inf, d the
    /// number of values per image. The probe radius of the gradient estimate scales with theta as well
    /// (sqrt(d) theta dist for L2, d theta dist for L-inf).
    /// </summary>
    /// <value>
    /// Defaults to <see langword="null"/>: 0.01 d, ART's thresholds (0.01 / sqrt(d) for L2, 0.01 / d for L-inf; 1,505 at
    /// 224 x 224). Set 1 for the reference's value.
    /// </value>
    /// <remarks>
    /// With the reference's gamma of 1, the L-inf probe radius after the first iteration is dist / d in L2 norm, about
    /// 1e-9 per value on a 224 x 224 image: below float32 resolution, so a float32 model sees the probes as the boundary
    /// point itself and the L-inf attack stalls after its first iteration (measured on MobileNet V2: 1 of 14 photos
    /// fooled at eps 0.05 in 2,000 queries, against 10 of 14 with 0.01 d).
    /// </remarks>
    public double? Gamma { get; init; }

    /// <summary>Gets <see cref="Gamma"/>, or ART's 0.01 d for images of <paramref name="values"/> values.</summary>
    /// <param name="values">d, the number of values per image (3 x height x width).</param>
    /// <returns>The gamma in use.</returns>
    public double EffectiveGamma(int values) => Gamma ?? (0.01 * values);

    /// <inheritdoc />
    public override IAttack CreateAttack(TimeProvider? timeProvider = null) => new HopSkipJumpAttack(this, timeProvider);

    /// <inheritdoc />
    /// <remarks>A decision-based attack: the distance of its adversarial point to the clean image.</remarks>
    public override AttackCore.Reporting.LossInfo TraceLoss(bool targeted) => AttackCore.Reporting.LossInfo.Distance(Norm == NormKind.L2 ? "l2" : "linf");

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (Norm == NormKind.LInf && Epsilon < 1.0 / 255)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Epsilon {Epsilon} is below one 8-bit step (1/255 = 0.00392): no 8-bit image can differ from the clean one by that little. Use at least 1/255."),
                nameof(Epsilon));
        }

        if (MaxIterations is < 1 or > 100_000)
        {
            throw new ArgumentException($"MaxIterations must be between 1 and 100,000; got {MaxIterations}.", nameof(MaxIterations));
        }

        if (MaxEvals is < 1 or > 1_000_000)
        {
            throw new ArgumentException($"MaxEvals must be between 1 and 1,000,000; got {MaxEvals}.", nameof(MaxEvals));
        }

        if (InitEvals < 1 || InitEvals > MaxEvals)
        {
            throw new ArgumentException($"InitEvals must be between 1 and MaxEvals ({MaxEvals}); got {InitEvals}.", nameof(InitEvals));
        }

        if (InitSize is < 1 or > 100_000)
        {
            throw new ArgumentException($"InitSize must be between 1 and 100,000; got {InitSize}.", nameof(InitSize));
        }

        if (Gamma is double gamma && (!double.IsFinite(gamma) || gamma <= 0 || gamma > 1e12))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Gamma must be above 0 and at most 1e12; got {gamma}."),
                nameof(Gamma));
        }
    }

    /// <inheritdoc />
    protected override void DescribeOwn(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        CultureInfo inv = CultureInfo.InvariantCulture;
        values["maxIterations"] = MaxIterations.ToString(inv);
        values["initEvals"] = InitEvals.ToString(inv);
        values["maxEvals"] = MaxEvals.ToString(inv);
        values["initSize"] = InitSize.ToString(inv);
        values["gamma"] = Gamma?.ToString("R", inv) ?? "0.01d";
    }

    /// <inheritdoc />
    protected internal override AttackImageState CreateImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random) =>
        new HopSkipJumpImageState(goal, clean, best, random);
}
