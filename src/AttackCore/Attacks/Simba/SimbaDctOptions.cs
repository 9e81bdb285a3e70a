using System.Globalization;

namespace AttackCore.Attacks.Simba;

/// <summary>
/// Options of <see cref="SimbaDctAttack"/> (the common ones are in <see cref="AttackOptions"/>). Values are checked
/// when the attack is constructed; a bad value throws an <see cref="ArgumentException"/> naming the option and its
/// allowed range.
/// </summary>
/// <remarks>
/// SimBA-DCT is an L2 attack: unlike the other attacks, these options default to <see cref="NormKind.L2"/> and an
/// <see cref="AttackOptions.Epsilon"/> of 5 (the usual ImageNet L2 budget), and L-inf is rejected.
/// </remarks>
public sealed record SimbaDctOptions : AttackOptions
{
    /// <summary>The name users write and reports show.</summary>
    public const string Name = "simba-dct";

    /// <summary>Initializes a new instance of the <see cref="SimbaDctOptions"/> class with the L2 defaults (eps 5).</summary>
    public SimbaDctOptions()
    {
        Norm = NormKind.L2;
        Epsilon = 5.0;
    }

    /// <inheritdoc />
    public override string AttackName => Name;

    /// <summary>
    /// Gets the side of the low-frequency block of DCT coefficients searched first (all channels, in random order);
    /// <see langword="null"/> picks it from the input size. Clamped to the image size.
    /// </summary>
    /// <value>
    /// Defaults to <see langword="null"/>: 38 for 299 x 299 inputs (the authors' ImageNet setting), 28 for 224 x 224,
    /// otherwise the shorter side / 8, at least 1.
    /// </value>
    public int? FreqDims { get; init; }

    /// <summary>
    /// Gets the width of each band of higher frequencies added once the block before it is used up;
    /// <see langword="null"/> picks it from the input size.
    /// </summary>
    /// <value>
    /// Defaults to <see langword="null"/>: 9 for 299 x 299 inputs (the authors' setting), 7 for 224 x 224, otherwise the
    /// shorter side / 32, at least 1.
    /// </value>
    public int? Stride { get; init; }

    /// <summary>
    /// Gets the step added to or subtracted from one DCT coefficient per try (the paper's epsilon). The DCT is
    /// orthonormal, so one step changes the image by exactly this L2 length (before clipping to [0,1]).
    /// </summary>
    /// <value>Defaults to 0.2, the authors' ImageNet value; must be in (0, <see cref="AttackOptions.Epsilon"/>].</value>
    public double StepSize { get; init; } = 0.2;

    /// <summary>Returns <see cref="FreqDims"/> or its default for an image of the given size.</summary>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <returns>The block side, between 1 and the shorter side.</returns>
    public int EffectiveFreqDims(int height, int width)
    {
        int size = Math.Min(height, width);
        int value = FreqDims ?? (size == 299 ? 38 : (int)Math.Round(size / 8.0));
        return Math.Clamp(value, 1, Math.Max(1, size));
    }

    /// <summary>Returns <see cref="Stride"/> or its default for an image of the given size.</summary>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <returns>The band width, at least 1.</returns>
    public int EffectiveStride(int height, int width)
    {
        int size = Math.Min(height, width);
        return Math.Max(1, Stride ?? (size == 299 ? 9 : (int)Math.Round(size / 32.0)));
    }

    /// <inheritdoc />
    public override IAttack CreateAttack(TimeProvider? timeProvider = null) => new SimbaDctAttack(this, timeProvider: timeProvider);

    /// <inheritdoc />
    /// <remarks>The log of the probability SimBA moves (<see cref="SimbaProbabilityLoss"/>).</remarks>
    public override AttackCore.Reporting.LossInfo TraceLoss(bool targeted) => AttackCore.Reporting.LossInfo.CrossEntropy(targeted);

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (Norm != NormKind.L2)
        {
            throw new ArgumentException($"Norm must be L2 for {Name}: the attack takes coordinate steps in an orthonormal DCT basis, which only the L2 norm measures directly; got {Norm}.", nameof(Norm));
        }

        if (FreqDims is < 1 or > 4096)
        {
            throw new ArgumentException($"FreqDims must be between 1 and 4096 (or null for the default by input size); got {FreqDims}.", nameof(FreqDims));
        }

        if (Stride is < 1 or > 4096)
        {
            throw new ArgumentException($"Stride must be between 1 and 4096 (or null for the default by input size); got {Stride}.", nameof(Stride));
        }

        if (!double.IsFinite(StepSize) || StepSize <= 0 || StepSize > Epsilon)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"StepSize must be in (0, Epsilon] = (0, {Epsilon}] (the L2 length of one DCT coefficient step); got {StepSize}."),
                nameof(StepSize));
        }
    }

    /// <inheritdoc />
    protected override void DescribeOwn(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        CultureInfo inv = CultureInfo.InvariantCulture;
        values["freqDims"] = FreqDims?.ToString(inv) ?? "auto (38 at 299, shorter side / 8 otherwise)";
        values["stride"] = Stride?.ToString(inv) ?? "auto (9 at 299, shorter side / 32 otherwise)";
        values["stepSize"] = StepSize.ToString("R", inv);
        values["loss"] = "class-probability";
    }

    /// <inheritdoc />
    protected internal override AttackImageState CreateImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random) =>
        new SimbaImageState(goal, clean, best, random);
}
