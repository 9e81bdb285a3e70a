using System.Text.Json;
using System.Text.Json.Serialization;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// The body of <c>POST /api/audits</c> as read (see <see cref="AuditApi"/>): every field it may hold, and no other (the
/// reader refuses unknown members). A value that may take several JSON forms (a plan as one spec or an array, a budget
/// as a number or <c>"8/255"</c>, a label as an index or a name) stays a <see cref="JsonElement"/> for the API to read.
/// </summary>
internal sealed record AuditRequestBody
{
    /// <summary>The names of the fields, as the caller writes them.</summary>
    public static readonly string[] Fields = ["prefix", "blobs", "container", "options", "labels"];

    /// <summary>Gets the prefix whose blobs are audited.</summary>
    public string? Prefix { get; init; }

    /// <summary>Gets the manifest of blob names.</summary>
    public List<string?>? Blobs { get; init; }

    /// <summary>Gets the container of the images.</summary>
    public string? Container { get; init; }

    /// <summary>Gets the attack options over the app's settings.</summary>
    public AuditRequestOptions? Options { get; init; }

    /// <summary>Gets the true classes by blob name: an output index (number) or a label (text).</summary>
    public Dictionary<string, JsonElement>? Labels { get; init; }

    /// <summary>Gets the reader's options: camelCase names, exact case, unknown members refused.</summary>
    public static JsonSerializerOptions ReaderOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
    };
}

/// <summary>The <c>options</c> of an audit body; absent members keep the app's <c>Attack__*</c> settings.</summary>
internal sealed record AuditRequestOptions
{
    /// <summary>The names of the options, as the caller writes them.</summary>
    public static readonly string[] Fields = ["attacks", "planMode", "norm", "eps", "maxQueries", "seed", "target", "minimize", "transferModels", "surrogateModels"];

    /// <summary>Gets the plan: one spec, or an array of specs.</summary>
    public JsonElement Attacks { get; init; }

    /// <summary>Gets the plan mode.</summary>
    public string? PlanMode { get; init; }

    /// <summary>Gets the norm.</summary>
    public string? Norm { get; init; }

    /// <summary>Gets the budget: a number, or text such as <c>"8/255"</c>.</summary>
    public JsonElement Eps { get; init; }

    /// <summary>Gets the query budget.</summary>
    public int? MaxQueries { get; init; }

    /// <summary>Gets the seed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Gets the target: a label, an output index, <c>"none"</c> or <c>null</c> (untargeted); <see cref="JsonValueKind.Undefined"/> when absent.</summary>
    public JsonElement Target { get; init; }

    /// <summary>Gets the minimization switch.</summary>
    public bool? Minimize { get; init; }

    /// <summary>Gets the transfer models (blob names in the models container).</summary>
    public List<string?>? TransferModels { get; init; }

    /// <summary>Gets the surrogate models (blob names in the models container) that surrogate-based attacks craft on.</summary>
    public List<string?>? SurrogateModels { get; init; }
}
