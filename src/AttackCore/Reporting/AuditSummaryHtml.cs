using System.Globalization;
using System.Net;
using System.Text;

namespace AttackCore.Reporting;

/// <summary>
/// Renders an <see cref="AuditSummary"/> as one self-contained HTML page (<c>summary.html</c>): inline CSS and SVG,
/// no scripts, nothing downloaded. Made from the summary alone; all text is HTML-encoded and all numbers use the
/// invariant culture.
/// </summary>
public static partial class AuditSummaryHtml
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private const string Css = """
        body { margin:0; padding:24px; background:#f6f7fa; color:#1d2330; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; }
        main { max-width:1080px; margin:0 auto; }
        h1 { font-size:22px; margin:0 0 8px; } h2 { font-size:16px; margin:0 0 12px; }
        section, header { background:#fff; border:1px solid #d9dee7; border-radius:8px; padding:16px 20px; margin-bottom:16px; }
        table { border-collapse:collapse; width:100%; } th, td { text-align:left; padding:3px 8px; border-bottom:1px solid #eceff4; vertical-align:top; }
        td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
        .bar { background:#2f6fdf; height:12px; display:inline-block; vertical-align:middle; }
        .muted { color:#5b6474; } ul { margin:0; padding-left:20px; }
        img.thumb { width:48px; height:48px; object-fit:contain; image-rendering:pixelated; border:1px solid #d9dee7; background:#eee; vertical-align:middle; }
        svg.curve text { font-size:11px; fill:#5b6474; }
        """;

    /// <summary>Renders the page.</summary>
    /// <param name="summary">The summary.</param>
    /// <param name="resultsRoot">
    /// The relative path from the page's folder to the folder that <see cref="AuditImageRow.ResultFolder"/> is relative
    /// to, ending in <c>/</c> (empty when the page sits there, as the command line's <c>summary.html</c> does); the
    /// images table links each image's <c>report.html</c> and shows its thumbnail through it.
    /// </param>
    /// <returns>The HTML text.</returns>
    public static string Render(AuditSummary summary, string resultsRoot = "")
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(resultsRoot);
        var h = new StringBuilder();
        AuditCounts c = summary.Counts;
        AuditAttack a = summary.Attack;
        string plan = string.Join(" then ", summary.Robustness?.Attacks ?? [a.Attacks]);
        string budget = Budget(a);
        string title = $"{plan} ({Norm(a.Norm)} eps {budget})" + (summary.Model is { } m ? $" on {m.Name}" : string.Empty);
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        h.Append("<title>").Append(E($"Audit {summary.AuditId}: {title}")).Append("</title><style>").Append(Css).Append("</style></head><body><main>");
        h.Append("<header><h1>").Append(E("Robustness audit: " + title)).Append("</h1><p class=\"muted\" id=\"subtitle\">")
            .Append(E($"Audit {summary.AuditId} of {summary.Source}, {N(c.Images)} input{(c.Images == 1 ? string.Empty : "s")}"));
        if (summary.Model is { } model)
        {
            h.Append(" &middot; model ").Append(E(model.Name)).Append(" (").Append(E(model.Preprocessing)).Append(')');
        }

        h.Append(" &middot; plan ").Append(E(a.Attacks)).Append(" (").Append(E(a.PlanMode)).Append("), ").Append(N(a.MaxQueries)).Append(" queries per image and attack, target ").Append(E(a.Target))
            .Append(", seed ").Append(N(a.Seed)).Append(a.Minimize ? ", eps* searched" : ", eps* not searched").Append("</p></header>");

        if (summary.Robustness is { } robustness)
        {
            h.Append("<p id=\"robustness\"><strong>").Append(E(robustness.Line)).Append("</strong></p>");
        }

        h.Append("<section><h2>Counts</h2><table id=\"counts\"><tr>");
        foreach (string name in new[] { "images", "attacked", "fooled", "not fooled", "skipped", "failed", "evaluated", "clean correct" })
        {
            h.Append("<th class=\"n\">").Append(E(name)).Append("</th>");
        }

        h.Append("</tr><tr>");
        foreach (int value in new[] { c.Images, c.Attacked, c.Fooled, c.NotFooled, c.Skipped, c.Failed, c.Evaluated, c.CleanCorrect })
        {
            h.Append("<td class=\"n\">").Append(N(value)).Append("</td>");
        }

        h.Append("</tr></table></section>");

        h.Append("<section><h2>Accuracy and attack success</h2><table>");
        Rate(h, "Clean accuracy", summary.CleanAccuracy);
        Rate(h, "Attack success over all evaluated images", summary.AttackSuccessOverAllImages);
        Rate(h, "Attack success over correctly classified images", summary.AttackSuccessOverCorrectlyClassified);
        h.Append("</table></section>");

        h.Append("<section><h2>Robust accuracy by eps</h2>").Append(Curve(summary.RobustAccuracy, a)).Append("<table><tr><th class=\"n\">eps</th><th class=\"n\">robust</th><th class=\"n\">of</th><th class=\"n\">accuracy</th></tr>");
        foreach (RobustAccuracyPoint p in summary.RobustAccuracy)
        {
            h.Append("<tr><td class=\"n\">").Append(p.Eps.ToString("0.#####", Inv)).Append("</td><td class=\"n\">").Append(N(p.Robust)).Append("</td><td class=\"n\">").Append(N(p.Of)).Append("</td><td class=\"n\">").Append(Pct(p.Accuracy)).Append("</td></tr>");
        }

        h.Append("</table></section>");
        Distribution(h, "Queries (fooled images)", summary.Queries, "0");
        if (summary.MeanQueriesAllAttacked is double all)
        {
            h.Append("<p class=\"muted\">Mean queries over every attacked image: ").Append(all.ToString("0.#", Inv)).Append("</p>");
        }

        Distribution(h, "eps* (fooled images)", summary.EpsStar, "0.#####");

        AppendAttacks(h, summary.Attacks);
        AppendTransfer(h, summary.Transfer);
        AppendSurrogateTransfer(h, summary.SurrogateTransfer);
        h.Append("<section><h2>Per class</h2><table><tr><th>true class</th><th class=\"n\">images</th><th class=\"n\">clean correct</th><th class=\"n\">fooled</th><th class=\"n\">not fooled</th><th class=\"n\">failed</th><th class=\"n\">mean queries</th></tr>");
        foreach (AuditClassRow row in summary.PerClass)
        {
            h.Append("<tr><td>").Append(E(row.TrueClass)).Append("</td><td class=\"n\">").Append(N(row.Images)).Append("</td><td class=\"n\">").Append(N(row.CleanCorrect))
                .Append("</td><td class=\"n\">").Append(N(row.Fooled)).Append("</td><td class=\"n\">").Append(N(row.NotFooled)).Append("</td><td class=\"n\">").Append(N(row.Failed))
                .Append("</td><td class=\"n\">").Append(row.MeanQueries?.ToString("0.#", Inv) ?? "-").Append("</td></tr>");
        }

        h.Append("</table></section>");

        h.Append("<section><h2>Failures (").Append(N(summary.Failures.Count)).Append(")</h2>");
        if (summary.Failures.Count == 0)
        {
            h.Append("<p class=\"muted\">None.</p>");
        }
        else
        {
            h.Append("<table><tr><th>input</th><th>reason</th><th>message</th></tr>");
            foreach (AuditFailure f in summary.Failures)
            {
                h.Append("<tr><td>").Append(E(f.Input)).Append("</td><td>").Append(E(f.Reason)).Append("</td><td>").Append(E(f.Message)).Append("</td></tr>");
            }

            h.Append("</table>");
        }

        h.Append("</section><section><h2>Images</h2><table id=\"images\"><tr><th>image</th><th>input</th><th>status</th><th>true class</th><th>clean</th><th>adversarial</th><th class=\"n\">queries</th><th class=\"n\">eps*</th><th class=\"n\">attack time</th></tr>");
        foreach (AuditImageRow row in summary.Images)
        {
            string folder = resultsRoot + string.Join('/', row.ResultFolder.Split('/').Select(Uri.EscapeDataString)) + "/";
            h.Append("<tr><td>");
            if (row.Thumbnail is string thumbnail)
            {
                h.Append("<a href=\"").Append(E(folder + AttackCore.Engine.ResultFolder.ReportHtml)).Append("\"><img class=\"thumb\" src=\"").Append(E(folder + Uri.EscapeDataString(thumbnail)))
                    .Append("\" alt=\"").Append(E(row.Input)).Append("\"></a>");
            }

            h.Append("</td><td>");
            if (row.Thumbnail is not null)
            {
                h.Append("<a href=\"").Append(E(folder + AttackCore.Engine.ResultFolder.ReportHtml)).Append("\">").Append(E(row.Input)).Append("</a>");
            }
            else
            {
                h.Append(E(row.Input));
            }

            string epsStar = row.Status switch
            {
                "fooled" => row.EpsStar is double e ? a.Norm == "linf" ? $"{e.ToString("0.#####", Inv)} ({(e * 255).ToString("0.##", Inv)}/255)" : e.ToString("0.#####", Inv) : "-",
                "notFooled" => "does not apply (not fooled)",
                "alreadyMisclassified" => "does not apply (not attacked)",
                _ => "-",
            };
            h.Append("</td><td>").Append(E(row.Status)).Append("</td><td>").Append(E(row.TrueClass)).Append("</td><td>").Append(E(row.CleanLabel))
                .Append("</td><td>").Append(E(row.AdversarialLabel)).Append("</td><td class=\"n\">").Append(row.Queries?.ToString(Inv) ?? "-").Append("</td><td class=\"n\">")
                .Append(E(epsStar)).Append("</td><td class=\"n\">").Append(row.AttackMs is double ms ? E(ms >= 10_000 ? (ms / 1000).ToString("0.0", Inv) + " s" : ms.ToString("0.#", Inv) + " ms") : "-").Append("</td></tr>");
        }

        h.Append("</table></section><section><h2>Definitions</h2><ul>");
        foreach (string note in summary.Notes)
        {
            h.Append("<li>").Append(E(note)).Append("</li>");
        }

        AuditTimings t = summary.Timings;
        h.Append("</ul><p class=\"muted\">Started ").Append(E(t.StartedUtc.ToString("u", Inv))).Append(", finished ").Append(E(t.FinishedUtc.ToString("u", Inv)))
            .Append(" (").Append(t.WallSeconds.ToString("0.#", Inv)).Append(" s). Schema version ").Append(N(summary.SchemaVersion)).Append(".</p></section>");
        h.Append("</main></body></html>\n");
        return h.ToString();
    }

    private static void AppendAttacks(StringBuilder h, IReadOnlyList<AttackComparisonRow>? rows)
    {
        if (rows is null)
        {
            return;
        }

        h.Append("<section><h2>Attacks</h2><table><tr><th>attack</th><th>norm</th><th class=\"n\">eps</th><th class=\"n\">attempted</th><th class=\"n\">fooled</th><th class=\"n\">success</th><th class=\"n\">mean queries</th><th class=\"n\">median queries</th><th class=\"n\">mean eps*</th><th class=\"n\">mean L2</th></tr>");
        foreach (AttackComparisonRow r in rows)
        {
            h.Append("<tr><td>").Append(E(r.Attack)).Append("</td><td>").Append(E(r.Norm)).Append("</td><td class=\"n\">").Append(N(r.Eps)).Append("</td><td class=\"n\">").Append(N(r.Attempted))
                .Append("</td><td class=\"n\">").Append(N(r.Fooled)).Append("</td><td class=\"n\">").Append(Pct(r.SuccessRate)).Append("</td><td class=\"n\">").Append(r.MeanQueries?.ToString("0.#", Inv) ?? "-")
                .Append("</td><td class=\"n\">").Append(r.MedianQueries?.ToString("0.#", Inv) ?? "-").Append("</td><td class=\"n\">").Append(r.MeanEpsStar?.ToString("0.#####", Inv) ?? "-")
                .Append("</td><td class=\"n\">").Append(r.MeanL2?.ToString("0.###", Inv) ?? "-").Append("</td></tr>");
        }

        h.Append("</table></section>");
    }

    private static void Rate(StringBuilder h, string name, AuditRate rate) =>
        h.Append("<tr><th>").Append(E(name)).Append("</th><td class=\"n\">").Append(Pct(rate.Rate)).Append("</td><td class=\"n\">").Append(N(rate.Count)).Append(" / ").Append(N(rate.Of))
            .Append("</td><td class=\"muted\">").Append(E(rate.Definition)).Append("</td></tr>");

    private static void Distribution(StringBuilder h, string title, AuditDistribution d, string format)
    {
        h.Append("<section><h2>").Append(E(title)).Append("</h2><p>count ").Append(N(d.Count));
        if (d.Count > 0)
        {
            h.Append(", mean ").Append(d.Mean!.Value.ToString(format + ".###", Inv)).Append(", median ").Append(d.Median!.Value.ToString(format + ".###", Inv))
                .Append(", min ").Append(d.Min!.Value.ToString(format + ".###", Inv)).Append(", max ").Append(d.Max!.Value.ToString(format + ".###", Inv));
        }

        h.Append("</p><table>");
        int most = d.Histogram.Count > 0 ? Math.Max(1, d.Histogram.Max(b => b.Count)) : 1;
        foreach (HistogramBin bin in d.Histogram)
        {
            h.Append("<tr><td class=\"n\">").Append(bin.From.ToString("0.#####", Inv)).Append(" &ndash; ").Append(bin.To.ToString("0.#####", Inv)).Append("</td><td class=\"n\">").Append(N(bin.Count))
                .Append("</td><td style=\"width:60%\"><span class=\"bar\" style=\"width:").Append((100.0 * bin.Count / most).ToString("0.#", Inv)).Append("%\"></span></td></tr>");
        }

        h.Append("</table></section>");
    }

    /// <summary>
    /// The robust-accuracy curve as a step function (accuracy holds until the next eps, where it drops), from 0 to the
    /// budget used, with axis titles and ticks at round values of eps (8-bit steps for L-inf) and every 25 % of accuracy.
    /// </summary>
    private static string Curve(IReadOnlyList<RobustAccuracyPoint> points, AuditAttack attack)
    {
        var drawn = points.Where(p => p.Accuracy is not null).ToList();
        if (drawn.Count < 2 || drawn[^1].Eps <= 0)
        {
            return string.Empty;
        }

        const int W = 560, H = 240, L = 56, B = 44, T = 12, R = 16;
        double maxEps = drawn[^1].Eps;
        double X(double eps) => L + ((W - L - R) * eps / maxEps);
        double Y(double accuracy) => T + ((H - T - B) * (1 - accuracy));
        var svg = new StringBuilder();
        svg.Append(Inv, $"<svg class=\"curve\" data-chart=\"robust-accuracy\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"robust accuracy by eps\" xmlns=\"http://www.w3.org/2000/svg\">");
        foreach (int percent in new[] { 0, 25, 50, 75, 100 })
        {
            double y = Y(percent / 100.0);
            svg.Append(Inv, $"<line x1=\"{L}\" y1=\"{F(y)}\" x2=\"{W - R}\" y2=\"{F(y)}\" stroke=\"#eceff4\"/><text class=\"y-tick\" x=\"{L - 6}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{percent}%</text>");
        }

        foreach ((double eps, string label) in Ticks(attack.Norm, maxEps))
        {
            double x = X(eps);
            svg.Append(Inv, $"<line x1=\"{F(x)}\" y1=\"{H - B}\" x2=\"{F(x)}\" y2=\"{H - B + 4}\" stroke=\"#999\"/><text class=\"x-tick\" x=\"{F(x)}\" y=\"{H - B + 16}\" text-anchor=\"middle\">{E(label)}</text>");
        }

        svg.Append(Inv, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"#999\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"#999\"/>")
            .Append(Inv, $"<text class=\"x-title\" x=\"{F(L + ((W - L - R) / 2.0))}\" y=\"{H - 6}\" text-anchor=\"middle\">{E($"eps ({Norm(attack.Norm)}, budget used {Budget(attack)})")}</text>")
            .Append(Inv, $"<text class=\"y-title\" x=\"14\" y=\"{F(T + ((H - T - B) / 2.0))}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {F(T + ((H - T - B) / 2.0))})\">robust accuracy</text>");
        var path = new StringBuilder();
        for (int i = 0; i < drawn.Count; i++)
        {
            double x = X(drawn[i].Eps), y = Y(drawn[i].Accuracy!.Value);
            if (i == 0)
            {
                path.Append(Inv, $"M{F(x)},{F(y)}");
            }
            else
            {
                // Accuracy at eps counts every image fooled within eps: it holds from the last point and drops here.
                path.Append(Inv, $" H{F(x)} V{F(y)}");
            }
        }

        svg.Append(Inv, $"<path class=\"step\" d=\"{path}\" fill=\"none\" stroke=\"#2f6fdf\" stroke-width=\"2\"/></svg>");
        return svg.ToString();
    }

    /// <summary>About five ticks from 0 to <paramref name="max"/>: whole 8-bit steps for L-inf when they fit, else 1, 2 or 5 times a power of ten.</summary>
    private static IEnumerable<(double Eps, string Label)> Ticks(string norm, double max)
    {
        if (norm == "linf" && max * 255 >= 1 - 1e-9)
        {
            int levels = (int)Math.Floor((max * 255) + 1e-6);
            int step = Math.Max(1, (int)ReportHtml.NiceStep(levels));
            for (int k = 0; k <= levels; k += step)
            {
                yield return (k / 255.0, k == 0 ? "0" : string.Create(Inv, $"{k}/255"));
            }

            yield break;
        }

        double s = ReportHtml.NiceStep(max);
        for (int k = 0; k * s <= max * (1 + 1e-9); k++)
        {
            yield return (k * s, ReportHtml.TickText(k * s, s));
        }
    }

    private static string Budget(AuditAttack attack)
    {
        string used = AuditSummaryBuilder.EpsText(attack.Norm, attack.EpsUsed);
        return Math.Abs(attack.EpsUsed - attack.Eps) > 1e-9 ? $"{used}, asked {attack.Eps.ToString("0.#####", Inv)}" : used;
    }

    private static string Norm(string norm) => norm switch { "linf" => "L-inf", "l2" => "L2", _ => norm };

    private static string F(double value) => value.ToString("0.#", Inv);

    private static string Pct(double? rate) => rate is double r ? (100 * r).ToString("0.0", Inv) + "%" : "-";

    private static string N(long value) => value.ToString(Inv);

    private static string N(ulong value) => value.ToString(Inv);

    private static string N(double value) => value.ToString("0.#####", Inv);

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);
}
