using System.Globalization;
using System.Text.Json.Serialization;
using AttackCore.Attacks.Square;

namespace AttackCore.Attacks;

/// <summary>
/// What every attack is configured with: the norm and size of the perturbation budget, the query budget,
/// the seed and the trace size. Each attack derives its own options record from this one (<c>XOptions</c> in its
/// folder) and adds what is particular to it. Values are checked when the attack is constructed; a bad value throws
/// an <see cref="ArgumentException"/> naming the option and its allowed range.
/// </summary>
/// <remarks>
/// The options are saved as JSON (in attack states, in checkpoint jobs and in audit plans) with an <c>attack</c>
/// discriminator, so a list of options of different attacks (an attack plan) reads back as the same types.
/// </remarks>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "attack")]
[JsonDerivedType(typeof(SquareAttackOptions), SquareAttackOptions.Name)]
[JsonDerivedType(typeof(AttackCore.Attacks.Simba.SimbaDctOptions), AttackCore.Attacks.Simba.SimbaDctOptions.Name)]
[JsonDerivedType(typeof(AttackCore.Attacks.Bandits.BanditsTdOptions), AttackCore.Attacks.Bandits.BanditsTdOptions.Name)]
[JsonDerivedType(typeof(AttackCore.Attacks.HopSkipJump.HopSkipJumpOptions), AttackCore.Attacks.HopSkipJump.HopSkipJumpOptions.Name)]
[JsonDerivedType(typeof(AttackCore.Attacks.Fgsm.FgsmOptions), AttackCore.Attacks.Fgsm.FgsmOptions.Name)]
[JsonDerivedType(typeof(AttackCore.Attacks.Pgd.PgdOptions), AttackCore.Attacks.Pgd.PgdOptions.Name)]
[JsonDerivedType(typeof(AttackCore.Attacks.Apgd.ApgdCeOptions), AttackCore.Attacks.Apgd.ApgdCeOptions.Name)]
[JsonDerivedType(typeof(AttackCore.Attacks.Apgd.ApgdTOptions), AttackCore.Attacks.Apgd.ApgdTOptions.Name)]
[JsonDerivedType(typeof(AttackCore.Attacks.Transfer.TransferOptions), AttackCore.Attacks.Transfer.TransferOptions.Name)]
[JsonDerivedType(typeof(AttackCore.Attacks.Gfcs.GfcsOptions), AttackCore.Attacks.Gfcs.GfcsOptions.Name)]
public abstract record AttackOptions
{
    /// <summary>Gets the attack's name as users write it (<c>square</c>, <c>simba-dct</c>, ...), also written into reports.</summary>
    [JsonIgnore]
    public abstract string AttackName { get; }

    /// <summary>Gets the norm that bounds the perturbation.</summary>
    /// <value>Defaults to <see cref="NormKind.LInf"/>.</value>
    [JsonConverter(typeof(JsonStringEnumConverter<NormKind>))]
    public NormKind Norm { get; init; } = NormKind.LInf;

    /// <summary>
    /// Gets the perturbation budget in [0,1] pixel units (0.05 = 12.75/255). For L2 it is the
    /// Euclidean norm over all 3 x height x width values.
    /// </summary>
    /// <value>Defaults to 0.05, the usual ImageNet L-inf budget; the usual L2 budget is 5.</value>
    public double Epsilon { get; init; } = 0.05;

    /// <summary>Gets the most queries spent on one image, counting every model call the attack makes for it.</summary>
    /// <value>Defaults to 10,000, the budget of the published comparisons.</value>
    public int MaxQueries { get; init; } = 10_000;

    /// <summary>Gets the seed; the same seed, image and model give the same run.</summary>
    /// <value>Defaults to 0.</value>
    public ulong Seed { get; init; }

    /// <summary>Gets the most trace points kept per image (older points are thinned out, first kept).</summary>
    /// <value>Defaults to 512.</value>
    public int TraceCapacity { get; init; } = 512;

