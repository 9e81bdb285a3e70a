using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AttackCore.Models;
using AdvAudit.Functions.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Settings;

/// <summary>
/// Checks the settings when the worker starts (ValidateOnStart), so a typo stops the app with a message that names
/// the app setting, the value found and what is allowed, instead of failing on the first upload.
/// </summary>
internal static partial class OptionsValidators
{
    [GeneratedRegex("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerName();

    [GeneratedRegex("^[0-9a-fA-F]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Hex();

    internal static ValidateOptionsResult Result(List<string> failures) =>
        failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

    internal static void Container(List<string> failures, string setting, string? value)
    {
        if (value is null || !ContainerName().IsMatch(value))
        {
            failures.Add(Invariant($"{setting} is '{value}'; a container name has 3 to 63 characters: lowercase letters, digits and single hyphens, starting and ending with a letter or digit."));
        }
    }

    internal static void Range(List<string> failures, string setting, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            failures.Add(Invariant($"{setting} is {value}; allowed: {min} to {max}."));
        }
    }

    internal static void OneOf(List<string> failures, string setting, string? value, params string[] allowed)
    {
        if (value is null || !allowed.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            failures.Add(Invariant($"{setting} is '{value}'; allowed values: {string.Join(", ", allowed)}."));
        }
    }

    internal static bool IsSha256(string value) => Sha256Hex().IsMatch(value);

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Validates <see cref="StorageOptions"/>.</summary>
/// <remarks>Also checks that the storage connection is configured, as the options are useless without it.</remarks>
internal sealed class StorageOptionsValidator(IConfiguration configuration) : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var failures = new List<string>();
        try
        {
            _ = BlobServiceClientFactory.Create(configuration, SettingNames.StorageConnection);
        }
        catch (InvalidOperationException e)
        {
            failures.Add(e.Message);
        }

        OptionsValidators.Container(failures, SettingNames.UploadsContainer, options.UploadsContainer);
        OptionsValidators.Container(failures, SettingNames.ResultsContainer, options.ResultsContainer);
        OptionsValidators.Container(failures, SettingNames.ModelsContainer, options.ModelsContainer);
        OptionsValidators.Container(failures, SettingNames.AttackWorkContainer, options.AttackWorkContainer);
        if (string.Equals(options.UploadsContainer, options.ResultsContainer, StringComparison.Ordinal)
            || string.Equals(options.UploadsContainer, options.AttackWorkContainer, StringComparison.Ordinal))
        {
            failures.Add(OptionsValidators.Invariant($"{SettingNames.UploadsContainer} ('{options.UploadsContainer}') must differ from {SettingNames.ResultsContainer} and {SettingNames.AttackWorkContainer}, or every result would trigger a new audit."));
        }

        return OptionsValidators.Result(failures);
    }
}

/// <summary>Validates <see cref="TriggerOptions"/>.</summary>
/// <remarks>Also checks that the host switch of the selected trigger function does not turn it off.</remarks>
internal sealed class TriggerOptionsValidator(IConfiguration configuration) : IValidateOptions<TriggerOptions>
{
    public ValidateOptionsResult Validate(string? name, TriggerOptions options)
    {
        var failures = new List<string>();
        OptionsValidators.OneOf(failures, SettingNames.TriggerSource, options.Source, nameof(UploadSource.Polling), nameof(UploadSource.EventGrid));
        OptionsValidators.Range(failures, SettingNames.TriggerMaxImageMb, options.MaxImageMb, 1, 1024);
        OptionsValidators.Range(failures, SettingNames.TriggerMaxImagesInFlight, options.MaxImagesInFlight, 1, 10_000);
        if (failures.Count == 0)
        {
            string disabledSetting = options.ParsedSource == UploadSource.Polling ? SettingNames.PollingTriggerDisabled : SettingNames.EventGridTriggerDisabled;
            if (bool.TryParse(configuration[disabledSetting], out bool disabled) && disabled)
            {
                failures.Add(OptionsValidators.Invariant($"{SettingNames.TriggerSource} is {options.Source} but {disabledSetting} is true, so no upload would ever be processed; set {disabledSetting} to false (and the other trigger's switch to true)."));
            }
        }

        return OptionsValidators.Result(failures);
    }
}

/// <summary>Validates <see cref="ModelOptions"/>.</summary>
internal sealed class ModelOptionsValidator : IValidateOptions<ModelOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelOptions options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrWhiteSpace(options.Preset))
        {
            OptionsValidators.OneOf(failures, SettingNames.ModelPreset, options.Preset.Trim(), [.. ModelPresets.Names]);
        }
        else if (string.IsNullOrWhiteSpace(options.LocalPath) && string.IsNullOrWhiteSpace(options.BlobName))
        {
            // With a local path or a blob, a JSON spec (or a sidecar JSON beside the .onnx) can describe the model; the
            // model provider says so when neither is there.
            failures.Add(OptionsValidators.Invariant($"{SettingNames.ModelPreset} is empty; name a preset ({string.Join(", ", ModelPresets.Names)}), or set {SettingNames.ModelLocalPath} to a model JSON spec or {SettingNames.ModelLocalPath} / {SettingNames.ModelBlobName} to an .onnx file with a JSON beside it."));
        }

