using System.Globalization;
using System.Text.Json.Serialization;
using AttackCore.Gradients;

namespace AttackCore.Attacks.Pgd;

/// <summary>Options of <see cref="PgdAttack"/> (the common ones are in <see cref="AttackOptions"/>).</summary>
public sealed record PgdOptions : AttackOptions
{
    /// <summary>The name users write and reports show.</summary>
    public const string Name = "pgd";

    /// <inheritdoc />
    public override string AttackName => Name;

    /// <summary>Gets the ascent steps per restart.</summary>
    /// <value>Defaults to 20.</value>
    public int Steps { get; init; } = 20;

    /// <summary>Gets the runs from fresh random starts; the image stops at its first verified success.</summary>
    /// <value>Defaults to 1.</value>
    public int Restarts { get; init; } = 1;

    /// <summary>Gets the step length; <see langword="null"/> takes 2.5 eps / <see cref="Steps"/> (Madry et al.).</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public double? StepSize { get; init; }

    /// <summary>Gets a value indicating whether each run starts from a random point of the ball (else from the clean image).</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool RandomStart { get; init; } = true;

    /// <summary>Gets the loss the steps climb.</summary>
    /// <value>Defaults to <see cref="GradientLoss.CrossEntropy"/>.</value>
    [JsonConverter(typeof(JsonStringEnumConverter<GradientLoss>))]
    public GradientLoss Loss { get; init; } = GradientLoss.CrossEntropy;

    /// <summary>Gets <see cref="StepSize"/> or its default.</summary>
    [JsonIgnore]
    public double EffectiveStepSize => StepSize ?? (2.5 * Epsilon / Steps);

    /// <inheritdoc />
    [JsonIgnore]
    public override bool UsesGradients => true;

    /// <inheritdoc />
    public override IAttack CreateAttack(TimeProvider? timeProvider = null) => new PgdAttack(this, timeProvider);

    /// <inheritdoc />
    /// <remarks>Minus the gradient loss it climbs.</remarks>
    public override AttackCore.Reporting.LossInfo TraceLoss(bool targeted) => AttackCore.Reporting.LossInfo.ForGradient(Loss, targeted);

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        WhiteBoxChecks.Count(Steps, 1, 100_000, nameof(Steps), "ascent steps per restart");
        WhiteBoxChecks.Count(Restarts, 1, 1_000, nameof(Restarts), "runs from random starts");
        WhiteBoxChecks.Loss(Loss, nameof(Loss));
        WhiteBoxChecks.StepSize(StepSize, nameof(StepSize));
    }

    /// <inheritdoc />
    protected override void DescribeOwn(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        CultureInfo inv = CultureInfo.InvariantCulture;
        values["steps"] = Steps.ToString(inv);
        values["restarts"] = Restarts.ToString(inv);
        values["stepSize"] = EffectiveStepSize.ToString("R", inv);
        values["randomStart"] = RandomStart ? "true" : "false";
        values["loss"] = Loss.ToString();
    }

    /// <inheritdoc />
    protected internal override AttackImageState CreateImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random) =>
        new PgdImageState(goal, clean, best, random);
}
