using System.Globalization;
using System.Text.Json.Serialization;
using AttackCore.Gradients;

namespace AttackCore.Attacks.Apgd;

/// <summary>What APGD-CE and APGD-T share (the common options are in <see cref="AttackOptions"/>).</summary>
public abstract record ApgdOptions : AttackOptions
{
    /// <summary>Gets the iterations of one run (each a step and a gradient evaluation; the start is evaluated too).</summary>
    /// <value>Defaults to 100, as in AutoAttack's standard version.</value>
    public int Iterations { get; init; } = 100;

    /// <summary>Gets the runs from fresh random starts (per target for APGD-T); the image stops at its first verified success.</summary>
    /// <value>Defaults to 1 (no restart), as in AutoAttack's standard version.</value>
    public int Restarts { get; init; } = 1;

    /// <summary>Gets the loss the runs climb.</summary>
    [JsonIgnore]
    public abstract GradientLoss Loss { get; }

    /// <summary>Gets the targets tried one after another for an untargeted goal (APGD-T); 1 for APGD-CE.</summary>
    [JsonIgnore]
    public virtual int TargetCount => 1;

    /// <inheritdoc />
    [JsonIgnore]
    public override bool UsesGradients => true;

    /// <inheritdoc />
    public override IAttack CreateAttack(TimeProvider? timeProvider = null) => new ApgdAttack(this, timeProvider);

    /// <inheritdoc />
    /// <remarks>Minus the gradient loss it climbs.</remarks>
    public override AttackCore.Reporting.LossInfo TraceLoss(bool targeted) => AttackCore.Reporting.LossInfo.ForGradient(Loss, targeted);

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        WhiteBoxChecks.Count(Iterations, 1, 100_000, nameof(Iterations), "iterations of one run");
        WhiteBoxChecks.Count(Restarts, 1, 1_000, nameof(Restarts), "runs from random starts");
    }

    /// <inheritdoc />
    protected override void DescribeOwn(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        CultureInfo inv = CultureInfo.InvariantCulture;
        values["iterations"] = Iterations.ToString(inv);
        values["restarts"] = Restarts.ToString(inv);
        values["loss"] = Loss.ToString();
    }

    /// <inheritdoc />
    protected internal override AttackImageState CreateImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random) =>
        new ApgdImageState(goal, clean, best, random);
}

/// <summary>Options of APGD-CE: APGD on the cross-entropy (<see cref="ApgdAttack"/>).</summary>
public sealed record ApgdCeOptions : ApgdOptions
{
    /// <summary>The name users write and reports show.</summary>
    public const string Name = "apgd-ce";

    /// <inheritdoc />
    public override string AttackName => Name;

    /// <inheritdoc />
    public override GradientLoss Loss => GradientLoss.CrossEntropy;
}

/// <summary>Options of APGD-T: APGD on the targeted DLR loss, over the top other classes in turn (<see cref="ApgdAttack"/>).</summary>
public sealed record ApgdTOptions : ApgdOptions
{
    /// <summary>The name users write and reports show.</summary>
    public const string Name = "apgd-t";

    /// <inheritdoc />
    public override string AttackName => Name;

    /// <summary>Gets how many of the clean image's highest other classes are tried as targets, in order, for an untargeted goal.</summary>
    /// <value>Defaults to 9, as in AutoAttack's standard version.</value>
    public int Targets { get; init; } = 9;

    /// <inheritdoc />
    public override GradientLoss Loss => GradientLoss.TargetedDlr;

    /// <inheritdoc />
    public override int TargetCount => Targets;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        WhiteBoxChecks.Count(Targets, 1, 999, nameof(Targets), "highest other classes tried as targets");
    }

    /// <inheritdoc />
    protected override void DescribeOwn(IDictionary<string, string> values)
    {
        base.DescribeOwn(values);
        values!["targets"] = Targets.ToString(CultureInfo.InvariantCulture);
    }
}
