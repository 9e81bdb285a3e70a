using System.Text.Json.Serialization;
using AttackCore.Gradients;

namespace AttackCore.Attacks.Fgsm;

/// <summary>Options of <see cref="FgsmAttack"/> (the common ones are in <see cref="AttackOptions"/>).</summary>
public sealed record FgsmOptions : AttackOptions
{
    /// <summary>The name users write and reports show.</summary>
    public const string Name = "fgsm";

    /// <inheritdoc />
    public override string AttackName => Name;

    /// <summary>Gets the loss whose gradient the step follows.</summary>
    /// <value>Defaults to <see cref="GradientLoss.CrossEntropy"/>, as in the paper.</value>
    [JsonConverter(typeof(JsonStringEnumConverter<GradientLoss>))]
    public GradientLoss Loss { get; init; } = GradientLoss.CrossEntropy;

    /// <inheritdoc />
    [JsonIgnore]
    public override bool UsesGradients => true;

    /// <inheritdoc />
    public override IAttack CreateAttack(TimeProvider? timeProvider = null) => new FgsmAttack(this, timeProvider);

    /// <inheritdoc />
    /// <remarks>Minus the gradient loss it climbs.</remarks>
    public override AttackCore.Reporting.LossInfo TraceLoss(bool targeted) => AttackCore.Reporting.LossInfo.ForGradient(Loss, targeted);

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        WhiteBoxChecks.Loss(Loss, nameof(Loss));
    }

    /// <inheritdoc />
    protected override void DescribeOwn(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        values["loss"] = Loss.ToString();
    }
}
