using System.Globalization;
using System.Net;
using System.Text;

namespace AttackCore.Reporting;

/// <summary>
/// Renders an <see cref="AttackReport"/> as a self-contained HTML page (<c>report.html</c>): inline CSS
/// and SVG, no scripts, no fonts or other downloads; the three images are referenced by the relative
/// names in <see cref="AttackReport.Images"/>, so the page works next to them in a folder or a container.
/// </summary>
/// <remarks>
/// The page is made from the report alone, so it can be rebuilt from any <c>report.json</c>. All text
/// from the report is HTML-encoded (labels and names are untrusted), and every number is written with
/// the invariant culture so the page reads the same on every machine.
/// </remarks>
public static partial class ReportHtml
{
    private const int ChartWidth = 640;
    private const int ChartLeft = 64;
    private const int ChartRight = 16;
    private const int ChartTop = 16;
    private const int ChartBottom = 44;

    // Colours of the chart lines, repeated from the CSS variables because browsers do not resolve
    // var() inside SVG presentation attributes.
    private const string TrueColor = "#2f6fdf";
    private const string WinColor = "#d9480f";
    private const string LossColor = "#6741d9";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private const string Css = """
        :root { --fg:#1d2330; --muted:#5b6474; --line:#d9dee7; --bg:#f6f7fa; --card:#fff;
                --true:#2f6fdf; --win:#d9480f; --loss:#6741d9; --ok:#2b8a3e; --bad:#c92a2a; --warn:#a86b00; }
        * { box-sizing: border-box; }
        body { margin:0; padding:24px; background:var(--bg); color:var(--fg);
               font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; }
        main { max-width:1080px; margin:0 auto; }
        h1 { font-size:22px; margin:0 0 8px; word-break:break-all; }
        h2 { font-size:16px; margin:0 0 12px; }
        section, header { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px 20px; margin-bottom:16px; }
        .badge { display:inline-block; padding:3px 10px; border-radius:999px; color:#fff; font-weight:600; font-size:13px; vertical-align:middle; }
        .badge.fooled { background:var(--bad); }
        .badge.not-fooled { background:var(--ok); }
        .badge.already-misclassified { background:var(--warn); }
        .badge.failed { background:#495057; }
        .summary { display:grid; grid-template-columns:repeat(auto-fill,minmax(180px,1fr)); gap:8px 20px; margin:12px 0 0; }
        .summary div { margin:0; }
        .summary dt { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
        .summary dd { margin:0; font-weight:600; word-break:break-word; }
        .message { margin:12px 0 0; padding:8px 12px; background:#fff4e6; border-left:3px solid var(--warn); }
        .images { display:flex; flex-wrap:wrap; gap:16px; }
        figure { margin:0; flex:1 1 240px; max-width:320px; }
        figure img { width:100%; height:auto; image-rendering:pixelated; border:1px solid var(--line); background:#eee; }
        figcaption { color:var(--muted); font-size:13px; margin-top:4px; }
        .bars { display:grid; grid-template-columns:1fr 1fr; gap:24px; }
        @media (max-width:760px) { .bars { grid-template-columns:1fr; } }
        .bar-row { display:grid; grid-template-columns:minmax(0,2fr) 3fr 64px; align-items:center; gap:8px; margin:4px 0; }
        .bar-label { overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
        .bar-label small { color:var(--muted); }
        .bar-track { background:#edf0f5; border-radius:3px; height:14px; overflow:hidden; }
        .bar-fill { display:block; height:100%; background:#8a94a6; }
        .bar-row.true .bar-fill { background:var(--true); }
        .bar-row.target .bar-fill { background:var(--win); }
        .bar-row.true .bar-label, .bar-row.target .bar-label { font-weight:600; }
        .bar-value { text-align:right; font-variant-numeric:tabular-nums; }
        .legend { color:var(--muted); font-size:12px; margin:4px 0 0; }
        .legend span { display:inline-block; width:12px; height:3px; vertical-align:middle; margin:0 4px 0 12px; }
        svg.chart { width:100%; max-width:640px; height:auto; display:block; }
        svg.chart text { font-size:11px; fill:var(--muted); }
        svg.chart .axis { stroke:#8a94a6; stroke-width:1; }
        svg.chart .grid { stroke:var(--line); stroke-width:1; }
        svg.chart .zero { stroke:#8a94a6; stroke-dasharray:4 3; }
        table { border-collapse:collapse; width:100%; }
        th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
        td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
        th { color:var(--muted); font-weight:600; }
        code { font-size:12px; word-break:break-all; }
        .cols { display:grid; grid-template-columns:1fr 1fr; gap:24px; }
        @media (max-width:760px) { .cols { grid-template-columns:1fr; } }
        footer { color:var(--muted); font-size:12px; text-align:center; }
        """;

