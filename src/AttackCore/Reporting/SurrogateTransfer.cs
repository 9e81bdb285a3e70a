namespace AttackCore.Reporting;

/// <summary>
/// One row of the surrogate transfer table: how often images crafted on a set of surrogates fooled the target, with
/// what the attack spent on each image (target queries, surrogate gradient evaluations).
/// </summary>
public sealed record SurrogateTransferRow
{
    /// <summary>Gets the surrogates the images were crafted on, in the order the run named them.</summary>
    public required IReadOnlyList<string> Surrogates { get; init; }

    /// <summary>Gets the target (attacked) model's name.</summary>
    public required string TargetModel { get; init; }

    /// <summary>Gets the attack's name, for example <c>transfer</c>.</summary>
    public required string Attack { get; init; }

    /// <summary>Gets the attack's norm: <c>linf</c> or <c>l2</c>.</summary>
    public required string Norm { get; init; }

    /// <summary>Gets the attack's budget in that norm, on the [0, 1] pixel scale.</summary>
    public required double Eps { get; init; }

    /// <summary>Gets the images the attack ran on (those its clean image did not already meet the goal).</summary>
    public required int Attacked { get; init; }

    /// <summary>Gets how many of them fooled the target (verified through the 8-bit PNG).</summary>
    public required int Fooled { get; init; }

    /// <summary>Gets <see cref="Fooled"/> / <see cref="Attacked"/>; omitted when nothing was attacked.</summary>
    public double? Rate { get; init; }

    /// <summary>Gets the mean target queries the attack spent per attacked image (1 for <c>transfer</c>; minimization and verification are apart).</summary>
    public required double MeanTargetQueries { get; init; }

    /// <summary>Gets the mean surrogate gradient evaluations per attacked image.</summary>
    public required double MeanSurrogateGradientEvaluations { get; init; }
}

/// <summary>Builds the surrogate transfer table from per-image reports (pure: no I/O).</summary>
public static class SurrogateTransfer
{
    /// <summary>
    /// Counts, for each set of surrogates, target model and surrogate-based attack (with its norm and eps), the images
    /// attacked and fooled, from every attempt of every report (so a plan that ran the attack after another one counts
    /// the images it reached). Rows come in order of first appearance.
    /// </summary>
    /// <param name="reports">The per-image reports (nulls, for failed inputs, are skipped).</param>
    /// <returns>The rows; empty when no attempt used surrogates.</returns>
    public static IReadOnlyList<SurrogateTransferRow> Build(IEnumerable<AttackReport?> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var rows = new Dictionary<(string Surrogates, string Target, string Attack, string Norm, double Eps), (IReadOnlyList<string> Names, int Attacked, int Fooled, long Queries, long Evaluations)>();
        var order = new List<(string, string, string, string, double)>();
        foreach (AttackReport? report in reports)
        {
            if (report is null)
            {
                continue;
            }

            IEnumerable<(AttackInfo Attack, bool Success, int Queries, int? Evaluations)> attempts = report.Attempts is { Count: > 0 } listed
                ? listed.Select(a => (a.Attack, a.Success, a.Queries, a.SurrogateGradientEvaluations))
                : [(report.Attack, report.Outcome.Success, report.Outcome.Queries, report.Outcome.SurrogateGradientEvaluations)];
            foreach (var (attack, success, queries, evaluations) in attempts)
            {
                if (attack.Surrogates is not { Count: > 0 } surrogates || evaluations is null)
                {
                    continue;
                }

                IReadOnlyList<string> names = [.. surrogates.Select(s => s.Name)];
                var key = (string.Join(" + ", names), report.Model.Name, attack.Name, attack.Norm, attack.Eps);
                if (!rows.TryGetValue(key, out var counts))
                {
                    order.Add(key);
                    counts = (names, 0, 0, 0, 0);
                }

                rows[key] = (counts.Names, counts.Attacked + 1, counts.Fooled + (success ? 1 : 0), counts.Queries + queries, counts.Evaluations + evaluations.Value);
            }
        }

        return
        [
            .. order.Select(key =>
            {
                var (names, attacked, fooled, queries, evaluations) = rows[key];
                return new SurrogateTransferRow
                {
                    Surrogates = names,
                    TargetModel = key.Item2,
                    Attack = key.Item3,
                    Norm = key.Item4,
                    Eps = key.Item5,
                    Attacked = attacked,
                    Fooled = fooled,
                    Rate = (double)fooled / attacked,
                    MeanTargetQueries = (double)queries / attacked,
                    MeanSurrogateGradientEvaluations = (double)evaluations / attacked,
                };
            }),
        ];
    }
}
