using System.Globalization;
using System.Text.Json.Serialization;

namespace AttackCore.Attacks.Square;

/// <summary>
/// Options of <see cref="SquareAttack"/> (the common ones are in <see cref="AttackOptions"/>). Values are checked
/// when the attack is constructed; a bad value throws an <see cref="ArgumentException"/> naming the option and its
/// allowed range.
/// </summary>
public sealed record SquareAttackOptions : AttackOptions
{
    /// <summary>The name users write and reports show.</summary>
    public const string Name = "square";

    /// <inheritdoc />
    public override string AttackName => Name;

    /// <summary>
    /// Gets the initial fraction of pixels a square covers; the schedule halves it as the attack goes on.
    /// <see langword="null"/> takes the paper's value for the norm.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: 0.05 for L-inf, 0.1 for L2.</value>
    public double? PInit { get; init; }

    /// <summary>
    /// Gets how candidates relate to the 8-bit grid; <see langword="null"/> takes the better mode for the norm.
    /// Measured on MobileNet V2 and 14 photos (bench/RESULTS.md): for L-inf both modes need the same queries and
    /// <see cref="QuantizationMode.OnGrid"/> is exact; for L2 the rounding noise of every on-grid query costs
    /// about a quarter more queries, so L2 searches continuously and checks the 8-bit image before it stops.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: <see cref="QuantizationMode.OnGrid"/> for L-inf, <see cref="QuantizationMode.AfterSuccess"/> for L2.</value>
    [JsonConverter(typeof(JsonStringEnumConverter<QuantizationMode>))]
    public QuantizationMode? Quantization { get; init; }

    /// <summary>Gets <see cref="Quantization"/> or the default for <see cref="AttackOptions.Norm"/>.</summary>
    [JsonIgnore]
    public QuantizationMode EffectiveQuantization => Quantization ?? (Norm == NormKind.LInf ? QuantizationMode.OnGrid : QuantizationMode.AfterSuccess);

    /// <summary>Gets <see cref="PInit"/> or the paper's default for <see cref="AttackOptions.Norm"/>.</summary>
    [JsonIgnore]
    public double EffectivePInit => PInit ?? (Norm == NormKind.LInf ? 0.05 : 0.1);

    /// <inheritdoc />
    public override IAttack CreateAttack(TimeProvider? timeProvider = null) => new SquareAttack(this, timeProvider: timeProvider);

    /// <inheritdoc />
    /// <remarks>The paper's losses: the margin untargeted, the cross-entropy of the target targeted (<see cref="MarginLoss"/>).</remarks>
    public override AttackCore.Reporting.LossInfo TraceLoss(bool targeted) => targeted ? AttackCore.Reporting.LossInfo.TargetCrossEntropy : AttackCore.Reporting.LossInfo.Margin;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (Norm == NormKind.LInf && EffectiveQuantization == QuantizationMode.OnGrid && Epsilon < 1.0 / 255)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Epsilon {Epsilon} is below one 8-bit step (1/255 = 0.00392): no 8-bit image can differ from the clean one by that little. Use at least 1/255."),
                nameof(Epsilon));
        }

        if (PInit is double p && (!double.IsFinite(p) || p <= 0 || p > 1))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"PInit must be in (0, 1] (the fraction of pixels in the first squares); got {p}."),
                nameof(PInit));
        }
    }

    /// <inheritdoc />
    protected override void DescribeOwn(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        values["pInit"] = EffectivePInit.ToString("R", CultureInfo.InvariantCulture);
        values["quantization"] = EffectiveQuantization.ToString();
    }
}
