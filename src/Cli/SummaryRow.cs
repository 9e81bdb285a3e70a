using System.Globalization;
using AttackCore.Reporting;

namespace AttackCli;

/// <summary>One line of the final summary table.</summary>
internal sealed record SummaryRow(string Image, string Clean, string Adversarial, string Queries, string EpsStar, string Verified, string? Error, string Gradients = "-", bool SurrogateGradients = false)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static SummaryRow Failed(string image, string error) => new(image, "-", "-", "-", "-", "FAILED", error);

    public static SummaryRow From(string image, AttackReport report)
    {
        ClassScore clean = report.Clean.Top5[0];
        string adversarial = report.Adversarial is { } a ? Describe(a.Top5[0]) : "-";
        string verified = report.Outcome.Status switch
        {
            OutcomeStatus.Fooled => "yes",
            OutcomeStatus.NotFooled => "not fooled",
            OutcomeStatus.AlreadyMisclassified => "skipped",
            _ => "failed",
        };
        string eps = report.Outcome.EpsStar is double e ? e.ToString("0.0000", Inv) : "-";
        string gradients = (report.Outcome.GradientEvaluations ?? report.Outcome.SurrogateGradientEvaluations) is int g ? g.ToString(Inv) : "-";
        return new SummaryRow(image, Describe(clean), adversarial, report.Outcome.Queries.ToString(Inv), eps, verified, null, gradients, report.Outcome.GradientEvaluations is null && report.Outcome.SurrogateGradientEvaluations is not null);
    }

    public static void WriteTable(TextWriter output, List<SummaryRow> rows, string outRoot)
    {
        // White-box runs also show their gradient evaluations (forward and backward passes), which queries do not count;
        // surrogate-based runs show their surrogates' (the target is only queried).
        bool gradients = rows.Any(r => r.Gradients != "-");
        string gradientHeader = rows.Where(r => r.Gradients != "-").All(r => r.SurrogateGradients) ? "surrogate gradients" : "gradients";
        string[] header = gradients
            ? ["image", "clean label (conf)", "adversarial label (conf)", "queries", gradientHeader, "eps*", "verified"]
            : ["image", "clean label (conf)", "adversarial label (conf)", "queries", "eps*", "verified"];
        var cells = rows.Select(r => gradients
            ? new[] { r.Image, r.Clean, r.Adversarial, r.Queries, r.Gradients, r.EpsStar, r.Verified }
            : new[] { r.Image, r.Clean, r.Adversarial, r.Queries, r.EpsStar, r.Verified }).ToList();
        int[] widths = header.Select((h, i) => Math.Min(40, Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length)))).ToArray();
        output.WriteLine();
        output.WriteLine(Line(header));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (string[] row in cells)
        {
            output.WriteLine(Line(row));
        }

        int fooled = rows.Count(r => r.Verified == "yes");
        int attacked = rows.Count(r => r.Verified is "yes" or "not fooled");
        var queries = rows.Where(r => r.Verified == "yes").Select(r => int.Parse(r.Queries, Inv)).Order().ToList();
        output.WriteLine();
        output.WriteLine(string.Create(Inv, $"Fooled {fooled} of {attacked} attacked images (verified through 8-bit PNG); {rows.Count(r => r.Error is not null)} inputs failed."));
        if (queries.Count > 0)
        {
            double median = queries.Count % 2 == 1 ? queries[queries.Count / 2] : (queries[(queries.Count / 2) - 1] + queries[queries.Count / 2]) / 2.0;
            output.WriteLine(string.Create(Inv, $"Queries over fooled images: mean {queries.Average():0.0}, median {median:0.#}."));
        }

        foreach (SummaryRow failed in rows.Where(r => r.Error is not null))
        {
            output.WriteLine($"FAILED {failed.Image}: {failed.Error}");
        }

        output.WriteLine($"Results in {outRoot}");

        string Line(string[] values) => string.Join("  ", values.Select((v, i) => Fit(v, widths[i]).PadRight(widths[i]))).TrimEnd();
    }

    private static string Describe(ClassScore score)
    {
        string label = score.Label.Split(',')[0];
        return string.Create(Inv, $"{label} ({score.Probability:0.00})");
    }

    private static string Fit(string value, int width) => value.Length <= width ? value : string.Concat(value.AsSpan(0, width - 1), "…");
}
