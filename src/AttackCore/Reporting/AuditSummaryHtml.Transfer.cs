using System.Text;

namespace AttackCore.Reporting;

/// <content>The transfer matrix section.</content>
public static partial class AuditSummaryHtml
{
    /// <summary>Renders the matrix: one row per source model and attack, one column per target, each cell "fooled / evaluated (rate)".</summary>
    private static void AppendTransfer(StringBuilder h, IReadOnlyList<TransferMatrixCell>? cells)
    {
        if (cells is not { Count: > 0 })
        {
            return;
        }

        List<string> targets = [.. cells.Select(c => c.TargetModel).Distinct(StringComparer.Ordinal)];
        h.Append("<section><h2>Transfer matrix</h2><p class=\"muted\">Of the adversarial images that fooled the source model, the share that fool each target model too (fooled / evaluated).</p>");
        h.Append("<table id=\"transfer\"><tr><th>source model</th><th>attack</th>");
        foreach (string target in targets)
        {
            h.Append("<th class=\"n\">").Append(E(target)).Append("</th>");
        }

        h.Append("</tr>");
        foreach (var row in cells.GroupBy(c => (c.SourceModel, c.Attack, c.Norm)))
        {
            h.Append("<tr><td>").Append(E(row.Key.SourceModel)).Append("</td><td>").Append(E(row.Key.Attack)).Append(' ').Append(E(row.Key.Norm)).Append("</td>");
            foreach (string target in targets)
            {
                h.Append("<td class=\"n\">");
                foreach (TransferMatrixCell cell in row.Where(c => c.TargetModel == target))
                {
                    h.Append(N(cell.Fooled)).Append(" / ").Append(N(cell.Evaluated)).Append(" (").Append(Pct(cell.Rate)).Append(")<br>");
                }

                h.Append("</td>");
            }

            h.Append("</tr>");
        }

        h.Append("</table></section>");
    }
}