    /// <summary>Renders the report as a complete HTML document.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The HTML text (UTF-8 when written, as its meta tag says).</returns>
    public static string Render(AttackReport report)
    {
        ArgumentNullException.ThrowIfNull(report);

        var sb = new StringBuilder(32 * 1024);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
          .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
          .Append(Inv, $"<title>Adversarial report: {E(report.Input.Name)}</title>\n")
          .Append("<style>\n").Append(Css).Append("\n</style>\n</head>\n<body>\n<main>\n");

        AppendHeader(sb, report);
        AppendImages(sb, report);
        AppendTop5(sb, report);
        AppendTransfer(sb, report);
        AppendTrace(sb, report);
        AppendAttempts(sb, report);
        AppendMetrics(sb, report);
        AppendOptions(sb, report);
        AppendDetails(sb, report);

        sb.Append(Inv, $"<footer>Generated by {E(report.Tool.Name)} {E(report.Tool.Version)} on {E(report.CreatedUtc.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", Inv))} UTC from report.json (schema version {report.SchemaVersion}).</footer>\n")
          .Append("</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private static void AppendHeader(StringBuilder sb, AttackReport r)
    {
        var (badgeClass, badgeText) = r.Outcome.Status switch
        {
            OutcomeStatus.Fooled => ("fooled", "Fooled"),
            OutcomeStatus.NotFooled => ("not-fooled", "Not fooled"),
            OutcomeStatus.AlreadyMisclassified => ("already-misclassified", "Already misclassified"),
            _ => ("failed", "Failed"),
        };

        var attack = r.Attack;
        var mode = attack.Targeted
            ? attack.TargetClass is { } t ? $"targeted → {t.Label} (#{t.Index.ToString(Inv)})" : "targeted"
            : "untargeted";

        sb.Append("<header>\n")
          .Append(Inv, $"<h1>{E(r.Input.Name)} <span class=\"badge {badgeClass}\">{badgeText}</span></h1>\n")
          .Append("<dl class=\"summary\">\n");
        Summary(sb, "Model", $"{r.Model.Name} ({r.Model.Provider})");
        Summary(sb, "Attack", $"{attack.Name} {attack.Norm}, {mode}");
        if (attack.Surrogates is { Count: > 0 } surrogates)
        {
            Summary(sb, "Surrogates", string.Join(", ", surrogates.Select(s => $"{s.Name} ({s.InputSize.ToString(Inv)} px)")));
        }

        Summary(sb, "Eps", BudgetText(attack));
        Summary(sb, "Queries", $"{r.Outcome.Queries.ToString("N0", Inv)} of {attack.MaxQueries.ToString("N0", Inv)}" +
            (r.Outcome.GradientEvaluations is int gradients ? $", and {gradients.ToString("N0", Inv)} gradient evaluations" : string.Empty) +
            (r.Outcome.SurrogateGradientEvaluations is int surrogate ? $" to the target, and {surrogate.ToString("N0", Inv)} surrogate gradient evaluations" : string.Empty));
        Summary(sb, "Eps*", EpsStarText(r.Outcome.Status, r.Outcome.EpsStar, attack.Norm));
        Summary(sb, "True class", $"{r.Clean.TrueClass.Label} (#{r.Clean.TrueClass.Index.ToString(Inv)}, {r.Clean.TrueClassSource})");
        if (r.Adversarial is { } adv)
        {
            Summary(sb, "Adversarial top-1", adv.Top5.Count > 0 ? $"{adv.Top5[0].Label} ({Pct(adv.Top5[0].Probability)})" : "none");
            Summary(sb, "Verified", adv.Verified ? "yes" : "no");
        }

        sb.Append("</dl>\n");
        if (!string.IsNullOrEmpty(r.Outcome.Message))
        {
            sb.Append(Inv, $"<p class=\"message\">{E(r.Outcome.Message)}</p>\n");
        }

        if (r.Adversarial is { VerificationNote.Length: > 0 } note)
        {
            sb.Append(Inv, $"<p class=\"legend\">Verification: {E(note.VerificationNote)}</p>\n");
        }

        sb.Append("</header>\n");
    }

    private static void Summary(StringBuilder sb, string term, string value) =>
        sb.Append(Inv, $"<div><dt>{E(term)}</dt><dd>{E(value)}</dd></div>\n");

    private static void AppendImages(StringBuilder sb, AttackReport r)
    {
        sb.Append("<section>\n<h2>Images</h2>\n<div class=\"images\">\n");
        var cleanTop = r.Clean.Top5.Count > 0 ? $": {r.Clean.Top5[0].Label} ({Pct(r.Clean.Top5[0].Probability)})" : string.Empty;
        Figure(sb, r.Images.Clean, "Clean image", $"Clean{cleanTop}");
        if (r.Images.Adversarial is { } adversarial)
        {
            var advTop = r.Adversarial is { Top5.Count: > 0 } a ? $": {a.Top5[0].Label} ({Pct(a.Top5[0].Probability)})" : string.Empty;
            Figure(sb, adversarial, "Adversarial image", $"Adversarial{advTop}");
        }

        if (r.Images.Perturbation is { } perturbation)
        {
            var amp = r.Perturbation is { } p ? $" (amplified ×{F(p.Amplification, "0.##")}, grey = no change)" : string.Empty;
            Figure(sb, perturbation, "Perturbation", $"Perturbation{amp}");
        }

        sb.Append("</div>\n</section>\n");
    }

    private static void Figure(StringBuilder sb, string src, string alt, string caption) =>
        sb.Append(Inv, $"<figure><img src=\"{E(src)}\" alt=\"{E(alt)}\"><figcaption>{E(caption)}</figcaption></figure>\n");

    private static void AppendTop5(StringBuilder sb, AttackReport r)
    {
        sb.Append("<section>\n<h2>Top-5 predictions</h2>\n<div class=\"bars\">\n");
        Bars(sb, "Before (clean)", r.Clean.Top5, r);
        if (r.Adversarial is { } adv)
        {
            Bars(sb, adv.Verified ? "After (adversarial PNG, verified)" : "After (adversarial PNG, not verified)", adv.Top5, r);
        }

        sb.Append("</div>\n<p class=\"legend\"><span style=\"background:var(--true)\"></span>true class");
        if (r.Attack.TargetClass is not null)
        {
            sb.Append("<span style=\"background:var(--win)\"></span>target class");
        }

        sb.Append("</p>\n</section>\n");
    }

    private static void Bars(StringBuilder sb, string title, IReadOnlyList<ClassScore> scores, AttackReport r)
    {
        sb.Append(Inv, $"<div>\n<h3 style=\"font-size:14px;margin:0 0 8px\">{E(title)}</h3>\n");
        foreach (var s in scores)
        {
            var kind = s.Index == r.Clean.TrueClass.Index ? " true"
                : r.Attack.TargetClass is { } t && s.Index == t.Index ? " target" : string.Empty;
            var width = Math.Clamp(s.Probability * 100.0, 0.0, 100.0);
            sb.Append(Inv, $"<div class=\"bar-row{kind}\"><span class=\"bar-label\" title=\"{E(s.Label)} (logit {F(s.Logit, "0.###")})\">{E(s.Label)} <small>#{s.Index}</small></span>")
              .Append(Inv, $"<span class=\"bar-track\"><span class=\"bar-fill\" style=\"width:{F(width, "0.##")}%\"></span></span>")
              .Append(Inv, $"<span class=\"bar-value\">{Pct(s.Probability)}</span></div>\n");
        }

        sb.Append("</div>\n");
    }

    private static void AppendTrace(StringBuilder sb, AttackReport r)
    {
        sb.Append(r.Attack.Loss.IsDistance ? "<section>\n<h2>Distance over queries</h2>\n" : "<section>\n<h2>Confidence and loss over queries</h2>\n");
        var trace = r.Trace;
        if (trace.Count == 0)
        {
            sb.Append("<p>No trace was recorded.</p>\n</section>\n");
            return;
        }

        // A white-box attack's progress is in gradient evaluations: its trace points count them with the queries.
        string xTitle = r.Outcome.GradientEvaluations is null ? "Queries" : "Queries and gradient evaluations";
        LossInfo lossInfo = r.Attack.Loss;
        var loss = new[] { new Series(lossInfo.Label, LossColor, trace.Select(p => p.Loss).ToArray()) };
        if (lossInfo.IsDistance)
        {
            // A decision-based attack sees labels only: its points are all adversarial, and what it shrinks is their
            // distance to the clean image, drawn against the budget. It has no confidences to chart.
            sb.Append("<p class=\"legend\">This attack reads the model's top-1 label only, so it has no confidences to show; every point it keeps is adversarial, and it moves it towards the clean image.</p>\n");
            LineChart(sb, "loss", trace, loss, lossInfo.Label, 200, fixedMin: 0, fixedMax: null, $"{lossInfo.Label} over queries; the attack has succeeded at or below eps", xTitle, r.Attack.EpsUsed);
            sb.Append(Inv, $"<p class=\"legend\"><span style=\"background:var(--loss)\"></span>{E(lossInfo.Definition)}<span style=\"background:#8a94a6\"></span>eps used ({E(BudgetValue(r.Attack.Norm, r.Attack.EpsUsed))})</p>\n</section>\n");
            return;
        }

        var winName = r.Attack.Targeted ? "target class" : "best other class";
        var confidence = new[]
        {
            new Series("true class", TrueColor, trace.Select(p => p.TrueConfidence).ToArray()),
            new Series(winName, WinColor, trace.Select(p => p.WinningConfidence).ToArray()),
        };
        LineChart(sb, "confidence", trace, confidence, "Probability", 220, fixedMin: 0, fixedMax: 1, "Softmax probability of the true class and of the " + winName + " over queries", xTitle);
        sb.Append(Inv, $"<p class=\"legend\"><span style=\"background:var(--true)\"></span>true class<span style=\"background:var(--win)\"></span>{E(winName)}</p>\n");

        LineChart(sb, "loss", trace, loss, lossInfo.Label, 160, fixedMin: null, fixedMax: null, $"{lossInfo.Label} over queries (lower is better for the attack)", xTitle);
        sb.Append(Inv, $"<p class=\"legend\"><span style=\"background:var(--loss)\"></span>{E(lossInfo.Label)}: {E(lossInfo.Definition)}</p>\n</section>\n");
    }

    private static void AppendAttempts(StringBuilder sb, AttackReport r)
    {
        if (r.Attempts.Count == 0)
        {
            return;
        }

        sb.Append(Inv, $"<section>\n<h2>Attacks of the plan ({r.Attempts.Count.ToString(Inv)})</h2>\n")
          .Append("<p class=\"legend\">Every attack that ran on this image, in plan order; the other sections show the attempt whose image was written.</p>\n")
          .Append("<table id=\"attempts\">\n<tr><th>attack</th><th>eps</th><th>status</th><th class=\"num\">queries</th><th class=\"num\">gradients</th><th>eps*</th><th class=\"num\">L∞</th><th class=\"num\">L2</th><th>top-1 after</th><th class=\"num\">time</th><th>written</th></tr>\n");
        foreach (AttemptSummary a in r.Attempts)
        {
            string status = a.Status switch
            {
                OutcomeStatus.Fooled => "fooled",
                OutcomeStatus.NotFooled => "not fooled",
                OutcomeStatus.AlreadyMisclassified => "already misclassified",
                _ => "failed",
            };
            string top1 = a.AdversarialTop1 is { } c ? $"{c.Label} (#{c.Index.ToString(Inv)})" : "-";
            sb.Append(Inv, $"<tr><td>{E(a.Attack.Name)} {E(a.Attack.Norm)}</td><td>{E(BudgetText(a.Attack))}</td><td title=\"{E(a.Message)}\">{E(status)}</td>")
              .Append(Inv, $"<td class=\"num\">{a.Queries.ToString("N0", Inv)}</td><td class=\"num\">{(a.GradientEvaluations is int g ? g.ToString("N0", Inv) : "-")}</td>")
              .Append(Inv, $"<td>{E(EpsStarText(a.Status, a.EpsStar, a.Attack.Norm))}</td><td class=\"num\">{F(a.LInf * 255.0, "0.##")}/255</td><td class=\"num\">{F(a.L2, "0.####")}</td>")
              .Append(Inv, $"<td>{E(top1)}</td><td class=\"num\">{E(Ms(a.AttackMs))}</td><td>{(a.Written ? "yes" : "no")}</td></tr>\n");
        }

        sb.Append("</table>\n</section>\n");
    }

    private sealed record Series(string Name, string Color, double[] Values);

    private static void LineChart(StringBuilder sb, string name, IReadOnlyList<TracePoint> trace, Series[] series, string yTitle, int height, double? fixedMin, double? fixedMax, string description, string xTitle, double? reference = null)
    {
        var plotW = ChartWidth - ChartLeft - ChartRight;
        var plotH = height - ChartTop - ChartBottom;

        double xMin = trace.Min(p => p.Queries), xMax = trace.Max(p => p.Queries);
        if (xMax <= xMin)
        {
            xMin -= 1;
            xMax += 1;
        }

        var yMin = fixedMin ?? series.SelectMany(s => s.Values).Min();
        var yMax = fixedMax ?? Math.Max(series.SelectMany(s => s.Values).Max(), reference ?? double.MinValue);
        if (fixedMin is null || fixedMax is null)
        {
            // Include zero when the loss crosses it, and leave headroom so lines do not touch the frame.
            var pad = Math.Max((yMax - yMin) * 0.05, 1e-9);
            yMin -= pad;
            yMax += pad;
            if (yMax <= yMin + 1e-9)
            {
                yMin -= 1;
                yMax += 1;
            }
        }

        double X(double q) => ChartLeft + ((q - xMin) / (xMax - xMin) * plotW);
        double Y(double v) => ChartTop + ((yMax - v) / (yMax - yMin) * plotH);

        sb.Append(Inv, $"<svg class=\"chart\" data-chart=\"{name}\" viewBox=\"0 0 {ChartWidth} {height}\" role=\"img\" aria-label=\"{E(description)}\" xmlns=\"http://www.w3.org/2000/svg\">\n")
          .Append(Inv, $"<title>{E(description)}</title>\n");

        var yStep = NiceStep(yMax - yMin);
        for (var v = Math.Ceiling(yMin / yStep) * yStep; v <= yMax + (yStep * 1e-9); v += yStep)
        {
            var y = Y(v);
            sb.Append(Inv, $"<line class=\"grid\" x1=\"{F(ChartLeft)}\" y1=\"{F(y)}\" x2=\"{F(ChartLeft + plotW)}\" y2=\"{F(y)}\"/>")
              .Append(Inv, $"<text x=\"{F(ChartLeft - 6)}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{TickText(v, yStep)}</text>\n");
        }

        var xStep = NiceStep(xMax - xMin);
        for (var q = Math.Ceiling(xMin / xStep) * xStep; q <= xMax + (xStep * 1e-9); q += xStep)
        {
            var x = X(q);
            sb.Append(Inv, $"<line class=\"axis\" x1=\"{F(x)}\" y1=\"{F(ChartTop + plotH)}\" x2=\"{F(x)}\" y2=\"{F(ChartTop + plotH + 4)}\"/>")
              .Append(Inv, $"<text x=\"{F(x)}\" y=\"{F(ChartTop + plotH + 16)}\" text-anchor=\"middle\">{TickText(q, xStep)}</text>\n");
        }

        if (reference is double level)
        {
            sb.Append(Inv, $"<line class=\"zero reference\" x1=\"{F(ChartLeft)}\" y1=\"{F(Y(level))}\" x2=\"{F(ChartLeft + plotW)}\" y2=\"{F(Y(level))}\"/>\n");
        }
        else if (yMin < 0 && yMax > 0)
        {
            sb.Append(Inv, $"<line class=\"zero\" x1=\"{F(ChartLeft)}\" y1=\"{F(Y(0))}\" x2=\"{F(ChartLeft + plotW)}\" y2=\"{F(Y(0))}\"/>\n");
        }

        sb.Append(Inv, $"<line class=\"axis\" x1=\"{F(ChartLeft)}\" y1=\"{F(ChartTop)}\" x2=\"{F(ChartLeft)}\" y2=\"{F(ChartTop + plotH)}\"/>")
          .Append(Inv, $"<line class=\"axis\" x1=\"{F(ChartLeft)}\" y1=\"{F(ChartTop + plotH)}\" x2=\"{F(ChartLeft + plotW)}\" y2=\"{F(ChartTop + plotH)}\"/>\n")
          .Append(Inv, $"<text class=\"x-title\" x=\"{F(ChartLeft + (plotW / 2.0))}\" y=\"{F(height - 6)}\" text-anchor=\"middle\">{E(xTitle)}</text>\n")
          .Append(Inv, $"<text class=\"y-title\" x=\"14\" y=\"{F(ChartTop + (plotH / 2.0))}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {F(ChartTop + (plotH / 2.0))})\">{E(yTitle)}</text>\n");

        foreach (var s in series)
        {
            sb.Append(Inv, $"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"");
            for (var i = 0; i < trace.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(' ');
                }

                sb.Append(F(X(trace[i].Queries))).Append(',').Append(F(Y(s.Values[i])));
            }

            sb.Append(Inv, $"\"><title>{E(s.Name)}</title></polyline>\n");
            if (trace.Count == 1)
            {
                // A one-point polyline draws nothing; mark the point instead.
                sb.Append(Inv, $"<circle cx=\"{F(X(trace[0].Queries))}\" cy=\"{F(Y(s.Values[0]))}\" r=\"3\" fill=\"{s.Color}\"/>\n");
            }
        }

        sb.Append("</svg>\n");
    }

    private static void AppendMetrics(StringBuilder sb, AttackReport r)
    {
        sb.Append("<section>\n<div class=\"cols\">\n<div>\n<h2>Perturbation</h2>\n");
        if (r.Perturbation is { } p)
        {
            sb.Append("<table>\n");
            Row(sb, "L∞", $"{F(p.LInf, "0.######")} ({F(p.LInf * 255.0, "0.##")}/255)");
            Row(sb, "L2", F(p.L2, "0.####"));
            Row(sb, "L0 (pixels changed)", p.L0Pixels.ToString("N0", Inv));
            Row(sb, "L0 (values changed)", p.L0Values.ToString("N0", Inv));
            Row(sb, "PSNR", p.Psnr is { } psnr ? $"{F(psnr, "0.00")} dB" : "∞ (identical)");
            Row(sb, "SSIM", F(p.Ssim, "0.0000"));
            Row(sb, "Amplification", $"×{F(p.Amplification, "0.##")}");
            sb.Append("</table>\n");
        }
        else
        {
            sb.Append("<p>No adversarial image was written.</p>\n");
        }

        var o = r.Outcome;
        sb.Append("<h2 style=\"margin-top:16px\">Queries</h2>\n<table>\n");
        Row(sb, "Attack", $"{o.Queries.ToString("N0", Inv)} of {r.Attack.MaxQueries.ToString("N0", Inv)}");
        if (o.GradientEvaluations is int evaluations)
        {
            Row(sb, "Gradient evaluations (forward and backward)", evaluations.ToString("N0", Inv));
        }

        if (o.SurrogateGradientEvaluations is int surrogateEvaluations)
        {
            Row(sb, "Surrogate gradient evaluations (not target queries)", surrogateEvaluations.ToString("N0", Inv));
        }

        Row(sb, "Verification", o.VerificationQueries.ToString("N0", Inv));
        Row(sb, "Minimization", o.MinimizeQueries.ToString("N0", Inv));
        Row(sb, "Total", ((long)o.Queries + o.VerificationQueries + o.MinimizeQueries).ToString("N0", Inv));
        sb.Append("</table>\n</div>\n<div>\n<h2>Timings</h2>\n<table>\n");
        var t = r.Timings;
        Row(sb, "Prepare", Ms(t.PrepareMs));
        Row(sb, "Attack (this image's share of its batch)", Ms(t.AttackMs));
        Row(sb, "Minimize", Ms(t.MinimizeMs));
        Row(sb, "Verify", Ms(t.VerifyMs));
        Row(sb, "Total", Ms(t.TotalMs));

        sb.Append("</table>\n</div>\n</div>\n</section>\n");
    }

    private static void AppendOptions(StringBuilder sb, AttackReport r)
    {
        var a = r.Attack;
        sb.Append("<section>\n<h2>Attack settings</h2>\n<table>\n<tr><th>Option</th><th>Value</th></tr>\n");
        Row(sb, "name", a.Name, numeric: false);
        Row(sb, "norm", a.Norm, numeric: false);
        Row(sb, "eps", BudgetText(a), numeric: false);
        Row(sb, "loss (trace)", $"{a.Loss.Name}: {a.Loss.Definition}", numeric: false);
        Row(sb, "targeted", a.Targeted ? "true" : "false", numeric: false);
        if (a.TargetClass is { } target)
        {
            Row(sb, "target class", $"{target.Label} (#{target.Index.ToString(Inv)})", numeric: false);
        }

        Row(sb, "seed", a.Seed.ToString(Inv), numeric: false);
        Row(sb, "max queries", a.MaxQueries.ToString(Inv), numeric: false);
        foreach (var (key, value) in a.Options.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Row(sb, key, value, numeric: false, code: true);
        }

        sb.Append("</table>\n</section>\n");
    }

    private static void AppendDetails(StringBuilder sb, AttackReport r)
    {
        var m = r.Model;
        var i = r.Input;
        sb.Append("<section>\n<div class=\"cols\">\n<div>\n<h2>Model</h2>\n<table>\n");
        Row(sb, "Name", m.Name, numeric: false);
        Row(sb, "SHA-256", m.Sha256, numeric: false, code: true);
        Row(sb, "Provider", m.ProviderNote is null ? m.Provider : $"{m.Provider} ({m.ProviderNote})", numeric: false);
        Row(sb, "Input size", $"{m.InputSize.ToString(Inv)} × {m.InputSize.ToString(Inv)}, {(m.Channels == 1 ? "gray (attacked in 1 channel)" : "RGB")}", numeric: false);
        Row(sb, "Classes", $"{m.NumClasses.ToString(Inv)} (background offset {m.BackgroundOffset.ToString(Inv)})", numeric: false);
        Row(sb, "Preprocessing", m.Preprocessing, numeric: false);
        sb.Append("</table>\n</div>\n<div>\n<h2>Input</h2>\n<table>\n");
        Row(sb, "Name", i.Name, numeric: false);
        Row(sb, "Size", $"{i.Width.ToString(Inv)} × {i.Height.ToString(Inv)} px", numeric: false);
        Row(sb, "Bytes", i.Bytes.ToString("N0", Inv), numeric: false);
        Row(sb, "SHA-256", i.Sha256, numeric: false, code: true);
        sb.Append("</table>\n</div>\n</div>\n</section>\n");
    }

    private static void Row(StringBuilder sb, string name, string value, bool numeric = true, bool code = false)
    {
        var cell = code ? $"<code>{E(value)}</code>" : E(value);
        sb.Append(Inv, $"<tr><th scope=\"row\">{E(name)}</th><td{(numeric ? " class=\"num\"" : string.Empty)}>{cell}</td></tr>\n");
    }

    /// <summary>The tick step 1, 2 or 5 times a power of ten that gives about five ticks over the range.</summary>
    internal static double NiceStep(double range)
    {
        var raw = range / 5.0;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var fraction = raw / magnitude;
        var nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    internal static string TickText(double value, double step)
    {
        var decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(step)), 0, 6);
        var rounded = Math.Round(value, decimals);
        return (rounded == 0 ? 0.0 : rounded).ToString("F" + decimals.ToString(Inv), Inv);
    }

    /// <summary>The budget asked for and, when the 8-bit grid makes it smaller, the budget used beside it.</summary>
    private static string BudgetText(AttackInfo a)
    {
        string asked = F(a.Eps, "0.#####");
        return Math.Abs(a.EpsUsed - a.Eps) > 1e-9 * Math.Max(1, a.Eps)
            ? $"{asked} asked, {BudgetValue(a.Norm, a.EpsUsed)} used (the 8-bit grid)"
            : a.Norm == "linf" ? BudgetValue(a.Norm, a.Eps) : asked;
    }

    /// <summary>An L-inf value with its 8-bit steps (0.00784 = 2/255); an L2 value as a plain number, which has no such unit.</summary>
    private static string BudgetValue(string norm, double eps) =>
        norm == "linf" ? $"{F(eps, "0.#####")} ({F(eps * 255.0, "0.##")}/255)" : F(eps, "0.#####");

    private static string EpsStarText(OutcomeStatus status, double? epsStar, string norm) => status switch
    {
        OutcomeStatus.NotFooled => "does not apply (not fooled)",
        OutcomeStatus.AlreadyMisclassified => "does not apply (not attacked)",
        OutcomeStatus.Failed => "does not apply (failed)",
        _ => epsStar is double e ? BudgetValue(norm, e) : "not searched (minimization off)",
    };

    private static string Pct(double probability) => F(probability * 100.0, "0.00") + "%";

    private static string Ms(double ms) => ms >= 10_000 ? F(ms / 1000.0, "0.0") + " s" : F(ms, "0.#") + " ms";

    private static string F(double value, string format = "0.##") => value.ToString(format, Inv);

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);
}