        OptionsValidators.OneOf(failures, SettingNames.ModelProvider, options.Provider, "auto", "cuda", "cpu");
        OptionsValidators.Range(failures, SettingNames.ModelMaxBatch, options.MaxBatch, 1, 1024);
        OptionsValidators.Range(failures, SettingNames.ModelMaxWaitMs, options.MaxWaitMs, 0, 1000);
        if (!string.IsNullOrWhiteSpace(options.BlobName) && !string.IsNullOrWhiteSpace(options.LocalPath))
        {
            failures.Add(OptionsValidators.Invariant($"{SettingNames.ModelBlobName} ('{options.BlobName}') and {SettingNames.ModelLocalPath} ('{options.LocalPath}') are both set; set one of them (or neither, to download the preset's file)."));
        }

        if (!string.IsNullOrWhiteSpace(options.Sha256) && !OptionsValidators.IsSha256(options.Sha256))
        {
            failures.Add(OptionsValidators.Invariant($"{SettingNames.ModelSha256} is '{options.Sha256}'; it must be 64 hexadecimal digits (or empty to take the preset's)."));
        }

        return OptionsValidators.Result(failures);
    }
}

/// <summary>Validates <see cref="AttackDefaults"/>, through the engine's own request validation as well.</summary>
internal sealed class AttackDefaultsValidator : IValidateOptions<AttackDefaults>
{
    public ValidateOptionsResult Validate(string? name, AttackDefaults options)
    {
        var failures = new List<string>();
        if (!string.IsNullOrEmpty(options.Norm))
        {
            OptionsValidators.OneOf(failures, SettingNames.AttackNorm, options.Norm, "linf", "l2");
        }

        OptionsValidators.OneOf(failures, SettingNames.AttackPlanMode, options.PlanMode, "first-success", "all");
        OptionsValidators.Range(failures, SettingNames.AttackMaxQueries, options.MaxQueries, 1, 1_000_000);
        OptionsValidators.Range(failures, SettingNames.AttackSliceQueries, options.SliceQueries, 1, 100_000);
        OptionsValidators.Range(failures, SettingNames.AttackSliceSeconds, options.SliceSeconds, 1, 600);
        OptionsValidators.Range(failures, SettingNames.AttackSlicesPerExecution, options.SlicesPerExecution, 1, 1000);
        if (options.Eps is double eps && (double.IsNaN(eps) || eps <= 0 || (eps > 1 && options.PlanNorms().Contains(AttackCore.Attacks.NormKind.LInf))))
        {
            failures.Add(OptionsValidators.Invariant($"{SettingNames.AttackEps} is {eps}; it must be greater than 0 (and at most 1 for linf), or empty for the norm's default."));
        }

        if (failures.Count == 0)
        {
            try
            {
                options.ToRequest().Validate();
            }
            catch (ArgumentException e)
            {
                failures.Add(OptionsValidators.Invariant($"Attack settings ({SettingNames.AttackAttacks}, {SettingNames.AttackNorm}, {SettingNames.AttackEps}, {SettingNames.AttackMaxQueries}): {e.Message}"));
            }
        }

        return OptionsValidators.Result(failures);
    }
}

/// <summary>Validates <see cref="AuditOptions"/>.</summary>
internal sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        var failures = new List<string>();
        OptionsValidators.Range(failures, SettingNames.AuditMaxConcurrency, options.MaxConcurrency, 1, 100);
        OptionsValidators.Range(failures, SettingNames.AuditImagesPerExecution, options.ImagesPerExecution, 1, 1000);
        return OptionsValidators.Result(failures);
    }
}

/// <summary>Validates <see cref="ResilienceOptions"/>.</summary>
internal sealed class ResilienceOptionsValidator : IValidateOptions<ResilienceOptions>
{
    public ValidateOptionsResult Validate(string? name, ResilienceOptions options)
    {
        var failures = new List<string>();
        OptionsValidators.Range(failures, SettingNames.ResilienceMaxRetries, options.MaxRetries, 0, 20);
        OptionsValidators.Range(failures, SettingNames.ResilienceBaseDelayMs, options.BaseDelayMs, 0, 60_000);
        OptionsValidators.Range(failures, SettingNames.ResilienceAttemptTimeoutSeconds, options.AttemptTimeoutSeconds, 1, 600);
        OptionsValidators.Range(failures, SettingNames.ResilienceModelDownloadTimeoutSeconds, options.ModelDownloadTimeoutSeconds, 10, 3600);
        OptionsValidators.Range(failures, SettingNames.ResilienceOutageToleranceMinutes, options.OutageToleranceMinutes, 1, 1440);
        return OptionsValidators.Result(failures);
    }
}

