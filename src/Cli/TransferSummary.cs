using System.Globalization;
using AttackCore.Engine;
using AttackCore.Models;
using AttackCore.Reporting;

namespace AttackCli;

/// <summary>
/// With <c>--transfer-model</c>: writes the run's audit summary (<c>summary.json</c>, <c>summary.html</c>,
/// <c>summary.csv</c> in the output folder, as a bulk audit writes them) and prints its transfer matrix.
/// </summary>
internal static class TransferSummary
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(TextWriter output, AttackSettings settings, AttackRequest request, IReadOnlyList<AuditImageInput> images, DateTimeOffset startedUtc)
    {
        var attack = new AuditAttack
        {
            Norm = request.Describe()["norm"],
            Eps = request.Attack.Epsilon,
            MaxQueries = request.Attack.MaxQueries,
            Seed = request.Attack.Seed,
            Target = request.Target ?? "none",
            Minimize = request.Minimize,
        };
        AuditSummary summary = AuditSummaryBuilder.Build("advaudit-attack", string.Join(", ", settings.Inputs), attack, images, startedUtc, DateTimeOffset.UtcNow);
        string root = Path.GetFullPath(settings.OutDir);
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "summary.json"), AuditSummaryJson.Serialize(summary));
        File.WriteAllText(Path.Combine(root, "summary.html"), AuditSummaryHtml.Render(summary));
        File.WriteAllText(Path.Combine(root, "summary.csv"), AuditSummaryCsv.Render(summary));
        PrintMatrix(output, summary.Transfer ?? []);
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
        string[] header = ["source model", "attack", "target model", "fooled", "of", "rate"];
        List<string[]> lines =
        [
            .. cells.Select(c => new[]
            {
                c.SourceModel, $"{c.Attack} {c.Norm}", c.TargetModel, c.Fooled.ToString(Inv), c.Evaluated.ToString(Inv),
                c.Rate is double r ? (100 * r).ToString("0.0", Inv) + "%" : "-",
            }),
        ];
        int[] widths = [.. header.Select((h, i) => Math.Max(h.Length, lines.Max(l => l[i].Length)))];
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
