using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AttackCore.Engine;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Audit;

/// <summary>An HTTP answer: status, JSON body, and the Location header of a 202.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Body">The JSON body.</param>
/// <param name="Location">The Location header, or <see langword="null"/>.</param>
public sealed record ApiResponse(int Status, string Body, string? Location = null);

/// <summary>
/// The bulk-audit HTTP API behind <see cref="AuditFunctions"/>: <c>POST /api/audits</c> validates the request, stores
/// it and starts the audit; <c>GET /api/audits/{id}</c> reports its progress. Plain inputs and outputs, so the
/// tests call it without the Functions host.
/// </summary>
/// <remarks>
/// <para>The audit id is a new random GUID (32 hex digits) for every accepted POST: posting the same body again
/// starts a new audit (after a model change, say). Idempotence is per image instead: each image's work is keyed by
/// audit id, blob name and ETag.</para>
/// </remarks>
public sealed partial class AuditApi
{
    /// <summary>The most names a manifest may list.</summary>
    public const int MaxManifestBlobs = 100_000;

    /// <summary>The most transfer models an audit may name.</summary>
    public const int MaxTransferModels = 8;

    private const string Example = "{\"prefix\": \"batch1/\"} or {\"blobs\": [\"a.png\", \"b.png\"]}";
    private const string ContainerMessage = "'container' must be a container name (3 to 63 lowercase letters, digits and single hyphens); leave it out to audit the uploads container.";
    private const string BlobsMessage = "'blobs' must be a non-empty array of blob names, e.g. [\"a.png\", \"b/c.jpg\"].";
    private const string LabelsMessage = "'labels' must be an object from blob name to true class: an output index (number) or a label (text), e.g. {\"a.png\": 3, \"b.png\": \"Dress\"}.";
    private const string TransferModelsAllowed = "an array of ONNX blob names in the models container (each with a sidecar JSON), e.g. [\"mobilenet/v1.onnx\"]; [] for none";
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly AuditStore _audits;
    private readonly AttackDefaults _attack;
    private readonly AuditOptions _options;
    private readonly ResilienceOptions _resilience;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditApi> _logger;

    /// <summary>Initializes a new instance of the <see cref="AuditApi"/> class.</summary>
    /// <param name="audits">The audit blobs.</param>
    /// <param name="attack">The app's attack settings (the audit's options override them).</param>
    /// <param name="options">The audit settings.</param>
    /// <param name="resilience">The retry settings (the outage tolerance the orchestrations get).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public AuditApi(AuditStore audits, IOptions<AttackDefaults> attack, IOptions<AuditOptions> options, IOptions<ResilienceOptions> resilience, TimeProvider timeProvider, ILogger<AuditApi> logger)
    {
        ArgumentNullException.ThrowIfNull(attack);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resilience);
        _resilience = resilience.Value;
        _audits = audits ?? throw new ArgumentNullException(nameof(audits));
        _attack = attack.Value;
        _options = options.Value;
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Gets the audit body's names of the attack settings (<c>options.maxQueries</c>, ...), as its errors name them.</summary>
    public static AttackSettingNames OptionNames { get; } = new(new Dictionary<AttackSetting, string>
    {
        [AttackSetting.Attacks] = "options.attacks",
        [AttackSetting.PlanMode] = "options.planMode",
        [AttackSetting.Norm] = "options.norm",
        [AttackSetting.Epsilon] = "options.eps",
        [AttackSetting.MaxQueries] = "options.maxQueries",
        [AttackSetting.Seed] = "options.seed",
        [AttackSetting.Target] = "options.target",
        [AttackSetting.Minimize] = "options.minimize",
    })
    {
        MaxQueriesLimit = AttackDefaults.MaxQueriesLimit,
    };

    [GeneratedRegex("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerName();

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\[(?<index>[0-9]+)\]|\['(?<quoted>(?:[^']|'')*)'\]", RegexOptions.CultureInvariant)]
    private static partial Regex PathSegment();