/// <summary>
/// Checks that the images one worker attacks at once fill the model's batches: the host's activity concurrency
/// (<see cref="SettingNames.MaxConcurrentActivities"/>, else host.json), <see cref="SettingNames.ModelMaxBatch"/> and
/// <see cref="SettingNames.AuditMaxConcurrency"/>.
/// </summary>
/// <remarks>
/// Each attacking activity sends one image per query, merged by the batching front into one model call; on a GPU a call
/// is padded up to the next of the classifier's batch sizes (<see cref="OnnxClassifierOptions.EffectiveBatchBuckets"/>).
/// So the activity count must fit one call, be one of those sizes (or the padding rows are wasted on every query), and an
/// audit must keep at least that many images in flight. When neither the app setting nor host.json says how many
/// activities the host runs, the host's own default applies (it depends on the plan) and nothing is checked.
/// </remarks>
/// <param name="configuration">The app configuration.</param>
/// <param name="hostJsonPath">The app's host.json (the worker runs from the app's folder).</param>
internal sealed class ConcurrencyValidator(IConfiguration configuration, string hostJsonPath) : IValidateOptions<AuditOptions>
{
    /// <summary>The place of the setting in host.json, for messages.</summary>
    internal const string HostJsonSetting = "host.json extensions.durableTask.maxConcurrentActivityFunctions";

    /// <summary>Initializes a new instance of the <see cref="ConcurrencyValidator"/> class over the app's own host.json.</summary>
    /// <param name="configuration">The app configuration.</param>
    public ConcurrencyValidator(IConfiguration configuration)
        : this(configuration, Path.Combine(AppContext.BaseDirectory, "host.json"))
    {
    }

    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        var failures = new List<string>();
        if (Activities(failures) is not (int activities, string source))
        {
            return OptionsValidators.Result(failures);
        }

        ModelOptions model = configuration.GetSection(ModelOptions.Section).Get<ModelOptions>() ?? new ModelOptions();
        if (model.MaxBatch < activities)
        {
            failures.Add(OptionsValidators.Invariant($"{SettingNames.ModelMaxBatch} is {model.MaxBatch} but the host runs {activities} activities at once ({source}): the queries of {activities} attacking images do not fit one model call. Set {SettingNames.ModelMaxBatch} to at least {activities}, or lower {source}."));
        }
        else if (!string.Equals(model.Provider, "cpu", StringComparison.OrdinalIgnoreCase) && model.MaxBatch is >= 1 and <= 4096)
        {
            IReadOnlyList<int> sizes = new OnnxClassifierOptions { MaxBatch = model.MaxBatch }.EffectiveBatchBuckets;
            int padded = sizes.First(s => s >= activities);
            if (padded != activities)
            {
                failures.Add(OptionsValidators.Invariant($"The host runs {activities} activities at once ({source}), so on a GPU a full batch of {activities} images is padded to {padded} (the batch sizes for {SettingNames.ModelMaxBatch} {model.MaxBatch} are {string.Join(", ", sizes)}) and {padded - activities} rows of every query are wasted. Set {source} to one of those sizes, or {SettingNames.ModelMaxBatch} to {activities} (or {SettingNames.ModelProvider} to cpu, where batches are not padded)."));
            }
        }

        if (options.MaxConcurrency < activities)
        {
            failures.Add(OptionsValidators.Invariant($"{SettingNames.AuditMaxConcurrency} is {options.MaxConcurrency} but the host runs {activities} activities at once ({source}): an audit would keep only {options.MaxConcurrency} images in flight, so model calls hold at most {options.MaxConcurrency} images and {activities - options.MaxConcurrency} activity slots idle. Set {SettingNames.AuditMaxConcurrency} to at least {activities}, or lower {source}."));
        }

        return OptionsValidators.Result(failures);
    }

    /// <summary>Gets the host's activity concurrency and where it was set, or <see langword="null"/> when neither place sets it.</summary>
    private (int Activities, string Source)? Activities(List<string> failures)
    {
        string source = SettingNames.MaxConcurrentActivities;
        string? text = configuration[SettingNames.Key(source)];
        if (text is null && File.Exists(hostJsonPath))
        {
            source = HostJsonSetting;
            try
            {
                text = JsonNode.Parse(File.ReadAllText(hostJsonPath), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                    ?["extensions"]?["durableTask"]?["maxConcurrentActivityFunctions"]?.ToString();
            }
            catch (JsonException e)
            {
                failures.Add(OptionsValidators.Invariant($"{hostJsonPath} is not valid JSON ({e.Message}); the host cannot start with it."));
                return null;
            }
        }

        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int activities) || activities < 1)
        {
            failures.Add(OptionsValidators.Invariant($"{source} is '{text}'; it must be a whole number of at least 1."));
            return null;
        }

        return (activities, source);
    }
}
