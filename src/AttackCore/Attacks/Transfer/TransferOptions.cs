using System.Globalization;
using System.Text.Json.Serialization;
using AttackCore.Gradients;

namespace AttackCore.Attacks.Transfer;

/// <summary>Options of <see cref="TransferAttack"/> (the common ones are in <see cref="AttackOptions"/>).</summary>
public sealed record TransferOptions : AttackOptions
{
    /// <summary>The name users write and reports show.</summary>
    public const string Name = "transfer";

    /// <inheritdoc />
    public override string AttackName => Name;

    /// <summary>Gets the momentum iterations T crafted on the surrogates before the one query to the target (1 to 10,000).</summary>
    /// <value>Defaults to 10, as in the published zero-query comparisons.</value>
    public int Iterations { get; init; } = 10;

    /// <summary>Gets the momentum decay mu of MI-FGSM (0 to 10; 0 is iterative FGSM without momentum).</summary>
    /// <value>Defaults to 1.0 (Dong et al.).</value>
    public double Momentum { get; init; } = 1.0;

    /// <summary>Gets the step length alpha in [0,1] pixel units; <see langword="null"/> takes eps / <see cref="Iterations"/>.</summary>
    /// <value>Defaults to <see langword="null"/> (eps / T, so T steps can reach the edge of the ball).</value>
    public double? StepSize { get; init; }

    /// <summary>Gets a value indicating whether each gradient is taken at a randomly resized and padded image (DI, Xie et al.).</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool InputDiversity { get; init; }

    /// <summary>Gets the probability that an iteration transforms the image when <see cref="InputDiversity"/> is on (0 to 1).</summary>
    /// <value>Defaults to 0.5 (Xie et al.).</value>
    public double DiversityProbability { get; init; } = 0.5;

    /// <summary>
    /// Gets the padded size as a multiple of the input (1.01 to 2): the image is resized to a random size in
    /// [H, scale H) and padded with zeros to scale H at a random offset.
    /// </summary>
    /// <value>Defaults to 1.1 (299 to 330 in Xie et al.).</value>
    public double DiversityScale { get; init; } = 1.1;

    /// <summary>Gets a value indicating whether the gradient is smoothed by a Gaussian kernel before the step (TI, Dong et al. 2019).</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool TranslationInvariance { get; init; }

    /// <summary>Gets the side of the TI kernel in pixels (odd, 3 to 31).</summary>
    /// <value>Defaults to 7, the small end of the published 7-15 for inputs of 160-224 pixels.</value>
    public int KernelSize { get; init; } = 7;

    /// <summary>Gets the standard deviation of the TI kernel in pixels; <see langword="null"/> takes (size - 1) / 6, so the kernel spans 3 sigma each side.</summary>
    /// <value>Defaults to <see langword="null"/> (the reference's <c>linspace(-3, 3, size)</c>).</value>
    public double? KernelSigma { get; init; }

    /// <summary>Gets the surrogates' loss the iterations climb (a targeted run climbs the target's).</summary>
    /// <value>Defaults to <see cref="GradientLoss.CrossEntropy"/>, as in the papers.</value>
    [JsonConverter(typeof(JsonStringEnumConverter<GradientLoss>))]
    public GradientLoss Loss { get; init; } = GradientLoss.CrossEntropy;

    /// <summary>Gets <see cref="StepSize"/> or its default.</summary>
    [JsonIgnore]
    public double EffectiveStepSize => StepSize ?? (Epsilon / Iterations);

    /// <summary>Gets <see cref="KernelSigma"/> or its default.</summary>
    [JsonIgnore]
    public double EffectiveKernelSigma => KernelSigma ?? ((KernelSize - 1) / 6.0);

    /// <inheritdoc />
    [JsonIgnore]
    public override bool UsesSurrogates => true;

    /// <inheritdoc />
    public override IAttack CreateAttack(TimeProvider? timeProvider = null) => new TransferAttack(this, timeProvider);

    /// <inheritdoc />
    /// <remarks>The trace holds the loss of the surrogate ensemble's attack loss (<see cref="Loss"/>), as for the white-box attacks.</remarks>
    public override AttackCore.Reporting.LossInfo TraceLoss(bool targeted) => AttackCore.Reporting.LossInfo.ForGradient(Loss, targeted);

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        WhiteBoxChecks.Count(Iterations, 1, 10_000, nameof(Iterations), "momentum iterations on the surrogates");
        WhiteBoxChecks.Loss(Loss, nameof(Loss));
        Range(Momentum, 0, 10, nameof(Momentum), "the momentum decay");
        Range(DiversityProbability, 0, 1, nameof(DiversityProbability), "the probability of a diverse input");
        Range(DiversityScale, 1.01, 2, nameof(DiversityScale), "the padded size as a multiple of the input");
        if (KernelSize is < 3 or > 31 || KernelSize % 2 == 0)
        {
            throw new ArgumentException($"KernelSize must be odd, from 3 to 31 pixels; got {KernelSize}.", nameof(KernelSize));
        }

        if (KernelSigma is double sigma && (!double.IsFinite(sigma) || sigma <= 0))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"KernelSigma must be above 0 pixels; got {sigma}."), nameof(KernelSigma));
        }

        WhiteBoxChecks.StepSize(StepSize, nameof(StepSize));
    }

    /// <inheritdoc />
    protected override void DescribeOwn(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        CultureInfo inv = CultureInfo.InvariantCulture;
        values["iterations"] = Iterations.ToString(inv);
        values["momentum"] = Momentum.ToString("R", inv);
        values["stepSize"] = EffectiveStepSize.ToString("R", inv);
        values["inputDiversity"] = InputDiversity ? "true" : "false";
        values["translationInvariance"] = TranslationInvariance ? "true" : "false";
        if (InputDiversity)
        {
            values["diversityProbability"] = DiversityProbability.ToString("R", inv);
            values["diversityScale"] = DiversityScale.ToString("R", inv);
        }

        if (TranslationInvariance)
        {
            values["kernelSize"] = KernelSize.ToString(inv);
            values["kernelSigma"] = EffectiveKernelSigma.ToString("R", inv);
        }

        values["loss"] = Loss.ToString();
    }

    /// <inheritdoc />
    protected internal override AttackImageState CreateImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random) =>
        new TransferImageState(goal, clean, best, random);

    private static void Range(double value, double min, double max, string name, string what)
    {
        if (!double.IsFinite(value) || value < min || value > max)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} ({what}) must be from {min} to {max}; got {value}."), name);
        }
    }
}
