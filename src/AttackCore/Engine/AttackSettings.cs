using System.Globalization;
using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Reporting;

namespace AttackCore.Engine;

/// <summary>A setting users give for a whole run, whatever the front door (command line, blob metadata, audit body).</summary>
public enum AttackSetting
{
    /// <summary>The attack plan: attack specs such as <c>square</c> or <c>simba-dct:maxQueries=5000</c>, separated by <c>;</c>.</summary>
    Attacks,

    /// <summary>The plan mode: <c>first-success</c> or <c>all</c>.</summary>
    PlanMode,

    /// <summary>The norm: <c>linf</c> or <c>l2</c>.</summary>
    Norm,

    /// <summary>The budget: a decimal (<c>0.03</c>) or a fraction (<c>8/255</c>).</summary>
    Epsilon,

    /// <summary>The query budget per image and attack.</summary>
    MaxQueries,

    /// <summary>The seed (an unsigned integer).</summary>
    Seed,

    /// <summary>The target: a label, an output index, <c>random</c> or <c>least-likely</c>; <c>none</c> or empty for untargeted.</summary>
    Target,

    /// <summary>Whether to shrink a successful perturbation: <c>true</c> or <c>false</c>.</summary>
    Minimize,

    /// <summary>The binary-search steps of that shrinking.</summary>
    MinimizeSteps,

    /// <summary>Square Attack's <c>pInit</c> for every square attack of the plan (an alias of <c>square:pInit=...</c>).</summary>
    PInit,

    /// <summary>Square Attack's <c>quantization</c> for every square attack of the plan (<c>on-grid</c> or <c>after-success</c>).</summary>
    Quantization,
}

/// <summary>
/// How one front door names the settings it accepts (<c>--max-queries</c> on the command line, <c>advaudit_max_queries</c>
/// in blob metadata, <c>options.maxQueries</c> in an audit body), so that every error names the setting as that door's
/// user writes it; and the largest query budget the door allows.
/// </summary>
public sealed class AttackSettingNames
{
    private readonly Dictionary<AttackSetting, string> _names;
    private readonly Dictionary<string, AttackSetting> _settings;

    /// <summary>Initializes a new instance of the <see cref="AttackSettingNames"/> class.</summary>
    /// <param name="names">The door's name of each setting it accepts.</param>
    /// <param name="comparer">How names given to <see cref="TryFind"/> are compared; defaults to ordinal (exact).</param>
    /// <exception cref="ArgumentException">Two settings share a name.</exception>
    public AttackSettingNames(IReadOnlyDictionary<AttackSetting, string> names, StringComparer? comparer = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        _names = names.ToDictionary();
        _settings = new Dictionary<string, AttackSetting>(comparer ?? StringComparer.Ordinal);
        foreach ((AttackSetting setting, string name) in _names.OrderBy(p => p.Key))
        {
            if (!_settings.TryAdd(name, setting))
            {
                throw new ArgumentException($"The name '{name}' is given to two settings.", nameof(names));
            }
        }

        Names = [.. _names.OrderBy(p => p.Key).Select(p => p.Value)];
    }

    /// <summary>Gets the names the door accepts, in the order of <see cref="AttackSetting"/>.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Gets the largest query budget the door accepts (a service may cap it below the engine's limit).</summary>
    /// <value>Defaults to 10,000,000, the engine's limit.</value>
    public int MaxQueriesLimit { get; init; } = 10_000_000;

    /// <summary>Gets the door's name of a setting; the setting's own name when the door does not offer it.</summary>
    /// <param name="setting">The setting.</param>
    /// <returns>The name.</returns>
    public string this[AttackSetting setting] => _names.TryGetValue(setting, out string? name) ? name : setting.ToString();

    /// <summary>Finds the setting a name stands for.</summary>
    /// <param name="name">The name as the user wrote it.</param>
    /// <param name="setting">The setting, when the name is known.</param>
    /// <returns><see langword="true"/> when the door accepts the name.</returns>
    public bool TryFind(string name, out AttackSetting setting) => _settings.TryGetValue(name, out setting);
}

