using System.Globalization;
using System.Text.Json.Serialization;

namespace AttackCore.Attacks.Square;

/// <summary>
/// Options of <see cref="SquareAttack"/>. Values are checked when the attack is constructed;
/// a bad value throws an <see cref="ArgumentException"/> naming the option and its allowed range.
/// </summary>
public sealed record SquareAttackOptions
{
    /// <summary>Gets the norm that bounds the perturbation.</summary>
    /// <value>Defaults to <see cref="NormKind.LInf"/>.</value>
    [JsonConverter(typeof(JsonStringEnumConverter<NormKind>))]
    public NormKind Norm { get; init; } = NormKind.LInf;

    /// <summary>
    /// Gets the perturbation budget in [0,1] pixel units (0.05 = 12.75/255). For L2 it is the
    /// Euclidean norm over all 3 x height x width values.
    /// </summary>
    /// <value>Defaults to 0.05, the paper's ImageNet L-inf budget; the paper's L2 budget is 5.</value>
    public double Epsilon { get; init; } = 0.05;

    /// <summary>Gets the most queries spent on one image, counting the initialization.</summary>
    /// <value>Defaults to 10,000, the paper's budget.</value>
    public int MaxQueries { get; init; } = 10_000;

    /// <summary>
    /// Gets the initial fraction of pixels a square covers; the schedule halves it as the attack goes on.
    /// <see langword="null"/> takes the paper's value for the norm.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: 0.05 for L-inf, 0.1 for L2.</value>
    public double? PInit { get; init; }

    /// <summary>Gets the seed; the same seed, image and model give the same run.</summary>
    /// <value>Defaults to 0.</value>
    public ulong Seed { get; init; }

    /// <summary>
    /// Gets how candidates relate to the 8-bit grid; <see langword="null"/> takes the better mode for the norm.
    /// Measured on MobileNet V2 and 14 photos (bench/RESULTS.md): for L-inf both modes need the same queries and
    /// <see cref="QuantizationMode.OnGrid"/> is exact; for L2 the rounding noise of every on-grid query costs
    /// about a quarter more queries, so L2 searches continuously and checks the 8-bit image before it stops.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: <see cref="QuantizationMode.OnGrid"/> for L-inf, <see cref="QuantizationMode.AfterSuccess"/> for L2.</value>
    [JsonConverter(typeof(JsonStringEnumConverter<QuantizationMode>))]
    public QuantizationMode? Quantization { get; init; }

    /// <summary>Gets <see cref="Quantization"/> or the default for <see cref="Norm"/>.</summary>
    [JsonIgnore]
    public QuantizationMode EffectiveQuantization => Quantization ?? (Norm == NormKind.LInf ? QuantizationMode.OnGrid : QuantizationMode.AfterSuccess);

    /// <summary>Gets the most trace points kept per image (older points are thinned out, first kept).</summary>
    /// <value>Defaults to 512.</value>
    public int TraceCapacity { get; init; } = 512;

    /// <summary>Gets <see cref="PInit"/> or the paper's default for <see cref="Norm"/>.</summary>
    [JsonIgnore]
    public double EffectivePInit => PInit ?? (Norm == NormKind.LInf ? 0.05 : 0.1);

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public void Validate()
    {
        if (!double.IsFinite(Epsilon) || Epsilon <= 0 || (Norm == NormKind.LInf && Epsilon > 1))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Epsilon must be in (0, 1] for L-inf and above 0 for L2, in [0,1] pixel units (0.05 = 12.75/255); got {Epsilon}."),
                nameof(Epsilon));
        }

        if (Norm == NormKind.LInf && EffectiveQuantization == QuantizationMode.OnGrid && Epsilon < 1.0 / 255)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Epsilon {Epsilon} is below one 8-bit step (1/255 = 0.00392): no 8-bit image can differ from the clean one by that little. Use at least 1/255."),
                nameof(Epsilon));
        }

        if (MaxQueries is < 1 or > 10_000_000)
        {
            throw new ArgumentException($"MaxQueries must be between 1 and 10,000,000; got {MaxQueries}.", nameof(MaxQueries));
        }

        if (PInit is double p && (!double.IsFinite(p) || p <= 0 || p > 1))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"PInit must be in (0, 1] (the fraction of pixels in the first squares); got {p}."),
                nameof(PInit));
        }

        if (TraceCapacity is < 2 or > 100_000)
        {
            throw new ArgumentException($"TraceCapacity must be between 2 and 100,000; got {TraceCapacity}.", nameof(TraceCapacity));
        }
    }
}
