using System.Globalization;
using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Engine;

namespace AdvAudit.Functions.Settings;

/// <summary>The attack every upload gets unless its blob metadata says otherwise (section <c>Attack</c>).</summary>
public sealed class AttackDefaults
{
    /// <summary>The section name.</summary>
    public const string Section = "Attack";

    /// <summary>The largest query budget per image the service accepts (from settings, metadata or an audit).</summary>
    public const int MaxQueriesLimit = 1_000_000;

    /// <summary>
    /// Gets or sets the attack plan: attack specs separated by <c>;</c>, run in order (see <see cref="PlanMode"/>), each a
    /// name with optional per-attack options, e.g. <c>square;simba-dct:maxQueries=5000</c> (see <see cref="AttackCatalog"/>).
    /// </summary>
    /// <value>Defaults to <c>square</c>.</value>
    public string Attacks { get; set; } = SquareAttackOptions.Name;

    /// <summary>Gets or sets how a plan's attacks share the images: <c>first-success</c> or <c>all</c>.</summary>
    /// <value>Defaults to <c>first-success</c>.</value>
    public string PlanMode { get; set; } = "first-success";

    /// <summary>Gets or sets the norm: <c>linf</c>, <c>l2</c>, or empty for each attack's own (L-inf; L2 for SimBA-DCT).</summary>
    /// <value>Defaults to empty.</value>
    public string? Norm { get; set; }

    /// <summary>Gets or sets the budget in [0,1] pixel units; <see langword="null"/> takes the norm's default.</summary>
    /// <value>Defaults to <see langword="null"/>: 0.05 for L-inf, 5 for L2.</value>
    public double? Eps { get; set; }

    /// <summary>Gets or sets the queries per image, including the initialization.</summary>
    /// <value>Defaults to 10,000. Between 1 and 1,000,000.</value>
    public int MaxQueries { get; set; } = 10_000;

    /// <summary>Gets or sets the random seed.</summary>
    /// <value>Defaults to 0.</value>
    public ulong Seed { get; set; }

    /// <summary>Gets or sets the target of a targeted attack (a label, an output index, <c>random</c> or <c>least-likely</c>); empty is untargeted.</summary>
    /// <value>Defaults to empty (untargeted).</value>
    public string? Target { get; set; }

    /// <summary>Gets or sets a value indicating whether a successful perturbation is shrunk to the smallest that still fools the model.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool Minimize { get; set; } = true;

    /// <summary>Gets or sets the most attack iterations (one query per running image each) one activity runs before it checkpoints.</summary>
    /// <value>Defaults to 500. Between 1 and 100,000.</value>
    public int SliceQueries { get; set; } = 500;

    /// <summary>Gets or sets the most seconds one activity attacks before it checkpoints.</summary>
    /// <value>Defaults to 60. Between 1 and 600 (keep it well under the host's functionTimeout).</value>
    public int SliceSeconds { get; set; } = 60;

    /// <summary>Gets or sets how many slices one orchestration execution runs before it continues as new (keeps the history small).</summary>
    /// <value>Defaults to 10. Between 1 and 1,000.</value>
    public int SlicesPerExecution { get; set; } = 10;

    /// <summary>Gets the app settings' names of the attack settings (<c>Attack__MaxQueries</c>, ...), as their errors name them.</summary>
    public static AttackSettingNames Names { get; } = new(new Dictionary<AttackSetting, string>
    {
        [AttackSetting.Attacks] = SettingNames.AttackAttacks,
        [AttackSetting.PlanMode] = SettingNames.AttackPlanMode,
        [AttackSetting.Norm] = SettingNames.AttackNorm,
        [AttackSetting.Epsilon] = SettingNames.AttackEps,
        [AttackSetting.MaxQueries] = SettingNames.AttackMaxQueries,
        [AttackSetting.Seed] = SettingNames.AttackSeed,
        [AttackSetting.Target] = SettingNames.AttackTarget,
        [AttackSetting.Minimize] = SettingNames.AttackMinimize,
    })
    {
        MaxQueriesLimit = MaxQueriesLimit,
    };

    /// <summary>Reads these settings with the engine's settings parser (the same one that reads blob metadata and audit options).</summary>
    /// <returns>The settings.</returns>
    /// <exception cref="ArgumentException">A value cannot be read; the message names the app setting.</exception>
    public AttackSettings ToSettings()
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        var texts = new List<KeyValuePair<AttackSetting, string>>
        {
            new(AttackSetting.Attacks, Attacks ?? string.Empty),
            new(AttackSetting.PlanMode, PlanMode ?? string.Empty),
            new(AttackSetting.MaxQueries, MaxQueries.ToString(inv)),
            new(AttackSetting.Seed, Seed.ToString(inv)),
            new(AttackSetting.Minimize, Minimize ? "true" : "false"),
        };
        if (!string.IsNullOrWhiteSpace(Norm))
        {
            texts.Add(new(AttackSetting.Norm, Norm));
        }

        if (Eps is double eps)
        {
            texts.Add(new(AttackSetting.Epsilon, eps.ToString("R", inv)));
        }

        if (!string.IsNullOrWhiteSpace(Target))
        {
            texts.Add(new(AttackSetting.Target, Target));
        }

        return new AttackSettings().Apply(texts, Names);
    }

    /// <summary>Gets the norms the plan's attacks will use (each attack's own where <see cref="Norm"/> is empty); empty when the settings do not parse.</summary>
    /// <returns>The norms, one per attack.</returns>
    public IReadOnlyList<NormKind> PlanNorms()
    {
        try
        {
            return (ToSettings() with { Epsilon = null }).ToRequest(Names).Attacks.Select(a => a.Norm).ToList();
        }
        catch (ArgumentException)
        {
            return [];
        }
    }

    /// <summary>Builds the engine request these settings describe.</summary>
    /// <returns>The validated request.</returns>
    /// <exception cref="ArgumentException">A setting is invalid, the plan names no attack, or an attack's option is invalid.</exception>
    public AttackRequest ToRequest() => ToSettings().ToRequest(Names);

    /// <summary>Gets the slice budget of one activity.</summary>
    /// <returns>The budget.</returns>
    public StepBudget SliceBudget() => new(MaxIterations: SliceQueries, MaxDuration: TimeSpan.FromSeconds(SliceSeconds));
}
