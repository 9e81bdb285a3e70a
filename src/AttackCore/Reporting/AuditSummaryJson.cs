using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace AttackCore.Reporting;

/// <summary>Reads and writes <see cref="AuditSummary"/> as JSON (<c>summary.json</c>), with the report's conventions.</summary>
/// <remarks>camelCase names, indented, nulls omitted, strict numbers (NaN is refused), HTML-significant characters escaped.</remarks>
public static class AuditSummaryJson
{
    /// <summary>Gets the serializer settings (source-generated metadata; read-only).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serializes a summary.</summary>
    /// <param name="summary">The summary.</param>
    /// <returns>Indented JSON.</returns>
    public static string Serialize(AuditSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return JsonSerializer.Serialize(summary, Options);
    }

    /// <summary>Reads a summary, refusing other schema versions.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The summary.</returns>
    /// <exception cref="JsonException">Not a summary of this schema version.</exception>
    public static AuditSummary Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        AuditSummary summary = JsonSerializer.Deserialize<AuditSummary>(json, Options) ?? throw new JsonException("An audit summary must be a JSON object.");
        return summary.SchemaVersion == AuditSummary.CurrentSchemaVersion
            ? summary
            : throw new JsonException($"Unsupported audit summary schema version {summary.SchemaVersion}: this build reads version {AuditSummary.CurrentSchemaVersion} only.");
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = true,
            NumberHandling = JsonNumberHandling.Strict,
            RespectNullableAnnotations = true,
            TypeInfoResolver = AuditSummaryJsonContext.Default,
            Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        };
        options.MakeReadOnly();
        return options;
    }
}

/// <summary>Compile-time JSON metadata for <see cref="AuditSummary"/>.</summary>
[JsonSerializable(typeof(AuditSummary))]
internal sealed partial class AuditSummaryJsonContext : JsonSerializerContext;
