using System.Globalization;
using AdvAudit.Functions.Settings;
using AttackCore.Attacks;
using AttackCore.Engine;

namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// Per-image attack options from the upload's blob metadata, over the app's <see cref="AttackDefaults"/>.
/// </summary>
/// <remarks>
/// Blob metadata names must be valid C# identifiers, so the keys use underscores, not hyphens. Keys are matched
/// without regard to case; unknown <c>advaudit_</c> keys are refused so that a typo is not silently ignored.
/// <list type="table">
/// <item><term><c>advaudit_attacks</c></term><description>the attack plan, specs separated by <c>;</c>, e.g. <c>square;simba-dct:maxQueries=5000</c></description></item>
/// <item><term><c>advaudit_plan_mode</c></term><description><c>first-success</c> or <c>all</c></description></item>
/// <item><term><c>advaudit_norm</c></term><description><c>linf</c> or <c>l2</c></description></item>
/// <item><term><c>advaudit_eps</c></term><description>budget in [0,1] pixel units, e.g. <c>0.03</c> or <c>8/255</c></description></item>
/// <item><term><c>advaudit_max_queries</c></term><description>queries per image, 1 to 1,000,000</description></item>
/// <item><term><c>advaudit_seed</c></term><description>random seed (unsigned integer)</description></item>
/// <item><term><c>advaudit_target</c></term><description>a label, an output index, <c>random</c> or <c>least-likely</c> (a targeted attack); <c>none</c> for untargeted</description></item>
/// <item><term><c>advaudit_minimize</c></term><description><c>true</c> or <c>false</c></description></item>
/// <item><term><c>advaudit_transfer_models</c></term><description>comma-separated ONNX blob names in the models container
/// (each with a sidecar JSON) that also classify the adversarial image; <c>none</c> for none. Not an attack option: it
/// replaces <see cref="SettingNames.ModelTransferBlobNames"/> for this image (see <see cref="TransferModelsOf"/>).</description></item>
/// </list>
/// </remarks>
public static class AttackOverrides
{
    /// <summary>The metadata key of the attack plan.</summary>
    public const string Attacks = "advaudit_attacks";

    /// <summary>The metadata key of the plan mode.</summary>
    public const string PlanMode = "advaudit_plan_mode";

    /// <summary>The metadata key of the norm.</summary>
    public const string Norm = "advaudit_norm";

    /// <summary>The metadata key of the budget.</summary>
    public const string Eps = "advaudit_eps";

    /// <summary>The metadata key of the query budget.</summary>
    public const string MaxQueries = "advaudit_max_queries";

    /// <summary>The metadata key of the seed.</summary>
    public const string Seed = "advaudit_seed";

    /// <summary>The metadata key of the target.</summary>
    public const string Target = "advaudit_target";

    /// <summary>The metadata key of the minimization switch.</summary>
    public const string Minimize = "advaudit_minimize";

    /// <summary>The metadata key of the transfer models (comma-separated blob names, or <c>none</c>).</summary>
    public const string TransferModels = "advaudit_transfer_models";

    private static readonly string[] Known = [Attacks, PlanMode, Norm, Eps, MaxQueries, Seed, Target, Minimize, TransferModels];

    /// <summary>Reads the transfer models an image's metadata names.</summary>
    /// <param name="metadata">The blob's metadata (or an audit's resolved options).</param>
    /// <returns>
    /// The blob names in order; empty for <c>none</c>; <see langword="null"/> when the key is absent (the app's
    /// <see cref="SettingNames.ModelTransferBlobNames"/> applies).
    /// </returns>
    public static IReadOnlyList<string>? TransferModelsOf(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        foreach ((string key, string value) in metadata)
        {
            if (string.Equals(key, TransferModels, StringComparison.OrdinalIgnoreCase))
            {
                return string.Equals(value.Trim(), "none", StringComparison.OrdinalIgnoreCase) ? [] : Serving.ModelProvider.ParseBlobNames(value);
            }
        }

        return null;
    }

