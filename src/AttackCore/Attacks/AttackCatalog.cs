using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace AttackCore.Attacks;

/// <summary>The settings a user gives once for every attack of a plan; <see langword="null"/> keeps each attack's default.</summary>
/// <param name="Norm">The norm.</param>
/// <param name="Epsilon">The budget; when null it follows the norm: 0.05 for L-inf, 5 for L2.</param>
/// <param name="MaxQueries">The query budget per image and attack.</param>
/// <param name="Seed">The seed.</param>
public sealed record CommonAttackSettings(NormKind? Norm = null, double? Epsilon = null, int? MaxQueries = null, ulong? Seed = null);

/// <summary>
/// Every attack this build knows, by the name users write, and the parser of attack specs such as
/// <c>square</c> or <c>simba-dct:maxQueries=5000,stepSize=0.1</c>: a name, then optionally a colon and
/// comma-separated <c>option=value</c> pairs that set the attack's own options (property names of its options
/// record, case-insensitive; they win over the common settings).
/// </summary>
public static class AttackCatalog
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly Dictionary<string, Type> Types = typeof(AttackOptions)
        .GetCustomAttributes<JsonDerivedTypeAttribute>()
        .ToDictionary(a => (string)a.TypeDiscriminator!, a => a.DerivedType, StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets the names of every attack, in registration order.</summary>
    public static IReadOnlyList<string> Names { get; } = typeof(AttackOptions)
        .GetCustomAttributes<JsonDerivedTypeAttribute>()
        .Select(a => (string)a.TypeDiscriminator!)
        .ToList();

    /// <summary>Gets the options type of an attack, or <see langword="null"/> for an unknown name.</summary>
    /// <param name="name">The attack's name.</param>
    /// <returns>The type, or <see langword="null"/>.</returns>
    public static Type? OptionsType(string name) => Types.GetValueOrDefault(name);

    /// <summary>Gets an attack's options as the spec parser reads and writes them (its keys are the spec's option names).</summary>
    /// <param name="options">The options.</param>
    /// <returns>The JSON object.</returns>
    public static JsonObject SpecNode(AttackOptions options) => (JsonObject)JsonSerializer.SerializeToNode(options, Json)!;

    /// <summary>
    /// The name of the plan preset that runs AutoAttack's standard version: APGD-CE, APGD-T (9 targets), then Square
    /// Attack with 5,000 queries and p_init 0.8 (FAB-T, the third attack of AutoAttack, is not included).
    /// </summary>
    public const string StandardPlan = "standard";

    /// <summary>Gets the specs the <see cref="StandardPlan"/> preset stands for, in order.</summary>
    public static IReadOnlyList<string> StandardPlanSpecs { get; } = ["apgd-ce", "apgd-t", "square:maxQueries=5000,pInit=0.8"];

    /// <summary>Parses a plan: one spec per attack, in order; <see cref="StandardPlan"/> stands for its three attacks.</summary>
    /// <param name="specs">The specs (see <see cref="AttackCatalog"/>).</param>
    /// <param name="common">Settings for every attack.</param>
    /// <returns>The attacks' options, validated.</returns>
    /// <exception cref="ArgumentException">A spec names no attack, sets an unknown option or a bad value.</exception>
    public static IReadOnlyList<AttackOptions> ParsePlan(IEnumerable<string> specs, CommonAttackSettings common)
    {
        ArgumentNullException.ThrowIfNull(specs);
        return ExpandPlan(specs).Select(s => Parse(s, common)).ToList();
    }

    /// <summary>Writes out the plan presets of a plan (<see cref="StandardPlan"/> becomes its three specs); other specs stay as they are.</summary>
    /// <param name="specs">The specs.</param>
    /// <returns>One spec per attack, in order.</returns>
    public static IReadOnlyList<string> ExpandPlan(IEnumerable<string> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        return [.. specs.SelectMany(s => string.Equals(s?.Trim(), StandardPlan, StringComparison.OrdinalIgnoreCase) ? StandardPlanSpecs : [s!])];
    }

    /// <summary>Splits a plan written on one line, attacks separated by <c>;</c> (as in settings and blob metadata).</summary>
    /// <param name="text">For example <c>square;simba-dct:maxQueries=2000</c>.</param>
    /// <returns>The specs.</returns>
    public static IReadOnlyList<string> SplitPlan(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>Parses one attack spec.</summary>
    /// <param name="spec">For example <c>square</c> or <c>bandits-td:maxQueries=5000</c>.</param>
    /// <param name="common">Settings for every attack.</param>
    /// <returns>The attack's options, validated.</returns>
    /// <exception cref="ArgumentException">The spec names no attack, sets an unknown option or a bad value.</exception>
    public static AttackOptions Parse(string spec, CommonAttackSettings common)
    {
        ArgumentNullException.ThrowIfNull(common);
        if (string.IsNullOrWhiteSpace(spec))
        {
            throw new ArgumentException($"An attack spec is empty. Attacks: {string.Join(", ", Names)}.", nameof(spec));
        }

        string[] parts = spec.Trim().Split(':', 2);
        string name = parts[0].Trim();
        if (!Types.TryGetValue(name, out Type? type))
        {
            throw new ArgumentException($"Unknown attack \"{name}\". Attacks: {string.Join(", ", Names)}; plan preset: {StandardPlan}.", nameof(spec));
        }

        var defaults = (AttackOptions)Activator.CreateInstance(type)!;
        JsonObject node = SpecNode(defaults);
        NormKind norm = common.Norm ?? defaults.Norm;
        node["norm"] = norm.ToString();
        node["epsilon"] = common.Epsilon ?? (norm == defaults.Norm ? defaults.Epsilon : norm == NormKind.L2 ? 5.0 : 0.05);
        if (common.MaxQueries is int maxQueries)
        {
            node["maxQueries"] = maxQueries;
        }

        if (common.Seed is ulong seed)
        {
            node["seed"] = seed;
        }

        if (parts.Length == 2)
        {
            foreach (string pair in parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                SetOption(node, name, pair);
            }
        }

        AttackOptions options;
        try
        {
            options = node.Deserialize<AttackOptions>(Json)!;
        }
        catch (JsonException ex)
        {
            string key = ex.Path?.TrimStart('$', '.') ?? string.Empty;
            System.Reflection.PropertyInfo? property = type.GetProperties().FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
            throw new ArgumentException(property is null
                ? $"Attack \"{spec}\": a value has the wrong type."
                : $"Attack \"{spec}\": {key} must be {ValuesOf(property.PropertyType)}; got {node[key]?.ToJsonString() ?? "nothing"}.", ex);
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            // The options validate in their C# names (PInit); the user wrote the spec's (pInit).
            string message = ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal);
            foreach (System.Reflection.PropertyInfo property in type.GetProperties())
            {
                message = System.Text.RegularExpressions.Regex.Replace(message, $@"\b{property.Name}\b", JsonNamingPolicy.CamelCase.ConvertName(property.Name));
            }

            throw new ArgumentException(message, ex);
        }

        return options;
    }

    /// <summary>Describes the values an option of this type takes, in words.</summary>
    /// <param name="type">The option's property type.</param>
    /// <returns>For example "a whole number" or "one of on-grid, after-success".</returns>
    public static string ValuesOf(Type type)
    {
        Type t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(NormKind) ? "linf or l2"
            : t == typeof(bool) ? "true or false"
            : t == typeof(int) || t == typeof(long) || t == typeof(ulong) ? "a whole number"
            : t == typeof(double) || t == typeof(float) ? "a number"
            : t.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(t).Select(n => JsonNamingPolicy.KebabCaseLower.ConvertName(n)))
            : "a " + t.Name.ToLowerInvariant();
    }

    private static void SetOption(JsonObject node, string attack, string pair)
    {
        string[] kv = pair.Split('=', 2, StringSplitOptions.TrimEntries);
        string? key = kv.Length == 2 ? node.Select(p => p.Key).FirstOrDefault(k => k is not ("attack" or "attackName") && string.Equals(k, kv[0], StringComparison.OrdinalIgnoreCase)) : null;
        if (key is null)
        {
            string known = string.Join(", ", node.Select(p => p.Key).Where(k => k is not ("attack" or "attackName")));
            throw new ArgumentException($"Attack \"{attack}\": \"{pair}\" is not option=value for one of its options ({known}).", nameof(pair));
        }

        string value = kv[1];
        if (bool.TryParse(value, out bool flag))
        {
            node[key] = flag;
        }
        else if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
        {
            node[key] = number == Math.Floor(number) && Math.Abs(number) < 1e15 ? JsonValue.Create((long)number) : JsonValue.Create(number);
        }
        else if (string.Equals(key, "epsilon", StringComparison.Ordinal) && EpsilonText.TryParse(value, out double eps))
        {
            node[key] = eps;
        }
        else
        {
            // Enum values may be written with dashes (after-success for AfterSuccess).
            node[key] = value.Replace("-", string.Empty, StringComparison.Ordinal);
        }
    }
}
