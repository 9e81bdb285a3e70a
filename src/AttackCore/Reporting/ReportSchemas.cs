using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace AttackCore.Reporting;

/// <summary>
/// The JSON Schemas of <c>report.json</c> and <c>summary.json</c>, generated from the C# types with the very serializer
/// settings that write the files (<see cref="ReportJson.Options"/>, <see cref="AuditSummaryJson.Options"/>), so the
/// schema cannot drift from what is written. The repository keeps them as <c>docs/report.schema.json</c> and
/// <c>docs/summary.schema.json</c>; <c>advaudit schema --out docs</c> writes them again.
/// </summary>
/// <remarks>
/// The schemas are JSON Schema draft 2020-12 as System.Text.Json's <see cref="JsonSchemaExporter"/> produces it:
/// nullable members are typed <c>["...", "null"]</c> (the writer omits nulls), required members (C# <c>required</c>)
/// are listed in <c>required</c>, and <c>schemaVersion</c> is pinned to the version this build writes.
/// </remarks>
public static class ReportSchemas
{
    /// <summary>The file name of the report's schema.</summary>
    public const string ReportFileName = "report.schema.json";

    /// <summary>The file name of the summary's schema.</summary>
    public const string SummaryFileName = "summary.schema.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Gets the schema of <c>report.json</c> (<see cref="AttackReport"/>) as indented JSON text.</summary>
    /// <returns>The schema, ending with a newline.</returns>
    public static string Report() =>
        Export(ReportJson.Options, typeof(AttackReport), "advaudit attack report (report.json)", AttackReport.CurrentSchemaVersion);

    /// <summary>Gets the schema of <c>summary.json</c> (<see cref="AuditSummary"/>) as indented JSON text.</summary>
    /// <returns>The schema, ending with a newline.</returns>
    public static string Summary() =>
        Export(AuditSummaryJson.Options, typeof(AuditSummary), "advaudit audit summary (summary.json)", AuditSummary.CurrentSchemaVersion);

    private static string Export(JsonSerializerOptions options, Type type, string title, int version)
    {
        var exporter = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, node) =>
            {
                // Pin the version, so a validator rejects a file of another schema version with a clear path.
                if (context.PropertyInfo is { Name: "schemaVersion" } info && info.DeclaringType == type && node is JsonObject property)
                {
                    property["const"] = version;
                }

                return node;
            },
        };
        JsonNode schema = options.GetJsonSchemaAsNode(type, exporter);
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = title,
            ["description"] = $"Schema version {version}, generated from the C# types by the JsonSchemaExporter of System.Text.Json; see docs/report-schema.md for the meaning of each field.",
        };
        foreach (KeyValuePair<string, JsonNode?> entry in schema.AsObject().ToList())
        {
            schema.AsObject().Remove(entry.Key);
            root[entry.Key] = entry.Value;
        }

        return root.ToJsonString(Indented).ReplaceLineEndings("\n") + "\n";
    }
}
