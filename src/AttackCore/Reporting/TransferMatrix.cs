namespace AttackCore.Reporting;

/// <summary>
/// One cell of the transfer matrix: of the images that an attack fooled on the source model, how many fool the target
/// model too (see <see cref="TransferResult.Fooled"/>).
/// </summary>
public sealed record TransferMatrixCell
{
    /// <summary>Gets the attacked (source) model's name.</summary>
    public required string SourceModel { get; init; }

    /// <summary>Gets the attack's name, for example <c>square</c>.</summary>
    public required string Attack { get; init; }

    /// <summary>Gets the attack's norm: <c>linf</c> or <c>l2</c>.</summary>
    public required string Norm { get; init; }

    /// <summary>Gets the target model's name.</summary>
    public required string TargetModel { get; init; }

    /// <summary>Gets the SHA-256 of the target's ONNX file.</summary>
    public required string TargetSha256 { get; init; }

    /// <summary>Gets the adversarial images the target classified: those that fooled the source model (verified).</summary>
    public required int Evaluated { get; init; }

    /// <summary>Gets how many of them fool the target too.</summary>
    public required int Fooled { get; init; }

    /// <summary>Gets <see cref="Fooled"/> / <see cref="Evaluated"/>; omitted when nothing was evaluated.</summary>
    public double? Rate { get; init; }

    /// <summary>Gets how many of the evaluated images the target gave the source's clean top-1 label when clean.</summary>
    public required int AgreedOnClean { get; init; }
}

/// <summary>Builds the transfer matrix from per-image reports (pure: no I/O).</summary>
public static class TransferMatrix
{
    /// <summary>
    /// Counts, for each source model, attack (and norm) and target model, the fooled images the target classified and
    /// how many fooled it too. Rows come in order of first appearance; reports without a transfer section add nothing.
    /// </summary>
    /// <param name="reports">The per-image reports (nulls, for failed inputs, are skipped).</param>
    /// <returns>The cells; empty when no report has a transfer section.</returns>
    public static IReadOnlyList<TransferMatrixCell> Build(IEnumerable<AttackReport?> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var cells = new Dictionary<(string Source, string Attack, string Norm, string Target, string Sha), (int Evaluated, int Fooled, int Agreed)>();
        var order = new List<(string Source, string Attack, string Norm, string Target, string Sha)>();
        foreach (AttackReport? report in reports)
        {
            foreach (TransferResult entry in report?.Transfer ?? [])
            {
                var key = (report!.Model.Name, report.Attack.Name, report.Attack.Norm, entry.Model.Name, entry.Model.Sha256);
                if (!cells.TryGetValue(key, out var counts))
                {
                    order.Add(key);
                }

                cells[key] = (counts.Evaluated + 1, counts.Fooled + (entry.Fooled ? 1 : 0), counts.Agreed + (entry.AgreesOnClean ? 1 : 0));
            }
        }

        return
        [
            .. order.Select(key =>
            {
                var (evaluated, fooled, agreed) = cells[key];
                return new TransferMatrixCell
                {
                    SourceModel = key.Source,
                    Attack = key.Attack,
                    Norm = key.Norm,
                    TargetModel = key.Target,
                    TargetSha256 = key.Sha,
                    Evaluated = evaluated,
                    Fooled = fooled,
                    Rate = evaluated > 0 ? (double)fooled / evaluated : null,
                    AgreedOnClean = agreed,
                };
            }),
        ];
    }
}