    /// <summary>Builds the request for one image.</summary>
    /// <param name="defaults">The app's attack settings.</param>
    /// <param name="metadata">The blob's metadata.</param>
    /// <returns>The validated request.</returns>
    /// <exception cref="ArgumentException">A metadata value is invalid; the message names the key and what is allowed.</exception>
    public static AttackRequest Apply(AttackDefaults defaults, IReadOnlyDictionary<string, string> metadata)
    {
        AttackRequest request = Resolve(defaults, metadata).ToRequest();
        request.Validate();
        return request;
    }

    /// <summary>Applies the metadata to a copy of the app's settings (without building the request).</summary>
    /// <param name="defaults">The app's attack settings.</param>
    /// <param name="metadata">The blob's metadata.</param>
    /// <returns>The settings for this image.</returns>
    /// <exception cref="ArgumentException">A metadata value is invalid; the message names the key and what is allowed.</exception>
    public static AttackDefaults Resolve(AttackDefaults defaults, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(metadata);
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, string value) in metadata)
        {
            if (key.StartsWith("advaudit_", StringComparison.OrdinalIgnoreCase))
            {
                if (!Known.Contains(key, StringComparer.OrdinalIgnoreCase))
                {
                    throw new ArgumentException($"Unknown metadata key '{key}'; known keys: {string.Join(", ", Known)}.");
                }

                values[key] = value.Trim();
            }
        }

        var settings = new AttackDefaults
        {
            Attacks = defaults.Attacks,
            PlanMode = defaults.PlanMode,
            Norm = defaults.Norm,
            Eps = defaults.Eps,
            MaxQueries = defaults.MaxQueries,
            Seed = defaults.Seed,
            Target = defaults.Target,
            Minimize = defaults.Minimize,
        };
        if (values.TryGetValue(Attacks, out string? attacks))
        {
            settings.Attacks = AttackCatalog.SplitPlan(attacks).Count > 0 ? attacks : throw Bad(Attacks, attacks, "attack specs separated by ';', e.g. square;simba-dct");
        }

        if (values.TryGetValue(PlanMode, out string? planMode))
        {
            settings.PlanMode = planMode.ToLowerInvariant() is "first-success" or "all" ? planMode.ToLowerInvariant() : throw Bad(PlanMode, planMode, "first-success or all");
        }

        if (values.TryGetValue(Norm, out string? norm))
        {
            settings.Norm = norm.ToLowerInvariant() is "linf" or "l2" ? norm.ToLowerInvariant() : throw Bad(Norm, norm, "linf or l2");
            settings.Eps = defaults.Eps is not null && string.Equals(settings.Norm, defaults.Norm, StringComparison.OrdinalIgnoreCase) ? defaults.Eps : null;
        }

        if (values.TryGetValue(Eps, out string? eps))
        {
            settings.Eps = ParseEps(eps) is double e && e > 0 && (e <= 1 || !settings.PlanNorms().Contains(NormKind.LInf)) ? e : throw Bad(Eps, eps, "a number greater than 0 (at most 1 for linf), e.g. 0.03 or 8/255");
        }

        if (values.TryGetValue(MaxQueries, out string? queries))
        {
            settings.MaxQueries = int.TryParse(queries, NumberStyles.None, CultureInfo.InvariantCulture, out int q) && q is >= 1 and <= 1_000_000 ? q : throw Bad(MaxQueries, queries, "an integer from 1 to 1000000");
        }

        if (values.TryGetValue(Seed, out string? seed))
        {
            settings.Seed = ulong.TryParse(seed, NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) ? s : throw Bad(Seed, seed, "an unsigned integer");
        }

        if (values.TryGetValue(Target, out string? target))
        {
            settings.Target = string.Equals(target, "none", StringComparison.OrdinalIgnoreCase) ? null : target;
        }

        if (values.TryGetValue(Minimize, out string? minimize))
        {
            settings.Minimize = bool.TryParse(minimize, out bool m) ? m : throw Bad(Minimize, minimize, "true or false");
        }

        return settings;
    }

    private static double? ParseEps(string text) => EpsilonText.TryParse(text, out double value) ? value : null;

    private static ArgumentException Bad(string key, string value, string allowed) =>
        new($"Metadata {key} is '{value}'; allowed: {allowed}.");
}
