using System.Globalization;
using AttackCore.Engine;
using AttackCore.Models;
using AttackCore.Reporting;

namespace AttackCli;

/// <summary>
/// For a run of more than one input (or with <c>--labels</c>, a plan of several attacks, or <c>--transfer-model</c>):
/// writes the run's audit summary (<c>summary.json</c>, <c>summary.html</c>, <c>summary.csv</c> in the output folder, as
/// a bulk audit writes them), prints its RobustBench-style line (clean and robust accuracy at eps, n, the attacks) and,
/// where they apply, its attack comparison and transfer matrix.
/// </summary>
internal static class RunSummary
{
    /// <summary>Gets whether a run with these settings writes a summary.</summary>
    public static bool IsWanted(AttackJobSettings settings, AttackRequest request, int inputs) =>
        inputs > 1 || settings.Labels is not null || settings.TransferModels.Length > 0 || request.Attacks.Count > 1 || request.Attacks.Any(a => a.UsesSurrogates);

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(TextWriter output, AttackJobSettings settings, AuditAttack attack, AttackRequest request, IReadOnlyList<AuditImageInput> images, DateTimeOffset startedUtc)
    {
        // The run's id: when it started, as a bulk audit's id names one audit.
        string runId = "run-" + startedUtc.UtcDateTime.ToString("yyyyMMdd-HHmmss", Inv);
        AuditSummary summary = AuditSummaryBuilder.Build(runId, string.Join(", ", settings.Inputs), attack, images, startedUtc, DateTimeOffset.UtcNow);
        string root = Path.GetFullPath(settings.OutDir);
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "summary.json"), AuditSummaryJson.Serialize(summary));
        File.WriteAllText(Path.Combine(root, "summary.html"), AuditSummaryHtml.Render(summary));
        File.WriteAllText(Path.Combine(root, "summary.csv"), AuditSummaryCsv.Render(summary));
        if (summary.Robustness is { } robustness)
        {
            output.WriteLine();
            output.WriteLine(robustness.Line);
        }

        if (request.Attacks.Count > 1)
        {
            PrintAttacks(output, summary.Attacks ?? []);
        }

        if (settings.TransferModels.Length > 0)
        {
            PrintMatrix(output, summary.Transfer ?? []);
        }

        if (summary.SurrogateTransfer is { Count: > 0 } surrogate)
        {
            PrintSurrogateTransfer(output, surrogate);
        }
    }

    /// <summary>Prints one line per set of surrogates, target and attack: fooled / attacked, the rate and what each image cost.</summary>
    public static void PrintSurrogateTransfer(TextWriter output, IReadOnlyList<SurrogateTransferRow> rows)
    {
        output.WriteLine();
        output.WriteLine("Transfer from surrogates (images crafted on the surrogates, then sent to the target):");
        PrintTable(
            output,
            ["surrogates", "target model", "attack", "fooled", "of", "rate", "target queries/image", "surrogate gradients/image"],
            rows.Select(r => new[]
            {
                string.Join(" + ", r.Surrogates), r.TargetModel, $"{r.Attack} {r.Norm} {r.Eps.ToString("0.#####", Inv)}", r.Fooled.ToString(Inv), r.Attacked.ToString(Inv), Pct(r.Rate),
                r.MeanTargetQueries.ToString("0.##", Inv), r.MeanSurrogateGradientEvaluations.ToString("0.#", Inv),
            }).ToList());
    }

    /// <summary>Prints one line per attack of the plan: fooled / attempted and its queries and eps*.</summary>
    public static void PrintAttacks(TextWriter output, IReadOnlyList<AttackComparisonRow> rows)
    {
        output.WriteLine();
        output.WriteLine("Attacks of the plan (each over the images it ran on):");
        PrintTable(
            output,
            ["attack", "norm", "eps", "fooled", "of", "rate", "mean queries", "median queries", "mean eps*"],
            rows.Select(r => new[]
            {
                r.Attack, r.Norm, r.Eps.ToString("0.#####", Inv), r.Fooled.ToString(Inv), r.Attempted.ToString(Inv), Pct(r.SuccessRate),
                r.MeanQueries?.ToString("0.#", Inv) ?? "-", r.MedianQueries?.ToString("0.#", Inv) ?? "-", r.MeanEpsStar?.ToString("0.####", Inv) ?? "-",
            }).ToList());
    }

    /// <summary>Prints one line per source model, attack and target: fooled / evaluated and the rate.</summary>
    public static void PrintMatrix(TextWriter output, IReadOnlyList<TransferMatrixCell> cells)
    {
        output.WriteLine();
        if (cells.Count == 0)
        {
            output.WriteLine("Transfer: no image fooled the attacked model, so no adversarial image was shown to the transfer models.");
            return;
        }

        output.WriteLine("Transfer matrix (adversarial images that fooled the source model, classified by each target):");
        PrintTable(
            output,
            ["source model", "attack", "target model", "fooled", "of", "rate"],
            cells.Select(c => new[]
            {
                c.SourceModel, $"{c.Attack} {c.Norm}", c.TargetModel, c.Fooled.ToString(Inv), c.Evaluated.ToString(Inv), Pct(c.Rate),
            }).ToList());
    }

    private static string Pct(double? rate) => rate is double r ? (100 * r).ToString("0.0", Inv) + "%" : "-";

    private static void PrintTable(TextWriter output, string[] header, List<string[]> lines)
    {
        int[] widths = [.. header.Select((h, i) => Math.Max(h.Length, lines.Select(l => l[i].Length).DefaultIfEmpty(0).Max()))];
        output.WriteLine(Line(header));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (string[] line in lines)
        {
            output.WriteLine(Line(line));
        }

        string Line(string[] values) => string.Join("  ", values.Select((v, i) => v.PadRight(widths[i]))).TrimEnd();
    }
}

/// <summary>Disposes the transfer models' classifiers together.</summary>
internal sealed class OwnedClassifiers(List<OnnxClassifier> classifiers) : IDisposable
{
    public void Dispose() => classifiers.ForEach(c => c.Dispose());
}

/// <summary>Disposes the surrogates' gradient models together.</summary>
internal sealed class OwnedGradientModels(List<AttackCore.Gradients.OnnxGradientModel> models) : IDisposable
{
    public void Dispose() => models.ForEach(m => m.Dispose());
}