    /// <summary>
    /// Gets a value indicating whether the attack reads the model's scores. A decision-based attack (one that only
    /// needs the top-1 label) returns <see langword="false"/>, and the engine then gives it a classifier that exposes
    /// labels only.
    /// </summary>
    [JsonIgnore]
    public virtual bool UsesScores => true;

    /// <summary>
    /// Gets a value indicating whether the attack is white-box: it needs the model's gradients (the engine then gives it
    /// a classifier that also implements <see cref="AttackCore.Gradients.IGradientModel"/>).
    /// </summary>
    [JsonIgnore]
    public virtual bool UsesGradients => false;

    /// <summary>
    /// Gets a value indicating whether the attack crafts on surrogate models (transfer, GFCS): the engine then gives it
    /// the target's scores through a classifier that also implements <see cref="AttackCore.Gradients.ISurrogateModels"/>.
    /// </summary>
    [JsonIgnore]
    public virtual bool UsesSurrogates => false;

    /// <summary>Builds the attack these options describe.</summary>
    /// <param name="timeProvider">The clock for time-bounded slices; defaults to the system clock.</param>
    /// <returns>The attack.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public abstract IAttack CreateAttack(TimeProvider? timeProvider = null);

    /// <summary>
    /// Describes the loss this attack records in its trace (the attack's own loss, lower is better for it), which the
    /// report's loss chart is labelled with; a decision-based attack records its distance to the clean image.
    /// </summary>
    /// <param name="targeted">Whether the run is targeted (several attacks switch losses then).</param>
    /// <returns>The loss's name, chart label and definition.</returns>
    public abstract AttackCore.Reporting.LossInfo TraceLoss(bool targeted);

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public virtual void Validate()
    {
        if (!double.IsFinite(Epsilon) || Epsilon <= 0 || (Norm == NormKind.LInf && Epsilon > 1))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Epsilon must be in (0, 1] for L-inf and above 0 for L2, in [0,1] pixel units (0.05 = 12.75/255); got {Epsilon}."),
                nameof(Epsilon));
        }

        if (MaxQueries is < 1 or > 10_000_000)
        {
            throw new ArgumentException($"MaxQueries must be between 1 and 10,000,000; got {MaxQueries}.", nameof(MaxQueries));
        }

        if (TraceCapacity is < 2 or > 100_000)
        {
            throw new ArgumentException($"TraceCapacity must be between 2 and 100,000; got {TraceCapacity}.", nameof(TraceCapacity));
        }
    }

    /// <summary>Lists every option as text, for reports: the common ones and the attack's own.</summary>
    /// <returns>Option name to value, sorted by name.</returns>
    public IReadOnlyDictionary<string, string> Describe()
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["attack"] = AttackName,
            ["norm"] = Norm.ToString().ToLowerInvariant(),
            ["eps"] = Epsilon.ToString("R", inv),
            ["maxQueries"] = MaxQueries.ToString(inv),
            ["seed"] = Seed.ToString(inv),
        };
        DescribeOwn(values);
        return values;
    }

    /// <summary>Adds the attack's own options (with their effective values, defaults resolved) to <paramref name="values"/>.</summary>
    /// <param name="values">Option name to value.</param>
    protected abstract void DescribeOwn(IDictionary<string, string> values);

    /// <summary>
    /// Makes the per-image state of a new or restored run. An attack that keeps more per image than
    /// <see cref="AttackImageState"/> holds returns its own subclass (which saves the extra data itself).
    /// </summary>
    /// <param name="goal">What the attack wants for the image.</param>
    /// <param name="clean">The clean image; the state owns it.</param>
    /// <param name="best">The best image; the state owns it.</param>
    /// <param name="random">The image's random stream.</param>
    /// <returns>The image state.</returns>
    protected internal virtual AttackImageState CreateImageState(AttackGoal goal, float[] clean, float[] best, SeededRandom random) =>
        new(goal, clean, best, random);
}
