using System.Globalization;
using System.Text;

namespace AttackCore.Reporting;

/// <summary>Writes the per-image rows of an <see cref="AuditSummary"/> as CSV (<c>summary.csv</c>): RFC 4180, a header line, one line per input, invariant culture.</summary>
public static class AuditSummaryCsv
{
    /// <summary>The header line's columns.</summary>
    public static IReadOnlyList<string> Columns { get; } =
        ["input", "status", "true_class", "clean_label", "clean_correct", "adversarial_label", "queries", "eps_star", "result_folder", "reason", "surrogate_gradient_evaluations"];

    /// <summary>Renders the CSV.</summary>
    /// <param name="summary">The summary.</param>
    /// <returns>The text, lines ending with CRLF.</returns>
    public static string Render(AuditSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var text = new StringBuilder();
        Line(text, Columns);
        foreach (AuditImageRow row in summary.Images)
        {
            Line(text,
            [
                row.Input,
                row.Status,
                row.TrueClass,
                row.CleanLabel,
                row.CleanCorrect is bool c ? (c ? "true" : "false") : null,
                row.AdversarialLabel,
                row.Queries?.ToString(CultureInfo.InvariantCulture),
                row.EpsStar?.ToString("R", CultureInfo.InvariantCulture),
                row.ResultFolder,
                row.Reason,
                row.SurrogateGradientEvaluations?.ToString(CultureInfo.InvariantCulture),
            ]);
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, IReadOnlyList<string?> fields)
    {
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(Field(fields[i]));
        }

        text.Append("\r\n");
    }

    private static string Field(string? value)
    {
        value ??= string.Empty;

        // A leading = + - @ would run as a formula in a spreadsheet; a quote and a leading apostrophe keep it text.
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 || value.StartsWith('\'') ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