    /// <summary>Handles <c>POST /api/audits</c>.</summary>
    /// <param name="body">The request body.</param>
    /// <param name="requestUrl">The request's URL (for the status URL).</param>
    /// <param name="client">The durable client.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>202 with the id and status URL, or 400 with what is wrong.</returns>
    public async Task<ApiResponse> StartAsync(string body, Uri requestUrl, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requestUrl);
        ArgumentNullException.ThrowIfNull(client);
        string auditId = Guid.NewGuid().ToString("N");
        AuditPlan plan;
        try
        {
            plan = Parse(body, auditId, _time.GetUtcNow());
        }
        catch (AuditRequestException e)
        {
            return Error(400, e.Message);
        }

        await _audits.WritePlanAsync(plan, cancellationToken).ConfigureAwait(false);
        var input = new AuditInput { AuditId = auditId, MaxConcurrency = _options.MaxConcurrency, StartedUtc = plan.CreatedUtc, OutageToleranceMinutes = _resilience.OutageToleranceMinutes };
        await client.ScheduleNewOrchestrationInstanceAsync(OrchestratorNames.Audit, input, new StartOrchestrationOptions(AuditStore.InstanceId(auditId)), cancellationToken).ConfigureAwait(false);
        Log.Started(_logger, auditId, plan.Container, plan.Prefix, plan.Blobs?.Count ?? 0);
        string status = StatusUrl(requestUrl, auditId);
        return new ApiResponse(202, Serialize(new Dictionary<string, object?>
        {
            ["id"] = auditId,
            ["statusUrl"] = status,
            ["results"] = $"{_audits.Storage.ResultsContainer}/{AuditStore.ResultsFolder(auditId)}/",
        }), status);
    }

    /// <summary>Handles <c>GET /api/audits/{id}</c>.</summary>
    /// <param name="auditId">The id from the route.</param>
    /// <param name="client">The durable client.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>200 with the progress, or 404 for an unknown id.</returns>
    public async Task<ApiResponse> GetAsync(string auditId, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        int run = AuditStore.IsAuditId(auditId) ? await _audits.LatestResumeAsync(auditId, cancellationToken).ConfigureAwait(false) : 0;
        OrchestrationMetadata? instance = AuditStore.IsAuditId(auditId)
            ? await client.GetInstanceAsync(AuditStore.InstanceId(auditId, run), getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false)
            : null;
        if (instance is null)
        {
            return Error(404, $"No audit with id '{auditId}'. Audit ids are the 32 hexadecimal digits returned by POST /api/audits.");
        }

        AuditProgress progress = instance.ReadCustomStatusAs<AuditProgress>() ?? new AuditProgress();
        string folder = $"{_audits.Storage.ResultsContainer}/{AuditStore.ResultsFolder(auditId)}/";
        var answer = new Dictionary<string, object?>
        {
            ["id"] = auditId,
            ["runtimeStatus"] = instance.RuntimeStatus.ToString(),
            ["resume"] = run,
            ["createdUtc"] = instance.CreatedAt,
            ["lastUpdatedUtc"] = instance.LastUpdatedAt,
            ["progress"] = progress,
            ["images"] = folder + "images/",
        };
        if (instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed)
        {
            answer["summary"] = new Dictionary<string, string> { ["json"] = folder + "summary.json", ["csv"] = folder + "summary.csv", ["html"] = folder + "summary.html" };
        }

        if (instance.FailureDetails is { } failure)
        {
            answer["failure"] = failure.ErrorMessage;
        }

        return new ApiResponse(200, Serialize(answer));
    }

    /// <summary>
    /// Handles <c>POST /api/audits/{id}/resume</c>: runs the audit again (a new instance,
    /// <see cref="AuditStore.InstanceId(string, int)"/> of the new <see cref="AuditInput.Resume"/>, which
    /// <c>GET /api/audits/{id}</c> then follows) for the inputs without a complete result and for those whose run failed
    /// (error.json reason <c>AuditFailed</c>), then writes the summary anew. For an audit that failed, was stopped, or
    /// completed with failed runs (after a storage outage longer than the tolerance, say).
    /// </summary>
    /// <param name="auditId">The id from the route.</param>
    /// <param name="force">Stop a running (stuck) audit and its image runs first, instead of refusing with 409.</param>
    /// <param name="requestUrl">The request's URL (for the status URL).</param>
    /// <param name="client">The durable client.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>202 with the status URL; 404 for an unknown id; 409 while the audit runs (without <paramref name="force"/>); 503 when it did not stop in time.</returns>
    public async Task<ApiResponse> ResumeAsync(string auditId, bool force, Uri requestUrl, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requestUrl);
        ArgumentNullException.ThrowIfNull(client);
        AuditPlan? plan = AuditStore.IsAuditId(auditId) ? await _audits.TryReadPlanAsync(auditId, cancellationToken).ConfigureAwait(false) : null;
        if (plan is null)
        {
            return Error(404, $"No audit with id '{auditId}'. Audit ids are the 32 hexadecimal digits returned by POST /api/audits.");
        }

        string instanceId = AuditStore.InstanceId(auditId, await _audits.LatestResumeAsync(auditId, cancellationToken).ConfigureAwait(false));
        OrchestrationMetadata? instance = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
        if (instance is not null && !IsFinished(instance.RuntimeStatus))
        {
            if (!force)
            {
                return Error(409, $"Audit {auditId} is {instance.RuntimeStatus} (last update {instance.LastUpdatedAt:u}) and goes on by itself; only a failed or stopped audit is resumed. If it makes no progress, POST {StatusUrl(requestUrl, auditId)}/resume?force=true stops it and resumes it.");
            }

            await client.TerminateInstanceAsync(instanceId, new TerminateInstanceOptions("Stopped to be resumed.", Recursive: true), cancellationToken).ConfigureAwait(false);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(StopTimeout);
            try
            {
                await client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: false, wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Error(503, $"Audit {auditId} was asked to stop but did not within {StopTimeout.TotalSeconds:0} s; try the resume again in a minute.");
            }
        }

        int resume = await _audits.ClaimResumeAsync(auditId, cancellationToken).ConfigureAwait(false);
        var input = new AuditInput { AuditId = auditId, MaxConcurrency = _options.MaxConcurrency, StartedUtc = plan.CreatedUtc, Resume = resume, OutageToleranceMinutes = _resilience.OutageToleranceMinutes };
        await client.ScheduleNewOrchestrationInstanceAsync(OrchestratorNames.Audit, input, new StartOrchestrationOptions(AuditStore.InstanceId(auditId, resume)), cancellationToken).ConfigureAwait(false);
        Log.Resumed(_logger, auditId, resume, instance?.RuntimeStatus.ToString() ?? "gone");
        string status = StatusUrl(requestUrl, auditId);
        return new ApiResponse(202, Serialize(new Dictionary<string, object?>
        {
            ["id"] = auditId,
            ["resume"] = resume,
            ["statusUrl"] = status,
            ["results"] = $"{_audits.Storage.ResultsContainer}/{AuditStore.ResultsFolder(auditId)}/",
        }), status);
    }

    /// <summary>Validates a POST body and resolves its options against the app's settings, into the request every image gets.</summary>
    /// <param name="body">The body.</param>
    /// <param name="auditId">The new audit's id.</param>
    /// <param name="now">The time of the request.</param>
    /// <returns>The plan.</returns>
    /// <exception cref="AuditRequestException">The body is invalid; the message says what is wrong.</exception>
    internal AuditPlan Parse(string? body, string auditId, DateTimeOffset now)
    {
        AuditRequestBody request = Read(body);
        string container = _audits.Storage.UploadsContainer;
        if (request.Container is not null)
        {
            container = ContainerName().IsMatch(request.Container) ? request.Container : throw new AuditRequestException(ContainerMessage);
            if (container == _audits.Storage.ResultsContainer || container == _audits.Storage.AttackWorkContainer)
            {
                throw new AuditRequestException($"'container' may not be the results or work container ('{container}').");
            }
        }

        if ((request.Prefix is null) == (request.Blobs is null))
        {
            throw new AuditRequestException($"Give either 'prefix' (audit every blob under it; \"\" for the whole container) or 'blobs' (a manifest of blob names), not {(request.Prefix is null ? "neither" : "both")}: {Example}.");
        }

        if (request.Prefix is not null && Storage.BlobNames.PrefixProblem(request.Prefix) is string problem)
        {
            throw new AuditRequestException("Invalid 'prefix': " + problem);
        }

        List<string>? blobs = request.Blobs is null ? null : Blobs(request.Blobs);
        Dictionary<string, string> labels = Labels(request.Labels, request.Prefix, blobs);
        AuditRequestOptions options = request.Options ?? new AuditRequestOptions();
        AttackSettings settings;
        AttackRequest attack;
        try
        {
            settings = _attack.ToSettings().Apply(SettingTexts(options), OptionNames);
            attack = settings.ToRequest(OptionNames);
        }
        catch (ArgumentException e)
        {
            throw new AuditRequestException(e.Message);
        }

        return new AuditPlan
        {
            AuditId = auditId,
            Container = container,
            Prefix = request.Prefix,
            Blobs = blobs,
            Labels = labels,
            Request = attack,
            TransferModels = options.TransferModels is null ? null : ModelBlobNames(options.TransferModels, "transferModels"),
            SurrogateModels = options.SurrogateModels is null ? null : ModelBlobNames(options.SurrogateModels, "surrogateModels"),
            Attack = settings.Describe(attack),
            CreatedUtc = now,
            ChunkSize = _options.ImagesPerExecution,
        };
    }

    /// <summary>Reads the body into its record; a body that is not an object, an unknown member or a value of the wrong JSON type is refused naming the field.</summary>
    private static AuditRequestBody Read(string? body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(string.IsNullOrWhiteSpace(body) ? "null" : body);
        }
        catch (JsonException e)
        {
            throw new AuditRequestException($"The body is not valid JSON ({e.Message}); send an object such as {Example}.");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new AuditRequestException($"The body must be a JSON object such as {Example}.");
            }

            try
            {
                return document.Deserialize<AuditRequestBody>(AuditRequestBody.ReaderOptions)!;
            }
            catch (JsonException e)
            {
                throw new AuditRequestException(Refusal(e.Path ?? "$", document.RootElement));
            }
        }
    }

    /// <summary>Says what is wrong at the JSON path where reading stopped: an unknown member there, or a value of the wrong type.</summary>
    private static string Refusal(string path, JsonElement root)
    {
        List<object> segments = PathSegments(path);
        string? member = segments.Count > 0 ? segments[^1] as string : null;
        bool inOptions = segments.Count == 2 && Equals(segments[0], "options");
        if (segments.Count == 1 && member is not null && !AuditRequestBody.Fields.Contains(member, StringComparer.Ordinal))
        {
            return $"Unknown field '{member}'; allowed: {string.Join(", ", AuditRequestBody.Fields)}.";
        }

        if (inOptions && member is not null && !AuditRequestOptions.Fields.Contains(member, StringComparer.Ordinal))
        {
            return $"Unknown option '{member}'; allowed: {string.Join(", ", AuditRequestOptions.Fields)}.";
        }

        string raw = At(root, segments) is { } value ? value.GetRawText() : "?";
        return segments switch
        {
            ["prefix"] => "'prefix' must be a string, e.g. \"batch1/\".",
            ["container"] => ContainerMessage,
            ["blobs"] => BlobsMessage,
            ["blobs", int] => BlobEntryMessage(raw),
            ["labels", ..] => LabelsMessage,
            ["options"] => "'options' must be an object, e.g. {\"norm\": \"linf\", \"eps\": 0.03, \"maxQueries\": 1000}.",
            ["options", "transferModels" or "surrogateModels"] => $"options.{segments[1]} must be {TransferModelsAllowed}, with at most {MaxTransferModels} names.",
            ["options", "transferModels" or "surrogateModels", int] => $"options.{segments[1]} has {raw}; allowed: {TransferModelsAllowed} (names without commas, at most 1024 characters).",
            ["options", string option, ..] => $"options.{option} is {raw}; allowed: {OptionAllowed(option)}.",
            _ => $"The body has a value of the wrong type at {path}; send an object such as {Example}.",
        };
    }

    /// <summary>Turns the options given into setting texts for the one settings parser, checking the JSON forms each allows.</summary>
    private static List<KeyValuePair<AttackSetting, string>> SettingTexts(AuditRequestOptions options)
    {
        var texts = new List<KeyValuePair<AttackSetting, string>>();
        void Add(AttackSetting setting, string? text)
        {
            if (text is not null)
            {
                texts.Add(new(setting, text));
            }
        }

        Add(AttackSetting.Attacks, Given(options.Attacks, "attacks", PlanText));
        Add(AttackSetting.PlanMode, options.PlanMode);
        Add(AttackSetting.Norm, options.Norm);
        Add(AttackSetting.Epsilon, Given(options.Eps, "eps", v => v.ValueKind switch { JsonValueKind.Number => v.GetRawText(), JsonValueKind.String => v.GetString(), _ => null }));
        Add(AttackSetting.MaxQueries, options.MaxQueries?.ToString(CultureInfo.InvariantCulture));
        Add(AttackSetting.Seed, options.Seed?.ToString(CultureInfo.InvariantCulture));
        Add(AttackSetting.Target, Given(options.Target, "target", v => v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Null => "none", JsonValueKind.Number => v.GetRawText(), _ => null }));
        Add(AttackSetting.Minimize, options.Minimize is bool m ? (m ? "true" : "false") : null);
        return texts;
    }

    /// <summary>Reads an option that may take several JSON forms; <see langword="null"/> when it is absent.</summary>
    private static string? Given(JsonElement value, string option, Func<JsonElement, string?> read) =>
        value.ValueKind == JsonValueKind.Undefined
            ? null
            : read(value) ?? throw new AuditRequestException($"options.{option} is {value.GetRawText()}; allowed: {OptionAllowed(option)}.");

    private static string OptionAllowed(string option) => option switch
    {
        "attacks" => "an attack spec or an array of them, e.g. [\"square\", \"simba-dct:maxQueries=5000\"]",
        "planMode" => "\"first-success\" or \"all\"",
        "norm" => "\"linf\" or \"l2\"",
        "eps" => "a number greater than 0 (at most 1 for linf), or text such as \"8/255\"",
        "maxQueries" => "a whole number from 1 to 1000000",
        "seed" => "a whole number from 0",
        "target" => "a label, an output index, \"random\", \"least-likely\", or \"none\"",
        "minimize" => "true or false",
        _ => "see the README",
    };

    /// <summary>An attack plan given as one spec or an array of specs, as the <c>;</c>-separated text the settings parser reads.</summary>
    private static string? PlanText(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Array when v.GetArrayLength() > 0 && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String && !e.GetString()!.Contains(';', StringComparison.Ordinal))
            => string.Join(";", v.EnumerateArray().Select(e => e.GetString())),
        _ => null,
    };

    private static List<string> Blobs(List<string?> blobs)
    {
        if (blobs.Count == 0)
        {
            throw new AuditRequestException(BlobsMessage);
        }

        if (blobs.Count > MaxManifestBlobs)
        {
            throw new AuditRequestException($"'blobs' lists {blobs.Count} names; at most {MaxManifestBlobs} per audit (split it, or use a prefix).");
        }

        var names = new List<string>(blobs.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string? name in blobs)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > 1024 || name.EndsWith('/'))
            {
                throw new AuditRequestException(BlobEntryMessage(JsonSerializer.Serialize(name)));
            }

            if (!seen.Add(name))
            {
                throw new AuditRequestException($"'blobs' lists '{name}' twice; each image is audited once.");
            }

            names.Add(name);
        }

        return names;
    }

    private static Dictionary<string, string> Labels(Dictionary<string, JsonElement>? given, string? prefix, List<string>? blobs)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (given is null)
        {
            return labels;
        }

        var listed = blobs is null ? null : new HashSet<string>(blobs, StringComparer.Ordinal);
        foreach ((string blob, JsonElement label) in given)
        {
            string value = label.ValueKind switch
            {
                JsonValueKind.Number when label.TryGetInt32(out int index) && index >= 0 => index.ToString(CultureInfo.InvariantCulture),
                JsonValueKind.String when !string.IsNullOrWhiteSpace(label.GetString()) => label.GetString()!.Trim(),
                _ => throw new AuditRequestException($"labels['{blob}'] is {label.GetRawText()}; it must be an output index (a whole number from 0) or a label (non-empty text)."),
            };
            if ((listed is not null && !listed.Contains(blob)) || (prefix is not null && !blob.StartsWith(prefix, StringComparison.Ordinal)))
            {
                throw new AuditRequestException($"labels names '{blob}', which is not {(listed is not null ? "in 'blobs'" : $"under the prefix '{prefix}'")}.");
            }

            labels[blob] = value;
        }

        return labels;
    }

    /// <summary>Reads <c>options.transferModels</c> or <c>options.surrogateModels</c>: blob names in the models container, in order (empty for none).</summary>
    private static List<string> ModelBlobNames(List<string?> given, string option)
    {
        if (given.Count > MaxTransferModels)
        {
            throw new AuditRequestException($"options.{option} must be {TransferModelsAllowed}, with at most {MaxTransferModels} names.");
        }

        var names = new List<string>();
        foreach (string? name in given)
        {
            string? text = name?.Trim();
            if (string.IsNullOrEmpty(text) || text.Contains(',', StringComparison.Ordinal) || text.Length > 1024)
            {
                throw new AuditRequestException($"options.{option} has {JsonSerializer.Serialize(name)}; allowed: {TransferModelsAllowed} (names without commas, at most 1024 characters).");
            }

            names.Add(text);
        }

        return names;
    }

    private static string BlobEntryMessage(string raw) =>
        $"'blobs' has an invalid entry {raw}: each must be a blob name (1 to 1024 characters, not ending with '/').";

    /// <summary>Splits a System.Text.Json path (<c>$.options.maxQueries</c>, <c>$.blobs[2]</c>, <c>$['a b']</c>) into member names and indexes.</summary>
    private static List<object> PathSegments(string path)
    {
        var segments = new List<object>();
        foreach (Match m in PathSegment().Matches(path))
        {
            segments.Add(m.Groups["index"].Success ? int.Parse(m.Groups["index"].Value, CultureInfo.InvariantCulture) : m.Groups["name"].Success ? m.Groups["name"].Value : m.Groups["quoted"].Value);
        }

        return segments;
    }

    /// <summary>The value at a path of segments, or <see langword="null"/> when the document has none there.</summary>
    private static JsonElement? At(JsonElement root, List<object> segments)
    {
        JsonElement current = root;
        foreach (object segment in segments)
        {
            if (segment is int index && current.ValueKind == JsonValueKind.Array && index < current.GetArrayLength())
            {
                current = current[index];
            }
            else if (segment is string name && current.ValueKind == JsonValueKind.Object && current.TryGetProperty(name, out JsonElement child))
            {
                current = child;
            }
            else
            {
                return null;
            }
        }

        return current;
    }

    private static bool IsFinished(OrchestrationRuntimeStatus status) =>
        status is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;

    private static string StatusUrl(Uri requestUrl, string auditId) =>
        new Uri(requestUrl, "/api/audits/" + auditId).ToString();

    private static ApiResponse Error(int status, string message) =>
        new(status, Serialize(new Dictionary<string, object?> { ["error"] = message }));

    private static string Serialize(Dictionary<string, object?> value) => JsonSerializer.Serialize(value, Json);

    private static partial class Log
    {
        [LoggerMessage(EventId = 530, Level = LogLevel.Information, Message = "Started audit {AuditId} of container {Container}, prefix {Prefix}, {Blobs} manifest names")]
        public static partial void Started(ILogger logger, string auditId, string container, string? prefix, int blobs);

        [LoggerMessage(EventId = 531, Level = LogLevel.Warning, Message = "Resumed audit {AuditId} (resume {Resume}; it was {Status})")]
        public static partial void Resumed(ILogger logger, string auditId, int resume, string status);
    }
}

/// <summary>An invalid audit request; the message is shown to the caller with status 400.</summary>
public sealed class AuditRequestException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="AuditRequestException"/> class.</summary>
    public AuditRequestException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AuditRequestException"/> class.</summary>
    /// <param name="message">What is wrong.</param>
    public AuditRequestException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AuditRequestException"/> class.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public AuditRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
