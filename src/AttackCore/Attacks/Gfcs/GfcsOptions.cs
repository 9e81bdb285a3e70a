using System.Globalization;
using System.Text.Json.Serialization;

namespace AttackCore.Attacks.Gfcs;

/// <summary>
/// Options of <see cref="GfcsAttack"/> (the common ones are in <see cref="AttackOptions"/>). Values are checked when
/// the attack is constructed; a bad value throws an <see cref="ArgumentException"/> naming the option and its allowed
/// range.
/// </summary>
/// <remarks>
/// GFCS needs surrogate models (<see cref="AttackOptions.UsesSurrogates"/>): the engine gives it the target's scores
/// and the surrogates' gradients. Untargeted runs follow the margin loss and targeted runs the cross-entropy of the
/// target class, on the target's scores (<see cref="MarginLoss"/>).
/// </remarks>
public sealed record GfcsOptions : AttackOptions
{
    /// <summary>The name users write and reports show.</summary>
    public const string Name = "gfcs";

    /// <summary>The paper's step for its L2 experiments (ImageNet, ball radius 16.4).</summary>
    public const double PaperL2StepSize = 2.0;

    /// <inheritdoc />
    public override string AttackName => Name;

    /// <summary>Gets <see langword="true"/>: GFCS crafts its directions on surrogate models.</summary>
    [JsonIgnore]
    public override bool UsesSurrogates => true;

    /// <summary>
    /// Gets the length of one step along a direction, tried as +step then -step: for L2 the direction has unit L2 norm,
    /// so the image moves by this Euclidean length; for L-inf the direction is the sign of the gradient, so every value
    /// moves by this much. <see langword="null"/> picks it from the norm and eps.
    /// </summary>
    /// <value>
    /// Defaults to <see langword="null"/>: for L2 the paper's 2.0, at most eps; for L-inf eps / 2. Must be in (0, 2 eps].
    /// </value>
    public double? StepSize { get; init; }

    /// <summary>Gets <see cref="StepSize"/> or its default for the norm and eps.</summary>
    [JsonIgnore]
    public double EffectiveStepSize => StepSize ?? (Norm == NormKind.L2 ? Math.Min(PaperL2StepSize, Epsilon) : Epsilon / 2);

    /// <inheritdoc />
    public override IAttack CreateAttack(TimeProvider? timeProvider = null) => new GfcsAttack(this, timeProvider: timeProvider);

    /// <inheritdoc />
    /// <remarks>The paper's losses on the target's scores (<see cref="MarginLoss"/>): the margin untargeted, the cross-entropy of the target targeted.</remarks>
    public override AttackCore.Reporting.LossInfo TraceLoss(bool targeted) => targeted ? AttackCore.Reporting.LossInfo.TargetCrossEntropy : AttackCore.Reporting.LossInfo.Margin;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (StepSize is double step && (!double.IsFinite(step) || step <= 0 || step > 2 * Epsilon))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"StepSize must be in (0, 2 x Epsilon] = (0, {2 * Epsilon}] (or null for the default by norm); got {step}."),
                nameof(StepSize));
        }
    }

    /// <inheritdoc />
    protected override void DescribeOwn(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        values["stepSize"] = EffectiveStepSize.ToString("R", CultureInfo.InvariantCulture);
        values["loss"] = "margin (targeted: cross-entropy)";
        values["fallback"] = "ods";
    }

    /// <inheritdoc />
    protected internal override AttackImageState CreateImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random) =>
        new GfcsImageState(goal, clean, best, random);
}
