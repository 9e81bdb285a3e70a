using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AttackCore.Attacks;
using AttackCore.Engine;
using AttackCore.Reporting;
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

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private static readonly string[] TopLevel = ["prefix", "blobs", "container", "options", "labels"];
    private static readonly string[] OptionNames = ["attacks", "planMode", "norm", "eps", "maxQueries", "seed", "target", "minimize", "transferModels"];
    private readonly AuditStore _audits;
    private readonly AttackDefaults _attack;
    private readonly AuditOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditApi> _logger;

    /// <summary>Initializes a new instance of the <see cref="AuditApi"/> class.</summary>
    /// <param name="audits">The audit blobs.</param>
    /// <param name="attack">The app's attack settings (the audit's options override them).</param>
    /// <param name="options">The audit settings.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public AuditApi(AuditStore audits, IOptions<AttackDefaults> attack, IOptions<AuditOptions> options, TimeProvider timeProvider, ILogger<AuditApi> logger)
    {
        ArgumentNullException.ThrowIfNull(attack);
        ArgumentNullException.ThrowIfNull(options);
        _audits = audits ?? throw new ArgumentNullException(nameof(audits));
        _attack = attack.Value;
        _options = options.Value;
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    [GeneratedRegex("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerName();

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
        var input = new AuditInput { AuditId = auditId, MaxConcurrency = _options.MaxConcurrency, StartedUtc = plan.CreatedUtc };
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
        OrchestrationMetadata? instance = AuditStore.IsAuditId(auditId)
            ? await client.GetInstanceAsync(AuditStore.InstanceId(auditId), getInputsAndOutputs: true, cancellationToken).ConfigureAwait(false)
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

    /// <summary>Validates a POST body and resolves its options against the app's settings.</summary>
    /// <param name="body">The body.</param>
    /// <param name="auditId">The new audit's id.</param>
    /// <param name="now">The time of the request.</param>
    /// <returns>The plan.</returns>
    /// <exception cref="AuditRequestException">The body is invalid; the message says what is wrong.</exception>
    internal AuditPlan Parse(string? body, string auditId, DateTimeOffset now)
    {
        const string Example = "{\"prefix\": \"batch1/\"} or {\"blobs\": [\"a.png\", \"b.png\"]}";
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
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new AuditRequestException($"The body must be a JSON object such as {Example}.");
            }

            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (!TopLevel.Contains(property.Name, StringComparer.Ordinal))
                {
                    throw new AuditRequestException($"Unknown field '{property.Name}'; allowed: {string.Join(", ", TopLevel)}.");
                }
            }

            string container = _audits.Storage.UploadsContainer;
            if (root.TryGetProperty("container", out JsonElement c))
            {
                container = c.ValueKind == JsonValueKind.String && ContainerName().IsMatch(c.GetString()!) ? c.GetString()! : throw new AuditRequestException("'container' must be a container name (3 to 63 lowercase letters, digits and single hyphens); leave it out to audit the uploads container.");
                if (container == _audits.Storage.ResultsContainer || container == _audits.Storage.AttackWorkContainer)
                {
                    throw new AuditRequestException($"'container' may not be the results or work container ('{container}').");
                }
            }

            bool hasPrefix = root.TryGetProperty("prefix", out JsonElement prefixElement);
            bool hasBlobs = root.TryGetProperty("blobs", out JsonElement blobsElement);
            if (hasPrefix == hasBlobs)
            {
                throw new AuditRequestException($"Give either 'prefix' (audit every blob under it; \"\" for the whole container) or 'blobs' (a manifest of blob names), not {(hasPrefix ? "both" : "neither")}: {Example}.");
            }

            string? prefix = null;
            List<string>? blobs = null;
            if (hasPrefix)
            {
                prefix = prefixElement.ValueKind == JsonValueKind.String ? prefixElement.GetString()! : throw new AuditRequestException("'prefix' must be a string, e.g. \"batch1/\".");
                if (Storage.BlobNames.PrefixProblem(prefix) is string problem)
                {
                    throw new AuditRequestException("Invalid 'prefix': " + problem);
                }
            }
            else
            {
                blobs = Blobs(blobsElement);
            }

            Dictionary<string, string> labels = Labels(root, prefix, blobs);
            Dictionary<string, string> overrides = Options(root);
            AttackRequest request;
            try
            {
                request = AttackOverrides.Apply(_attack, overrides);
            }
            catch (ArgumentException e)
            {
                throw new AuditRequestException("Invalid 'options': " + e.Message.Replace("Metadata advaudit_", "options.", StringComparison.Ordinal));
            }

            // The settings as resolved now (plan text and common settings) re-create exactly this request for every image,
            // whatever the app settings become while the audit runs.
            CultureInfo inv = CultureInfo.InvariantCulture;
            AttackDefaults settings = AttackOverrides.Resolve(_attack, overrides);
            var resolved = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                [AttackOverrides.Attacks] = settings.Attacks,
                [AttackOverrides.PlanMode] = request.PlanMode == PlanMode.All ? "all" : "first-success",
                [AttackOverrides.MaxQueries] = settings.MaxQueries.ToString(inv),
                [AttackOverrides.Seed] = settings.Seed.ToString(inv),
                [AttackOverrides.Target] = request.Target ?? "none",
                [AttackOverrides.Minimize] = request.Minimize ? "true" : "false",
            };
            // Norm and eps are fixed too when the plan's attacks share them (a plan that mixes norms keeps each attack's own).
            if (request.Attacks.Select(a => a.Norm).Distinct().Count() == 1)
            {
                resolved[AttackOverrides.Norm] = request.Attack.Norm == NormKind.L2 ? "l2" : "linf";
            }

            if (settings.Eps is double eps)
            {
                resolved[AttackOverrides.Eps] = eps.ToString("R", inv);
            }
            else if (request.Attacks.Select(a => a.Epsilon).Distinct().Count() == 1)
            {
                resolved[AttackOverrides.Eps] = request.Attack.Epsilon.ToString("R", inv);
            }

            if (overrides.TryGetValue(AttackOverrides.TransferModels, out string? transferModels))
            {
                resolved[AttackOverrides.TransferModels] = transferModels;
            }

            return new AuditPlan
            {
                AuditId = auditId,
                Container = container,
                Prefix = prefix,
                Blobs = blobs,
                Labels = labels,
                Options = resolved,
                Attack = new AuditAttack
                {
                    Attacks = resolved[AttackOverrides.Attacks],
                    PlanMode = resolved[AttackOverrides.PlanMode],
                    Norm = request.Attacks.Select(a => a.Norm).Distinct().Count() == 1 ? (request.Attack.Norm == NormKind.L2 ? "l2" : "linf") : "mixed",
                    Eps = request.Attack.Epsilon,
                    MaxQueries = request.Attack.MaxQueries,
                    Seed = request.Attack.Seed,
                    Target = request.Target ?? "none",
                    Minimize = request.Minimize,
                },
                CreatedUtc = now,
                ChunkSize = _options.ImagesPerExecution,
            };
        }
    }

    /// <summary>An attack plan given as one spec or an array of specs, as the <c>;</c>-separated text blob metadata uses.</summary>
    private static string? PlanText(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Array when v.GetArrayLength() > 0 && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String && !e.GetString()!.Contains(';', StringComparison.Ordinal))
            => string.Join(";", v.EnumerateArray().Select(e => e.GetString())),
        _ => null,
    };

    private static List<string> Blobs(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
        {
            throw new AuditRequestException("'blobs' must be a non-empty array of blob names, e.g. [\"a.png\", \"b/c.jpg\"].");
        }

        if (element.GetArrayLength() > MaxManifestBlobs)
        {
            throw new AuditRequestException($"'blobs' lists {element.GetArrayLength()} names; at most {MaxManifestBlobs} per audit (split it, or use a prefix).");
        }

        var names = new List<string>(element.GetArrayLength());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonElement item in element.EnumerateArray())
        {
            string? name = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            if (string.IsNullOrWhiteSpace(name) || name.Length > 1024 || name.EndsWith('/'))
            {
                throw new AuditRequestException($"'blobs' has an invalid entry {item.GetRawText()}: each must be a blob name (1 to 1024 characters, not ending with '/').");
            }

            if (!seen.Add(name))
            {
                throw new AuditRequestException($"'blobs' lists '{name}' twice; each image is audited once.");
            }

            names.Add(name);
        }

        return names;
    }

    private static Dictionary<string, string> Labels(JsonElement root, string? prefix, List<string>? blobs)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("labels", out JsonElement element))
        {
            return labels;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new AuditRequestException("'labels' must be an object from blob name to true class: an output index (number) or a label (text), e.g. {\"a.png\": 3, \"b.png\": \"Dress\"}.");
        }

        var listed = blobs is null ? null : new HashSet<string>(blobs, StringComparer.Ordinal);
        foreach (JsonProperty label in element.EnumerateObject())
        {
            string value = label.Value.ValueKind switch
            {
                JsonValueKind.Number when label.Value.TryGetInt32(out int index) && index >= 0 => index.ToString(CultureInfo.InvariantCulture),
                JsonValueKind.String when !string.IsNullOrWhiteSpace(label.Value.GetString()) => label.Value.GetString()!.Trim(),
                _ => throw new AuditRequestException($"labels['{label.Name}'] is {label.Value.GetRawText()}; it must be an output index (a whole number from 0) or a label (non-empty text)."),
            };
            if ((listed is not null && !listed.Contains(label.Name)) || (prefix is not null && !label.Name.StartsWith(prefix, StringComparison.Ordinal)))
            {
                throw new AuditRequestException($"labels names '{label.Name}', which is not {(listed is not null ? "in 'blobs'" : $"under the prefix '{prefix}'")}.");
            }

            labels[label.Name] = value;
        }

        return labels;
    }

    private static Dictionary<string, string> Options(JsonElement root)
    {
        var overrides = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!root.TryGetProperty("options", out JsonElement options))
        {
            return overrides;
        }

        if (options.ValueKind != JsonValueKind.Object)
        {
            throw new AuditRequestException("'options' must be an object, e.g. {\"norm\": \"linf\", \"eps\": 0.03, \"maxQueries\": 1000}.");
        }

        foreach (JsonProperty option in options.EnumerateObject())
        {
            JsonElement v = option.Value;
            if (option.Name == "transferModels")
            {
                overrides[AttackOverrides.TransferModels] = TransferModels(v);
                continue;
            }

            (string key, string? text, string allowed) = option.Name switch
            {
                "attacks" => (AttackOverrides.Attacks, PlanText(v), "an attack spec or an array of them, e.g. [\"square\", \"simba-dct:maxQueries=5000\"]"),
                "planMode" => (AttackOverrides.PlanMode, v.ValueKind == JsonValueKind.String ? v.GetString() : null, "\"first-success\" or \"all\""),
                "norm" => (AttackOverrides.Norm, v.ValueKind == JsonValueKind.String ? v.GetString() : null, "\"linf\" or \"l2\""),
                "eps" => (AttackOverrides.Eps, v.ValueKind is JsonValueKind.Number or JsonValueKind.String ? (v.ValueKind == JsonValueKind.Number ? v.GetRawText() : v.GetString()) : null, "a number greater than 0 (at most 1 for linf), or text such as \"8/255\""),
                "maxQueries" => (AttackOverrides.MaxQueries, v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int q) ? q.ToString(CultureInfo.InvariantCulture) : null, "a whole number from 1 to 1000000"),
                "seed" => (AttackOverrides.Seed, v.ValueKind == JsonValueKind.Number && v.TryGetUInt64(out ulong s) ? s.ToString(CultureInfo.InvariantCulture) : null, "a whole number from 0"),
                "target" => (AttackOverrides.Target, v.ValueKind == JsonValueKind.String ? v.GetString() : v.ValueKind == JsonValueKind.Null ? "none" : v.ValueKind == JsonValueKind.Number ? v.GetRawText() : null, "a label, an output index, \"random\", \"least-likely\", or \"none\""),
                "minimize" => (AttackOverrides.Minimize, v.ValueKind is JsonValueKind.True or JsonValueKind.False ? (v.GetBoolean() ? "true" : "false") : null, "true or false"),
                _ => throw new AuditRequestException($"Unknown option '{option.Name}'; allowed: {string.Join(", ", OptionNames)}."),
            };
            overrides[key] = text ?? throw new AuditRequestException($"options.{option.Name} is {v.GetRawText()}; allowed: {allowed}.");
        }

        return overrides;
    }

    /// <summary>Reads <c>options.transferModels</c>: blob names in the models container, as the comma-separated override (<c>none</c> for an empty list).</summary>
    private static string TransferModels(JsonElement value)
    {
        const string Allowed = "an array of ONNX blob names in the models container (each with a sidecar JSON), e.g. [\"mobilenet/v1.onnx\"]; [] for none";
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > MaxTransferModels)
        {
            throw new AuditRequestException($"options.transferModels must be {Allowed}, with at most {MaxTransferModels} names.");
        }

        var names = new List<string>();
        foreach (JsonElement name in value.EnumerateArray())
        {
            string? text = name.ValueKind == JsonValueKind.String ? name.GetString()?.Trim() : null;
            if (string.IsNullOrEmpty(text) || text.Contains(',', StringComparison.Ordinal) || text.Length > 1024)
            {
                throw new AuditRequestException($"options.transferModels has {name.GetRawText()}; allowed: {Allowed} (names without commas, at most 1024 characters).");
            }

            names.Add(text);
        }

        return names.Count == 0 ? "none" : string.Join(",", names);
    }

    private static string StatusUrl(Uri requestUrl, string auditId) =>
        new Uri(requestUrl, "/api/audits/" + auditId).ToString();

    private static ApiResponse Error(int status, string message) =>
        new(status, Serialize(new Dictionary<string, object?> { ["error"] = message }));

    private static string Serialize(Dictionary<string, object?> value) => JsonSerializer.Serialize(value, Json);

    private static partial class Log
    {
        [LoggerMessage(EventId = 530, Level = LogLevel.Information, Message = "Started audit {AuditId} of container {Container}, prefix {Prefix}, {Blobs} manifest names")]
        public static partial void Started(ILogger logger, string auditId, string container, string? prefix, int blobs);
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