/// <summary>
/// The settings users give for a run, typed; the one parser of their text for every front door. A door reads
/// <c>name=text</c> pairs into it (<see cref="Apply(IEnumerable{KeyValuePair{string, string}}, AttackSettingNames)"/>,
/// over defaults or over another door's settings) and builds the validated request with <see cref="ToRequest"/>;
/// errors name the setting as the door's <see cref="AttackSettingNames"/> write it.
/// </summary>
/// <remarks>
/// Attack-specific options belong in the attack spec (<c>square:pInit=0.1</c>). <see cref="PInit"/> and
/// <see cref="Quantization"/> are aliases for Square Attack's: they become options of every square spec of the plan,
/// written before the spec's own, so a spec that sets the option itself keeps its value.
/// </remarks>
public sealed record AttackSettings
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Gets the attack plan: one spec per attack, in order (see <see cref="AttackCatalog"/>).</summary>
    /// <value>Defaults to <c>square</c>.</value>
    public IReadOnlyList<string> Attacks { get; init; } = [SquareAttackOptions.Name];

    /// <summary>Gets how the plan's attacks share the images.</summary>
    /// <value>Defaults to <see cref="Engine.PlanMode.FirstSuccess"/>.</value>
    public PlanMode PlanMode { get; init; } = PlanMode.FirstSuccess;

    /// <summary>Gets the norm of every attack; <see langword="null"/> keeps each attack's own.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public NormKind? Norm { get; init; }

    /// <summary>Gets the budget of every attack; <see langword="null"/> takes the norm's default (0.05 for L-inf, 5 for L2).</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public double? Epsilon { get; init; }

    /// <summary>Gets the query budget per image and attack; <see langword="null"/> keeps each attack's own (10,000).</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public int? MaxQueries { get; init; }

    /// <summary>Gets the seed of every attack; <see langword="null"/> keeps each attack's own (0).</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public ulong? Seed { get; init; }

    /// <summary>Gets the target class (see <see cref="AttackRequest.Target"/>); <see langword="null"/> for untargeted.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public string? Target { get; init; }

    /// <summary>Gets a value indicating whether a successful perturbation is shrunk (eps* in the report).</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool Minimize { get; init; } = true;

    /// <summary>Gets the binary-search steps of the minimization.</summary>
    /// <value>Defaults to 10. Between 1 and 50.</value>
    public int MinimizeSteps { get; init; } = 10;

    /// <summary>Gets Square Attack's initial fraction of pixels per square for every square attack of the plan; <see langword="null"/> keeps the spec's (or the attack's default).</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public double? PInit { get; init; }

    /// <summary>Gets Square Attack's quantization for every square attack of the plan; <see langword="null"/> keeps the spec's (or the attack's default).</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public QuantizationMode? Quantization { get; init; }

    /// <summary>Reads settings from <c>name=text</c> pairs over the defaults.</summary>
    /// <param name="values">The pairs, named as <paramref name="names"/> name them.</param>
    /// <param name="names">The door's names.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="ArgumentException">A name is unknown or a text cannot be read; the message names the setting.</exception>
    public static AttackSettings Parse(IEnumerable<KeyValuePair<string, string>> values, AttackSettingNames names) =>
        new AttackSettings().Apply(values, names);

    /// <summary>Applies <c>name=text</c> pairs over these settings.</summary>
    /// <param name="values">The pairs, named as <paramref name="names"/> name them.</param>
    /// <param name="names">The door's names.</param>
    /// <returns>A copy with the pairs applied.</returns>
    /// <exception cref="ArgumentException">A name is unknown or a text cannot be read; the message names the setting.</exception>
    public AttackSettings Apply(IEnumerable<KeyValuePair<string, string>> values, AttackSettingNames names)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(names);
        var typed = new List<KeyValuePair<AttackSetting, string>>();
        foreach ((string name, string text) in values)
        {
            typed.Add(names.TryFind(name, out AttackSetting setting)
                ? new(setting, text)
                : throw new ArgumentException($"Unknown setting '{name}'; known: {string.Join(", ", names.Names)}."));
        }

        return Apply(typed, names);
    }

    /// <summary>Applies setting texts over these settings (for a door that already knows which setting each text is).</summary>
    /// <param name="values">The texts by setting; the last of a setting wins.</param>
    /// <param name="names">The door's names, for errors.</param>
    /// <returns>A copy with the texts applied.</returns>
    /// <exception cref="ArgumentException">A text cannot be read; the message names the setting.</exception>
    /// <remarks>
    /// A norm that differs from the current one drops the current budget (which was meant for the other norm) unless the
    /// same call sets one, so that <c>l2</c> alone gets L2's default budget.
    /// </remarks>
    public AttackSettings Apply(IEnumerable<KeyValuePair<AttackSetting, string>> values, AttackSettingNames names)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(names);
        var texts = new Dictionary<AttackSetting, string>();
        foreach ((AttackSetting setting, string text) in values)
        {
            texts[setting] = (text ?? string.Empty).Trim();
        }

        AttackSettings result = this;
        foreach ((AttackSetting setting, string text) in texts.OrderBy(p => p.Key))
        {
            string name = names[setting];
            result = setting switch
            {
                AttackSetting.Attacks => result with { Attacks = AttackCatalog.SplitPlan(text) is { Count: > 0 } specs ? specs : throw Bad(name, text, "attack specs separated by ';', e.g. square;simba-dct:maxQueries=5000") },
                AttackSetting.PlanMode => result with { PlanMode = text.ToLowerInvariant() switch { "first-success" => PlanMode.FirstSuccess, "all" => PlanMode.All, _ => throw Bad(name, text, "first-success or all") } },
                AttackSetting.Norm => WithNorm(result, ParseNorm(name, text), texts.ContainsKey(AttackSetting.Epsilon)),
                AttackSetting.Epsilon => result with { Epsilon = EpsilonText.TryParse(text, out double eps) ? eps : throw Bad(name, text, "a number such as 0.05 or a fraction such as 4/255") },
                AttackSetting.MaxQueries => result with { MaxQueries = int.TryParse(text, NumberStyles.None, Inv, out int q) ? q : throw Bad(name, text, string.Create(Inv, $"a whole number from 1 to {names.MaxQueriesLimit}")) },
                AttackSetting.Seed => result with { Seed = ulong.TryParse(text, NumberStyles.None, Inv, out ulong s) ? s : throw Bad(name, text, "a whole number from 0") },
                AttackSetting.Target => result with { Target = text.Length == 0 || string.Equals(text, "none", StringComparison.OrdinalIgnoreCase) ? null : text },
                AttackSetting.Minimize => result with { Minimize = bool.TryParse(text, out bool m) ? m : throw Bad(name, text, "true or false") },
                AttackSetting.MinimizeSteps => result with { MinimizeSteps = int.TryParse(text, NumberStyles.None, Inv, out int steps) ? steps : throw Bad(name, text, "a whole number from 1 to 50") },
                AttackSetting.PInit => result with { PInit = double.TryParse(text, NumberStyles.Float, Inv, out double p) && double.IsFinite(p) ? p : throw Bad(name, text, "a number in (0, 1]") },
                AttackSetting.Quantization => result with { Quantization = text.ToLowerInvariant() switch { "on-grid" => QuantizationMode.OnGrid, "after-success" => QuantizationMode.AfterSuccess, _ => throw Bad(name, text, "on-grid or after-success") } },
                _ => throw new ArgumentOutOfRangeException(nameof(values), setting, "Unknown setting."),
            };
        }

        return result;
    }

    /// <summary>
    /// Gets the plan's specs, presets written out (<see cref="AttackCatalog.ExpandPlan"/>), with the Square Attack aliases
    /// (<see cref="PInit"/>, <see cref="Quantization"/>) written into every square spec.
    /// </summary>
    /// <returns>The specs, one per attack, in plan order.</returns>
    public IReadOnlyList<string> PlanSpecs()
    {
        IReadOnlyList<string> specs = AttackCatalog.ExpandPlan(Attacks);
        var aliases = new List<string>();
        if (PInit is double p)
        {
            aliases.Add("pInit=" + p.ToString("R", Inv));
        }

        if (Quantization is QuantizationMode q)
        {
            aliases.Add("quantization=" + q);
        }

        if (aliases.Count == 0)
        {
            return specs;
        }

        return [.. specs.Select(spec =>
        {
            string[] parts = spec.Split(':', 2);
            if (!IsSquare(spec))
            {
                return spec;
            }

            string own = parts.Length == 2 && !string.IsNullOrWhiteSpace(parts[1]) ? "," + parts[1] : string.Empty;
            return parts[0].Trim() + ":" + string.Join(",", aliases) + own;
        })];
    }

    /// <summary>Builds and validates the engine request these settings describe.</summary>
    /// <param name="names">The door's names, for errors.</param>
    /// <returns>The validated request.</returns>
    /// <exception cref="ArgumentException">A setting is out of range, or a spec names no attack or sets a bad option; the message names the setting.</exception>
    public AttackRequest ToRequest(AttackSettingNames names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (Attacks is null || Attacks.Count == 0)
        {
            throw Bad(names[AttackSetting.Attacks], string.Empty, "attack specs separated by ';', e.g. square;simba-dct:maxQueries=5000");
        }

        if (MaxQueries is int q && (q < 1 || q > names.MaxQueriesLimit))
        {
            throw Bad(names[AttackSetting.MaxQueries], q.ToString(Inv), string.Create(Inv, $"a whole number from 1 to {names.MaxQueriesLimit}"));
        }

        if (MinimizeSteps is < 1 or > 50)
        {
            throw Bad(names[AttackSetting.MinimizeSteps], MinimizeSteps.ToString(Inv), "a whole number from 1 to 50");
        }

        if (PInit is double p && !(p > 0 && p <= 1))
        {
            throw Bad(names[AttackSetting.PInit], p.ToString("R", Inv), "a number in (0, 1]");
        }

        if ((PInit is not null || Quantization is not null) && !AttackCatalog.ExpandPlan(Attacks).Any(IsSquare))
        {
            AttackSetting alias = PInit is not null ? AttackSetting.PInit : AttackSetting.Quantization;
            throw new ArgumentException($"{names[alias]} sets an option of Square Attack, but the plan ({string.Join(";", Attacks)}) has no square attack; set an attack's own options in its spec, e.g. simba-dct:stepSize=0.1.");
        }

        IReadOnlyList<string> specs = PlanSpecs();
        if (Epsilon is double eps && (!(eps > 0) || (eps > 1 && Plan(specs, new CommonAttackSettings(Norm), names).Any(a => a.Norm == NormKind.LInf))))
        {
            throw new ArgumentException(string.Create(Inv, $"{names[AttackSetting.Epsilon]} is '{eps:R}'; Epsilon must be greater than 0 (and at most 1 for linf), in [0,1] pixel units: 0.05 = 12.75/255, or write a fraction such as 4/255."));
        }

        var request = new AttackRequest
        {
            Attacks = Plan(specs, new CommonAttackSettings(Norm, Epsilon, MaxQueries, Seed), names),
            PlanMode = PlanMode,
            Target = string.IsNullOrWhiteSpace(Target) ? null : Target.Trim(),
            Minimize = Minimize,
            MinimizeSteps = MinimizeSteps,
        };
        try
        {
            request.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{names[AttackSetting.Attacks]}: {Bare(e)}", e);
        }

        return request;
    }

    /// <summary>Describes a request built from these settings for an audit summary (the plan as the user wrote it, and the first attack's budget).</summary>
    /// <param name="request">The request <see cref="ToRequest"/> built.</param>
    /// <returns>The summary's attack.</returns>
    public AuditAttack Describe(AttackRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new AuditAttack
        {
            Attacks = string.Join(";", AttackCatalog.ExpandPlan(Attacks)),
            PlanMode = request.PlanMode == PlanMode.All ? "all" : "first-success",
            Norm = request.Attacks.Select(a => a.Norm).Distinct().Count() == 1 ? (request.Attack.Norm == NormKind.L2 ? "l2" : "linf") : "mixed",
            Eps = request.Attack.Epsilon,
            MaxQueries = request.Attack.MaxQueries,
            Seed = request.Attack.Seed,
            Target = request.Target ?? "none",
            Minimize = request.Minimize,
        };
    }

    private static bool IsSquare(string spec) =>
        string.Equals(spec.Split(':', 2)[0].Trim(), SquareAttackOptions.Name, StringComparison.OrdinalIgnoreCase);

    private static IReadOnlyList<AttackOptions> Plan(IReadOnlyList<string> specs, CommonAttackSettings common, AttackSettingNames names)
    {
        try
        {
            return AttackCatalog.ParsePlan(specs, common);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{names[AttackSetting.Attacks]}: {Bare(e)}", e);
        }
    }

    /// <summary>The message without the " (Parameter 'x')" that names a C# parameter: the wrapping message names the setting instead.</summary>
    private static string Bare(ArgumentException e) =>
        e.ParamName is { } parameter ? e.Message.Replace($" (Parameter '{parameter}')", string.Empty, StringComparison.Ordinal) : e.Message;

    private static NormKind ParseNorm(string name, string text) => text.ToLowerInvariant() switch
    {
        "linf" => NormKind.LInf,
        "l2" => NormKind.L2,
        _ => throw Bad(name, text, "linf or l2"),
    };

    private static AttackSettings WithNorm(AttackSettings settings, NormKind norm, bool epsilonGiven) =>
        settings with { Norm = norm, Epsilon = epsilonGiven || settings.Norm == norm ? settings.Epsilon : null };

    private static ArgumentException Bad(string name, string text, string allowed) => new($"{name} is '{text}'; allowed: {allowed}.");
}
