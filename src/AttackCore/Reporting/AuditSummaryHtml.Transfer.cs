using System.Text;

namespace AttackCore.Reporting;

/// <content>The transfer matrix and surrogate transfer sections.</content>
public static partial class AuditSummaryHtml
{
    /// <summary>Renders the surrogate transfer table: one row per set of surrogates, target and attack.</summary>
    private static void AppendSurrogateTransfer(StringBuilder h, IReadOnlyList<SurrogateTransferRow>? rows)
    {
        if (rows is not { Count: > 0 })
        {
            return;
        }

        h.Append("<section><h2>Transfer from surrogates</h2><p class=\"muted\">Images crafted on surrogate models the attacker owns, then sent to the target: the share that fooled it (verified through the 8-bit PNG). Surrogate gradient evaluations are not queries to the target.</p>");
        h.Append("<table id=\"surrogate-transfer\"><tr><th>surrogates</th><th>target model</th><th>attack</th><th class=\"n\">fooled / attacked</th><th class=\"n\">rate</th><th class=\"n\">target queries / image</th><th class=\"n\">surrogate gradient evaluations / image</th></tr>");
        foreach (SurrogateTransferRow row in rows)
        {
            h.Append("<tr><td>").Append(E(string.Join(" + ", row.Surrogates))).Append("</td><td>").Append(E(row.TargetModel)).Append("</td><td>")
                .Append(E(row.Attack)).Append(' ').Append(E(row.Norm)).Append(' ').Append(E(row.Eps.ToString("0.####", Inv))).Append("</td><td class=\"n\">")
                .Append(N(row.Fooled)).Append(" / ").Append(N(row.Attacked)).Append("</td><td class=\"n\">").Append(Pct(row.Rate)).Append("</td><td class=\"n\">")
                .Append(E(row.MeanTargetQueries.ToString("0.##", Inv))).Append("</td><td class=\"n\">")
                .Append(E(row.MeanSurrogateGradientEvaluations.ToString("0.#", Inv))).Append("</td></tr>");
        }

        h.Append("</table></section>");
    }

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
