namespace AttackCore.Reporting;

/// <summary>
/// One attack of an audit's plan across the audit's images: how often it fooled the model, at what query cost and
/// with how large a change. Built from every report's <see cref="AttackReport.Attempts"/>, so with plan mode
/// <c>all</c> the rows compare the attacks on the same images, and with <c>first-success</c> each later attack's row
/// covers the images the earlier ones left.
/// </summary>
public sealed record AttackComparisonRow
{
    /// <summary>Gets the attack's name.</summary>
    public required string Attack { get; init; }

    /// <summary>Gets the norm, <c>linf</c> or <c>l2</c>.</summary>
    public required string Norm { get; init; }

    /// <summary>Gets the budget.</summary>
    public required double Eps { get; init; }

    /// <summary>Gets the images this attack ran on.</summary>
    public required int Attempted { get; init; }

    /// <summary>Gets the images it fooled with a verified adversarial image.</summary>
    public required int Fooled { get; init; }

    /// <summary>Gets <see cref="Fooled"/> / <see cref="Attempted"/>; omitted when nothing was attempted.</summary>
    public double? SuccessRate { get; init; }

    /// <summary>Gets the mean of the attack's queries over the images it fooled; omitted when none.</summary>
    public double? MeanQueries { get; init; }

    /// <summary>Gets the median of the attack's queries over the images it fooled; omitted when none.</summary>
    public double? MedianQueries { get; init; }

    /// <summary>Gets the mean eps* over the images it fooled (when the perturbations were shrunk); omitted when none.</summary>
    public double? MeanEpsStar { get; init; }

    /// <summary>Gets the mean L2 norm of its images over the images it fooled; omitted when none.</summary>
    public double? MeanL2 { get; init; }

    /// <summary>Builds one row per attack configuration (name, norm and eps), in the order they first appear in the reports.</summary>
    /// <param name="reports">The reports (null entries are skipped).</param>
    /// <returns>The rows; empty when no report lists an attempt.</returns>
    public static IReadOnlyList<AttackComparisonRow> Build(IEnumerable<AttackReport?> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        return reports
            .Where(r => r is not null)
            .SelectMany(r => r!.Attempts)
            .GroupBy(a => (a.Attack.Name, a.Attack.Norm, a.Attack.Eps))
            .Select(g =>
            {
                var fooled = g.Where(a => a.Success).ToList();
                var queries = fooled.Select(a => (double)a.Queries).Order().ToList();
                var epsStars = fooled.Where(a => a.EpsStar is not null).Select(a => a.EpsStar!.Value).ToList();
                return new AttackComparisonRow
                {
                    Attack = g.Key.Name,
                    Norm = g.Key.Norm,
                    Eps = g.Key.Eps,
                    Attempted = g.Count(),
                    Fooled = fooled.Count,
                    SuccessRate = (double)fooled.Count / g.Count(),
                    MeanQueries = queries.Count > 0 ? queries.Average() : null,
                    MedianQueries = queries.Count > 0 ? Median(queries) : null,
                    MeanEpsStar = epsStars.Count > 0 ? epsStars.Average() : null,
                    MeanL2 = fooled.Count > 0 ? fooled.Average(a => a.L2) : null,
                };
            })
            .ToList();
    }

    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}
