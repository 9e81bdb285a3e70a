using System.Text;
using System.Text.Json;
using AttackCore.Reporting;
using Json.Schema;

namespace AttackCore.Tests.TestSupport;

/// <summary>
/// Validates written <c>report.json</c> and <c>summary.json</c> files against the committed schemas
/// (<c>docs/report.schema.json</c>, <c>docs/summary.schema.json</c>; the generated ones outside a checkout) before
/// reading them, so every report a test writes and reads is checked against the published contract.
/// </summary>
internal static class SchemaCheck
{
    private static readonly Lazy<JsonSchema> ReportSchema = new(() => Load(ReportSchemas.ReportFileName, ReportSchemas.Report));
    private static readonly Lazy<JsonSchema> SummarySchema = new(() => Load(ReportSchemas.SummaryFileName, ReportSchemas.Summary));

    /// <summary>Validates a report's JSON against <c>docs/report.schema.json</c>, then reads it.</summary>
    /// <param name="json">The text of a report.json.</param>
    /// <returns>The report.</returns>
    public static AttackReport Report(string json)
    {
        AssertValid(ReportSchema.Value, json, "report.json");
        return ReportJson.Deserialize(json);
    }

    /// <summary>Validates a summary's JSON against <c>docs/summary.schema.json</c>, then reads it.</summary>
    /// <param name="json">The text of a summary.json.</param>
    /// <returns>The summary.</returns>
    public static AuditSummary Summary(string json)
    {
        AssertValid(SummarySchema.Value, json, "summary.json");
        return AuditSummaryJson.Deserialize(json);
    }

    /// <summary>Gets the errors of <paramref name="json"/> against the report's schema, empty when it is valid.</summary>
    /// <param name="json">The text.</param>
    /// <returns>One line per error: where, and what.</returns>
    public static IReadOnlyList<string> ReportErrors(string json) => Errors(ReportSchema.Value, json);

    private static void AssertValid(JsonSchema schema, string json, string what)
    {
        List<string> errors = Errors(schema, json);
        Assert.True(errors.Count == 0, $"The {what} does not match its schema in docs/:\n{string.Join('\n', errors)}");
    }

    private static List<string> Errors(JsonSchema schema, string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        EvaluationResults results = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = new List<string>();
        if (results.IsValid)
        {
            return errors;
        }

        foreach (EvaluationResults detail in results.Details ?? [])
        {
            foreach (KeyValuePair<string, string> error in detail.Errors ?? new Dictionary<string, string>())
            {
                errors.Add(new StringBuilder().Append(detail.InstanceLocation).Append(" (").Append(detail.EvaluationPath).Append("): ").Append(error.Key).Append(": ").Append(error.Value).ToString());
            }
        }

        if (errors.Count == 0)
        {
            errors.Add("invalid, without details");
        }

        return errors;
    }

    private static JsonSchema Load(string fileName, Func<string> generated)
    {
        string? path = RepoPaths.FromRoot(Path.Combine("docs", fileName));
        string text = path is not null && File.Exists(path) ? File.ReadAllText(path) : generated();
        return JsonSchema.FromText(text);
    }
}
