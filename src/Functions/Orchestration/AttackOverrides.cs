using AdvAudit.Functions.Settings;
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
/// <item><term><c>advaudit_surrogate_models</c></term><description>comma-separated ONNX blob names in the models container
/// (each with a sidecar JSON) that surrogate-based attacks such as <c>transfer</c> craft on; <c>none</c> for none. It
/// replaces <see cref="SettingNames.ModelSurrogateBlobNames"/> for this image (see <see cref="SurrogateModelsOf"/>).</description></item>
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

    /// <summary>The metadata key of the surrogate models (comma-separated blob names, or <c>none</c>).</summary>
    public const string SurrogateModels = "advaudit_surrogate_models";

    /// <summary>Gets the metadata's names of the attack settings (<c>advaudit_max_queries</c>, ...; any case), as its errors name them.</summary>
    public static AttackSettingNames Names { get; } = new(
        new Dictionary<AttackSetting, string>
        {
            [AttackSetting.Attacks] = Attacks,
            [AttackSetting.PlanMode] = PlanMode,
            [AttackSetting.Norm] = Norm,
            [AttackSetting.Epsilon] = Eps,
            [AttackSetting.MaxQueries] = MaxQueries,
            [AttackSetting.Seed] = Seed,
            [AttackSetting.Target] = Target,
            [AttackSetting.Minimize] = Minimize,
        },
        StringComparer.OrdinalIgnoreCase)
    {
        MaxQueriesLimit = AttackDefaults.MaxQueriesLimit,
    };

    private static readonly string[] Known = [.. Names.Names, TransferModels, SurrogateModels];

    /// <summary>Reads the transfer models an image's metadata names.</summary>
    /// <param name="metadata">The blob's metadata (or an audit's resolved options).</param>
    /// <returns>
    /// The blob names in order; empty for <c>none</c>; <see langword="null"/> when the key is absent (the app's
    /// <see cref="SettingNames.ModelTransferBlobNames"/> applies).
    /// </returns>
    public static IReadOnlyList<string>? TransferModelsOf(IReadOnlyDictionary<string, string> metadata) => BlobNamesOf(metadata, TransferModels);

    /// <summary>Reads the surrogate models an image's metadata names.</summary>
    /// <param name="metadata">The blob's metadata.</param>
    /// <returns>
    /// The blob names in order; empty for <c>none</c>; <see langword="null"/> when the key is absent (the app's
    /// <see cref="SettingNames.ModelSurrogateBlobNames"/> applies).
    /// </returns>
    public static IReadOnlyList<string>? SurrogateModelsOf(IReadOnlyDictionary<string, string> metadata) => BlobNamesOf(metadata, SurrogateModels);

    /// <summary>Builds the request for one image.</summary>
    /// <param name="defaults">The app's attack settings.</param>
    /// <param name="metadata">The blob's metadata.</param>
    /// <returns>The validated request.</returns>
    /// <exception cref="ArgumentException">A metadata value is invalid; the message names the key and what is allowed.</exception>
    public static AttackRequest Apply(AttackDefaults defaults, IReadOnlyDictionary<string, string> metadata) =>
        Resolve(defaults, metadata).ToRequest(Names);

    /// <summary>Reads the metadata's attack settings over the app's (without building the request).</summary>
    /// <param name="defaults">The app's attack settings.</param>
    /// <param name="metadata">The blob's metadata; keys not starting with <c>advaudit_</c> are not ours and are left alone.</param>
    /// <returns>The settings for this image.</returns>
    /// <exception cref="ArgumentException">A key is unknown or a value is invalid; the message names the key and what is allowed.</exception>
    public static AttackSettings Resolve(AttackDefaults defaults, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(metadata);
        var values = new List<KeyValuePair<string, string>>();
        foreach ((string key, string value) in metadata)
        {
            if (!key.StartsWith("advaudit_", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!Known.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Unknown metadata key '{key}'; known keys: {string.Join(", ", Known)}.");
            }

            if (!string.Equals(key, TransferModels, StringComparison.OrdinalIgnoreCase) && !string.Equals(key, SurrogateModels, StringComparison.OrdinalIgnoreCase))
            {
                values.Add(new(key, value));
            }
        }

        return defaults.ToSettings().Apply(values, Names);
    }

    /// <summary>A comma-separated list of model blobs under <paramref name="name"/>: empty for <c>none</c>, <see langword="null"/> when absent.</summary>
    private static IReadOnlyList<string>? BlobNamesOf(IReadOnlyDictionary<string, string> metadata, string name)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        foreach ((string key, string value) in metadata)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return string.Equals(value.Trim(), "none", StringComparison.OrdinalIgnoreCase) ? [] : Serving.ModelProvider.ParseBlobNames(value);
            }
        }

        return null;
    }
}
