using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace AttackCore.Reporting;

/// <summary>Reads and writes <see cref="AttackReport"/> as JSON, the report's contract.</summary>
public static class ReportJson
{
    /// <summary>
    /// Gets the serializer settings of every report: camelCase names, enums as camelCase text,
    /// indented, null values omitted, nullable annotations enforced. Read-only.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Metadata comes from a source-generated context (no reflection), which knows the report types only:
    /// a new top-level document type is added to that context with <c>[JsonSerializable]</c>.
    /// </para>
    /// <para>
    /// Number handling is left strict on purpose: NaN and infinity are not JSON, so writing them throws
    /// instead of producing a file other tools cannot read. Values that may be undefined are nullable.
    /// </para>
    /// <para>
    /// Non-ASCII text (labels, file names) is written as is; characters that matter in HTML
    /// (<c>&lt; &gt; &amp; ' "</c>) stay escaped, so the file is safe even if someone inlines it in a page.
    /// </para>
    /// </remarks>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serializes a report to indented JSON.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The JSON text.</returns>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public static string Serialize(AttackReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, Options);
    }

    /// <summary>Reads a report written by <see cref="Serialize"/>, refusing schema versions this build does not know.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The report.</returns>
    /// <exception cref="JsonException">
    /// The text is not JSON, not a report, has a schema version other than
    /// <see cref="AttackReport.CurrentSchemaVersion"/>, or lacks a required field.
    /// </exception>
    public static AttackReport Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);

        // Check the version before binding: a newer schema may have re-meant fields, and binding it
        // first would fail (or worse, succeed) with a message that hides the real cause.
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("An attack report must be a JSON object.");
        }

        if (!root.TryGetProperty("schemaVersion", out var version) || version.ValueKind != JsonValueKind.Number)
        {
            throw new JsonException("Not an attack report: the numeric field 'schemaVersion' is missing.");
        }

        if (version.TryGetInt32(out var old) && old == 1)
        {
            // Results written before version 2 stay readable (an audit resumed after an upgrade summarizes them).
            return UpgradeFromVersion1(root);
        }

        if (!version.TryGetInt32(out var schemaVersion) || schemaVersion != AttackReport.CurrentSchemaVersion)
        {
            var shown = version.GetRawText();
            var hint = version.TryGetInt32(out var v) && v > AttackReport.CurrentSchemaVersion
                ? " It was written by a newer version of the tool; update this tool to read it."
                : string.Empty;
            throw new JsonException(string.Format(
                CultureInfo.InvariantCulture,
                "Unsupported report schema version {0}: this build reads versions 1 and {1}.{2}",
                shown,
                AttackReport.CurrentSchemaVersion,
                hint));
        }

        return root.Deserialize<AttackReport>(Options)
            ?? throw new JsonException("An attack report must be a JSON object, not null.");
    }

    /// <summary>
    /// Reads a version-1 report as version 2: every attack section gets the budget it used (computed as version 2
    /// writes it) and a loss that says version 1 did not record which loss its trace holds.
    /// </summary>
    private static AttackReport UpgradeFromVersion1(JsonElement root)
    {
        JsonObject report = JsonNode.Parse(root.GetRawText())!.AsObject();
        report["schemaVersion"] = AttackReport.CurrentSchemaVersion;
        var attacks = new List<JsonObject>();
        if (report["attack"] is JsonObject attack)
        {
            attacks.Add(attack);
        }

        if (report["attempts"] is JsonArray attempts)
        {
            attacks.AddRange(attempts.OfType<JsonObject>().Select(a => a["attack"]).OfType<JsonObject>());
        }

        foreach (JsonObject info in attacks)
        {
            string norm = info["norm"]?.GetValue<string>() ?? "linf";
            double eps = info["eps"]?.GetValue<double>() ?? 0;
            info["epsUsed"] ??= AttackInfo.BudgetUsed(norm, eps);
            info["loss"] ??= JsonSerializer.SerializeToNode(Version1Loss, Options);
        }

        return report.Deserialize<AttackReport>(Options)
            ?? throw new JsonException("An attack report must be a JSON object, not null.");
    }

    private static readonly LossInfo Version1Loss = new("unrecorded", "Loss (not recorded by report version 1)", "a version-1 report does not say which loss its trace holds: the attack's own (margin for Square Attack)");

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = true,
            NumberHandling = JsonNumberHandling.Strict,
            RespectNullableAnnotations = true,
            TypeInfoResolver = ReportJsonContext.Default,
            Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        };

        // The generic converter keeps the enum AOT-safe; integers are refused so a reader never sees "2".
        options.Converters.Add(new JsonStringEnumConverter<OutcomeStatus>(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.MakeReadOnly();
        return options;
    }
}
