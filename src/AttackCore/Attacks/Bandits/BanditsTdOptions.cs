using System.Globalization;

namespace AttackCore.Attacks.Bandits;

/// <summary>
/// Options of <see cref="BanditsTdAttack"/> (the common ones are in <see cref="AttackOptions"/>). Every step size
/// left <see langword="null"/> takes the value of the authors' ImageNet configuration for the norm
/// (github.com/MadryLab/blackbox-bandits, <c>src/configs/linf.json</c> and <c>src/configs/l2.json</c>), tuned there
/// for Inception v3 at L-inf 0.05 and L2 5.0. Values are checked when the attack is constructed; a bad value throws an
/// <see cref="ArgumentException"/> naming the option and its allowed range.
/// </summary>
public sealed record BanditsTdOptions : AttackOptions
{
    /// <summary>The name users write and reports show.</summary>
    public const string Name = "bandits-td";

    /// <summary>The side of a prior tile in pixels when <see cref="TileSize"/> is not given.</summary>
    public const int DefaultTileSize = 6;

    /// <inheritdoc />
    public override string AttackName => Name;

    /// <summary>
    /// Gets the finite-difference step (the paper's eta): the two probes are the image plus <c>FdEta</c> times the unit
    /// (L2) vector of each exploration direction.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: 0.1 for L-inf, 0.01 for L2 (the reference's <c>fd_eta</c>).</value>
    public double? FdEta { get; init; }

    /// <summary>Gets the image step size (the paper's h): the L-inf step is <c>ImageLr x sign(prior)</c>, the L2 step has norm <c>ImageLr</c>.</summary>
    /// <value>Defaults to <see langword="null"/>: 0.01 for L-inf, 0.5 for L2 (the reference's <c>image_lr</c>).</value>
    public double? ImageLr { get; init; }

    /// <summary>
    /// Gets the prior's step size (the paper's eta for the bandit update): the exponentiated-gradient rate for L-inf,
    /// the gradient-step rate for L2.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: 100 for L-inf, 0.1 for L2 (the reference's <c>online_lr</c>).</value>
    public double? OnlineLr { get; init; }

    /// <summary>
    /// Gets the exploration scale (the paper's delta): the probes are <c>prior +- Exploration x u / sqrt(d)</c>, with u
    /// standard normal on the prior's grid of d values.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: 1.0 for L-inf, 0.01 for L2 (the reference's <c>exploration</c>).</value>
    public double? Exploration { get; init; }

    /// <summary>
    /// Gets the side, in pixels, of the square tiles that share one prior value (the data-dependent prior); 1 gives a
    /// prior per pixel (Bandits-T). The reference's <c>tile_size</c> 50 is, despite its name, the side of the prior
    /// grid (50 x 50, upsampled to 299 x 299), that is tiles of about 6 pixels; this option states the tile in pixels
    /// so the same value suits every input size.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: <see cref="DefaultTileSize"/> (6) pixels for both norms.</value>
    public int? TileSize { get; init; }

    /// <summary>Gets <see cref="FdEta"/> or the reference's value for <see cref="AttackOptions.Norm"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double EffectiveFdEta => FdEta ?? (Norm == NormKind.LInf ? 0.1 : 0.01);

    /// <summary>Gets <see cref="ImageLr"/> or the reference's value for <see cref="AttackOptions.Norm"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double EffectiveImageLr => ImageLr ?? (Norm == NormKind.LInf ? 0.01 : 0.5);

    /// <summary>Gets <see cref="OnlineLr"/> or the reference's value for <see cref="AttackOptions.Norm"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double EffectiveOnlineLr => OnlineLr ?? (Norm == NormKind.LInf ? 100 : 0.1);

    /// <summary>Gets <see cref="Exploration"/> or the reference's value for <see cref="AttackOptions.Norm"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double EffectiveExploration => Exploration ?? (Norm == NormKind.LInf ? 1.0 : 0.01);

    /// <summary>Gets <see cref="TileSize"/> or <see cref="DefaultTileSize"/>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int EffectiveTileSize => TileSize ?? DefaultTileSize;

    /// <inheritdoc />
    public override IAttack CreateAttack(TimeProvider? timeProvider = null) => new BanditsTdAttack(this, timeProvider: timeProvider);

    /// <inheritdoc />
    /// <remarks>The reference's cross-entropy (<see cref="CrossEntropyLoss"/>).</remarks>
    public override AttackCore.Reporting.LossInfo TraceLoss(bool targeted) => AttackCore.Reporting.LossInfo.CrossEntropy(targeted);

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (MaxQueries < BanditsTdAttack.QueriesPerIteration)
        {
            throw new ArgumentException(
                $"MaxQueries must be at least {BanditsTdAttack.QueriesPerIteration} for Bandits-TD (one iteration costs two probes and one score); got {MaxQueries}.",
                nameof(MaxQueries));
        }

        if (Norm == NormKind.LInf && Epsilon < 1.0 / 255)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Epsilon {Epsilon} is below one 8-bit step (1/255 = 0.00392): no 8-bit image can differ from the clean one by that little. Use at least 1/255."),
                nameof(Epsilon));
        }

        CheckPositive(FdEta, nameof(FdEta), 10);
        CheckPositive(ImageLr, nameof(ImageLr), 1000);
        CheckPositive(OnlineLr, nameof(OnlineLr), 1e6);
        CheckPositive(Exploration, nameof(Exploration), 1000);
        if (TileSize is < 1 or > 4096)
        {
            throw new ArgumentException($"TileSize must be between 1 and 4096 pixels; got {TileSize}.", nameof(TileSize));
        }
    }

    /// <inheritdoc />
    protected override void DescribeOwn(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        CultureInfo inv = CultureInfo.InvariantCulture;
        values["fdEta"] = EffectiveFdEta.ToString("R", inv);
        values["imageLr"] = EffectiveImageLr.ToString("R", inv);
        values["onlineLr"] = EffectiveOnlineLr.ToString("R", inv);
        values["exploration"] = EffectiveExploration.ToString("R", inv);
        values["tileSize"] = EffectiveTileSize.ToString(inv);
    }

    /// <inheritdoc />
    protected internal override AttackImageState CreateImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random) =>
        new BanditsImageState(goal, clean, best, random);

    private static void CheckPositive(double? value, string name, double max)
    {
        if (value is double v && (!double.IsFinite(v) || v <= 0 || v > max))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} must be in (0, {max}]; got {v}."), name);
        }
    }
}
