using System.Globalization;
using System.Text.Json.Serialization;
using AttackCore.Attacks;
using AttackCore.Attacks.Square;

namespace AttackCore.Engine;

/// <summary>What to do to each image: the attack's options, an optional target, and the minimization after success.</summary>
public sealed record AttackRequest
{
    /// <summary>Gets the attack plan: the attacks to run on each image, in order (see <see cref="PlanMode"/>).</summary>
    /// <value>Defaults to one Square Attack, untargeted L-inf, eps 0.05, 10,000 queries.</value>
    public IReadOnlyList<AttackOptions> Attacks { get; init; } = [new SquareAttackOptions()];

    /// <summary>Gets or sets (at init) the first attack of the plan; setting it makes a plan of that one attack.</summary>
    [JsonIgnore]
    public AttackOptions Attack
    {
        get => Attacks[0];
        init => Attacks = [value ?? throw new ArgumentNullException(nameof(value))];
    }

    /// <summary>Gets whether later attacks of the plan run only on images the earlier ones did not fool, or on all.</summary>
    /// <value>Defaults to <see cref="PlanMode.FirstSuccess"/>.</value>
    [JsonConverter(typeof(JsonStringEnumConverter<PlanMode>))]
    public PlanMode PlanMode { get; init; } = PlanMode.FirstSuccess;

    /// <summary>
    /// Gets the target class for a targeted attack: a label, an output index, <c>random</c> or
    /// <c>least-likely</c> (see <see cref="TargetResolver"/>); <see langword="null"/> for untargeted.
    /// </summary>
    /// <value>Defaults to <see langword="null"/> (untargeted).</value>
    public string? Target { get; init; }

    /// <summary>
    /// Gets a value indicating whether, after a success, the perturbation is shrunk by a binary search
    /// on its scale to the smallest that still fools the model (eps* in the report).
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool Minimize { get; init; } = true;

    /// <summary>Gets the binary-search steps of the minimization (one batched query each).</summary>
    /// <value>Defaults to 10 (eps* within 0.1 % of the found perturbation's scale).</value>
    public int MinimizeSteps { get; init; } = 10;

    /// <summary>
    /// Gets how many times the attack goes on when the re-read PNG does not fool the model (before the
    /// image is reported as not fooled).
    /// </summary>
    /// <value>Defaults to 2.</value>
    public int VerificationRetries { get; init; } = 2;

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentException">A value is invalid; the message names it.</exception>
    public void Validate()
    {
        if (Attacks is null || Attacks.Count == 0)
        {
            throw new ArgumentException("The attack plan is empty; name at least one attack.", nameof(Attacks));
        }

        if (Attacks.Count > 8)
        {
            throw new ArgumentException($"An attack plan holds at most 8 attacks; got {Attacks.Count}.", nameof(Attacks));
        }

        foreach (AttackOptions attack in Attacks)
        {
            attack.Validate();
        }

        if (MinimizeSteps is < 1 or > 50)
        {
            throw new ArgumentException($"MinimizeSteps must be between 1 and 50; got {MinimizeSteps}.", nameof(MinimizeSteps));
        }

        if (VerificationRetries is < 0 or > 10)
        {
            throw new ArgumentException($"VerificationRetries must be between 0 and 10; got {VerificationRetries}.", nameof(VerificationRetries));
        }
    }

    /// <summary>Lists the options of one attack of the plan and the request's own, as text, for reports.</summary>
    /// <param name="attack">The attack; defaults to the first of the plan.</param>
    /// <returns>Option name to value.</returns>
    public IReadOnlyDictionary<string, string> Describe(AttackOptions? attack = null)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        attack ??= Attack;
        var values = new SortedDictionary<string, string>(attack.Describe().ToDictionary(), StringComparer.Ordinal)
        {
            ["target"] = Target ?? "none",
            ["minimize"] = Minimize ? "true" : "false",
            ["minimizeSteps"] = MinimizeSteps.ToString(inv),
            ["verificationRetries"] = VerificationRetries.ToString(inv),
        };
        if (attack is SquareAttackOptions)
        {
            values["loss"] = Target is null ? "margin" : "cross-entropy";
        }

        if (Attacks.Count > 1)
        {
            values["plan"] = string.Join(",", Attacks.Select(a => a.AttackName));
            values["planMode"] = PlanMode.ToString();
        }

        return values;
    }
}

/// <summary>How the attacks of a plan share the images.</summary>
public enum PlanMode
{
    /// <summary>Each attack runs only on the images no earlier attack fooled (with a verified adversarial image); the report's result is the first success.</summary>
    FirstSuccess,

    /// <summary>Every attack runs on every image, for comparison; the report's result is the first successful attempt in plan order, and every attempt is listed.</summary>
    All,
}

/// <summary>Progress of a running batch, for a progress display.</summary>
/// <param name="ImagesDone">Images finished (fooled, exhausted or skipped).</param>
/// <param name="ImagesTotal">Images in the batch.</param>
/// <param name="Queries">Queries spent so far, summed over images.</param>
/// <param name="LowestMargin">The lowest best-margin among images still running (zero or below means fooled); <see langword="null"/> when none runs.</param>
/// <param name="Attack">The name of the running attack of the plan, or <see langword="null"/> when the plan is over.</param>
/// <param name="Stage">The running attack's position in the plan, from 0.</param>
/// <param name="Stages">The attacks in the plan.</param>
/// <param name="StageImages">Images the running attack works on (in a first-success plan, those no earlier attack fooled).</param>
/// <param name="StageDone">Of those, the images it is done with.</param>
/// <param name="ImagesFinished">Images no attack of the plan will work on again.</param>
public sealed record AttackProgress(
    int ImagesDone,
    int ImagesTotal,
    long Queries,
    double? LowestMargin,
    string? Attack = null,
    int Stage = 0,
    int Stages = 1,
    int StageImages = 0,
    int StageDone = 0,
    int ImagesFinished = 0);
