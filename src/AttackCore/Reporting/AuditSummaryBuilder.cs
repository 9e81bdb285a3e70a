using System.Globalization;

namespace AttackCore.Reporting;

/// <summary>One input of an audit as the summary sees it: its report, or why it has none.</summary>
/// <param name="Input">The input's name.</param>
/// <param name="ResultFolder">Where its results are.</param>
/// <param name="GivenLabel">The true class given with the audit (an output index or a label), or <see langword="null"/>.</param>
/// <param name="Report">Its report, or <see langword="null"/> when it failed.</param>
/// <param name="FailureReason">Why it has no report (e.g. <c>Corrupt</c>, <c>NotFound</c>); <see langword="null"/> with a report.</param>
/// <param name="FailureMessage">The failure, for a person.</param>
public sealed record AuditImageInput(string Input, string ResultFolder, string? GivenLabel, AttackReport? Report, string? FailureReason = null, string? FailureMessage = null);

/// <summary>Computes an <see cref="AuditSummary"/> from per-image reports (pure: no I/O, no clock).</summary>
public static class AuditSummaryBuilder
{
    /// <summary>The number of points of the robust-accuracy curve (0 to eps inclusive).</summary>
    public const int CurvePoints = 21;

    /// <summary>The relative tolerance of comparing an eps* (computed from float32 pixels) with a budget: a few float32 ulps.</summary>
    public const double EpsTolerance = 1e-5;

    /// <summary>The number of bins of the eps* histogram.</summary>
    public const int EpsBins = 10;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Builds the summary.</summary>
    /// <param name="auditId">The audit's id.</param>
    /// <param name="source">What was audited, in words.</param>
    /// <param name="attack">The audit's attack.</param>
    /// <param name="images">Every input, in order.</param>
    /// <param name="startedUtc">When the audit started.</param>
    /// <param name="finishedUtc">Now.</param>
    /// <returns>The summary.</returns>
    public static AuditSummary Build(string auditId, string source, AuditAttack attack, IReadOnlyList<AuditImageInput> images, DateTimeOffset startedUtc, DateTimeOffset finishedUtc)
    {
        ArgumentNullException.ThrowIfNull(attack);
        ArgumentNullException.ThrowIfNull(images);
        bool labelsGiven = images.Any(i => i.GivenLabel is not null);
        var rows = new List<AuditImageRow>(images.Count);
        var failures = new List<AuditFailure>();
        var fooledQueries = new List<double>();
        var attackedQueries = new List<double>();
        var epsStars = new List<double>();
        int attacked = 0, fooled = 0, notFooled = 0, skipped = 0, failed = 0, cleanCorrect = 0, fooledCorrect = 0;
        var evaluated = new List<(bool CleanCorrect, double? FooledAt)>();
        AttackReport? first = null;
        double sumAttackMs = 0, sumTotalMs = 0;
        foreach (AuditImageInput image in images)
        {
            AttackReport? report = image.Report;
            if (report is null || report.Outcome.Status == OutcomeStatus.Failed)
            {
                failed++;
                string reason = report is not null ? "AttackFailed" : image.FailureReason ?? "NoResult";
                string message = report?.Outcome.Message ?? image.FailureMessage ?? "The image has neither report.json nor error.json.";
                failures.Add(new AuditFailure(image.Input, reason, message));
                rows.Add(new AuditImageRow { Input = image.Input, ResultFolder = image.ResultFolder, Status = "failed", TrueClass = image.GivenLabel, Reason = reason });
                continue;
            }

            first ??= report;
            sumAttackMs += report.Timings.AttackMs;
            sumTotalMs += report.Timings.TotalMs;
            ClassScore top = report.Clean.Top5[0];
            bool correct = image.GivenLabel is null || Matches(image.GivenLabel, top);
            cleanCorrect += correct ? 1 : 0;
            double? fooledAt = null;
            switch (report.Outcome.Status)
            {
                case OutcomeStatus.Fooled:
                    attacked++;
                    fooled++;
                    fooledCorrect += correct ? 1 : 0;
                    fooledQueries.Add(report.Outcome.Queries);
                    attackedQueries.Add(report.Outcome.Queries);
                    fooledAt = EpsStarOf(report);
                    epsStars.Add(fooledAt.Value);
                    break;
                case OutcomeStatus.NotFooled:
                    attacked++;
                    notFooled++;
                    attackedQueries.Add(report.Outcome.Queries);
                    break;
                default:
                    skipped++;
                    break;
            }

            evaluated.Add((correct, fooledAt));
            rows.Add(new AuditImageRow
            {
                Input = image.Input,
                ResultFolder = image.ResultFolder,
                Status = StatusText(report.Outcome.Status),
                TrueClass = image.GivenLabel ?? report.Clean.TrueClass.Label,
                CleanLabel = top.Label,
                CleanCorrect = correct,
                AdversarialLabel = report.Adversarial is { Top5.Count: > 0 } adversarial ? adversarial.Top5[0].Label : null,
                Queries = report.Outcome.Queries,
                EpsStar = fooledAt,
                AttackMs = report.Timings.AttackMs,
                Thumbnail = report.Images.Adversarial ?? report.Images.Clean,
                SurrogateGradientEvaluations = report.Outcome.SurrogateGradientEvaluations,
            });
        }

        int n = evaluated.Count;
        double used = attack.EpsUsed;
        double maxEps = Math.Max(used, epsStars.Count > 0 ? epsStars.Max() : 0);
        // Evenly spaced points to the budget used, and one at each eps* within it, where the step function drops.
        var budgets = Enumerable.Range(0, CurvePoints).Select(i => i == CurvePoints - 1 ? used : used * i / (CurvePoints - 1))
            .Concat(epsStars.Where(e => e > 0 && !AtOrBelow(used, e)))
            .Order()
            .ToList();
        var curve = new List<RobustAccuracyPoint>(budgets.Count);
        foreach (double eps in budgets)
        {
            if (curve.Count > 0 && AtOrBelow(eps, curve[^1].Eps))
            {
                continue;
            }

            int robust = evaluated.Count(e => e.CleanCorrect && !(e.FooledAt is double at && AtOrBelow(at, eps)));
            curve.Add(new RobustAccuracyPoint(eps, robust, n, Rate(robust, n)));
        }

        string cleanDefinition = labelsGiven
            ? "evaluated images whose clean top-1 class is the given label (an output index or a label, compared without case)"
            : "no labels were given, so the clean top-1 class is taken as the true class and clean accuracy is 100% by definition";
        return new AuditSummary
        {
            AuditId = auditId,
            Source = source,
            Attack = attack,
            Model = first is null ? null : new AuditModel(first.Model.Name, first.Model.Sha256, first.Model.Preprocessing),
            Counts = new AuditCounts { Images = images.Count, Attacked = attacked, Fooled = fooled, NotFooled = notFooled, Skipped = skipped, Failed = failed, Evaluated = n, CleanCorrect = cleanCorrect },
            TrueClassSource = labelsGiven ? CleanResult.SourceGiven : CleanResult.SourceCleanTop1,
            CleanAccuracy = new AuditRate(cleanCorrect, n, Rate(cleanCorrect, n), cleanDefinition),
            AttackSuccessOverAllImages = new AuditRate(fooled, n, Rate(fooled, n), "fooled / evaluated images (every image with a report, whether or not its clean prediction was correct)"),
            AttackSuccessOverCorrectlyClassified = new AuditRate(fooledCorrect, cleanCorrect, Rate(fooledCorrect, cleanCorrect), "fooled among correctly classified / correctly classified images (the RobustBench convention)"),
            Queries = Distribution(fooledQueries, LogBins(fooledQueries, attack.MaxQueries)),
            MeanQueriesAllAttacked = attackedQueries.Count > 0 ? attackedQueries.Average() : null,
            EpsStar = Distribution(epsStars, LinearBins(epsStars, maxEps, EpsBins)),
            Robustness = Robustness(attack, Rate(cleanCorrect, n), curve[^1].Accuracy, n),
            RobustAccuracy = curve,
            PerClass = PerClass(rows),
            Attacks = AttackComparisonRow.Build(images.Select(i => i.Report)) is { Count: > 0 } comparison ? comparison : null,
            Transfer = TransferMatrix.Build(images.Select(i => i.Report)) is { Count: > 0 } transfer ? transfer : null,
            SurrogateTransfer = Reporting.SurrogateTransfer.Build(images.Select(i => i.Report)) is { Count: > 0 } surrogate ? surrogate : null,
            Images = rows,
            Failures = failures,
            Timings = new AuditTimings
            {
                StartedUtc = startedUtc,
                FinishedUtc = finishedUtc,
                WallSeconds = Math.Max(0, (finishedUtc - startedUtc).TotalSeconds),
                MeanImageMs = n > 0 ? sumTotalMs / n : null,
                SumAttackMs = sumAttackMs,
            },
            Notes =
            [
                "Evaluated images are the inputs with a report.json; failed inputs (rejected, missing, or whose run failed) are listed under failures and left out of every rate.",
                "Clean accuracy: " + cleanDefinition + ".",
                "The attack moves each image away from its clean top-1 class (untargeted) or towards the target; with labels, an image misclassified when clean counts as not robust at every eps.",
                "Attack success is given under both conventions: over all evaluated images, and over correctly classified images only. Without labels they are equal.",
                "Queries: statistics over fooled images (one query for the initialization plus one per iteration, as in the Square Attack paper); the histogram's bins are log2-spaced. meanQueriesAllAttacked also counts images not fooled (their full budget).",
                "Transfer matrix (when transfer models were given): each adversarial image that fooled the source model is classified by each target; untargeted, the target is fooled when its top-1 class on the adversarial image differs from its top-1 on the clean crop; targeted, when its top-1 label is the target label. Rate = fooled / evaluated.",
                "Surrogate transfer (when an attack crafted on surrogate models, such as transfer): per set of surrogates, target and attack, fooled / attacked images of the target, verified through the 8-bit PNG; target queries are the attack's own (minimization and verification apart), surrogate gradient evaluations are one per surrogate per evaluation and are not queries to the target.",
                "eps*: the smallest perturbation norm that still fools the model after the binary search (or the final perturbation's norm when minimization is off).",
                "Robust accuracy at eps: correctly classified images that the attack did not fool with eps* <= eps. An image the attack did not fool counts as robust up to the attack's eps (the only budget tested); robust accuracy at eps 0 is the clean accuracy, and at the attack's eps it is 1 - (attack success over all images) when every image is correctly classified.",
            ],
        };
    }

    /// <summary>
    /// Whether <paramref name="epsStar"/> is within <paramref name="budget"/>: eps* is measured on float32 pixels
    /// (2/255 reads as 0.0078431666), budgets in double (0.0078431373), so within float32 precision of a budget is at it,
    /// or a success at the full budget would count as robust.
    /// </summary>
    private static bool AtOrBelow(double epsStar, double budget) => epsStar <= (budget * (1 + EpsTolerance)) + 1e-12;

    /// <summary>The RobustBench-style headline: clean and robust accuracy at the audit's eps, the images and the attacks.</summary>
    private static AuditRobustness Robustness(AuditAttack attack, double? clean, double? robust, int images)
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        string[] attacks = [.. attack.Attacks.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.Split(':')[0])];
        string eps = EpsText(attack.Norm, attack.EpsUsed);
        if (Math.Abs(attack.EpsUsed - attack.Eps) > 1e-9)
        {
            eps += string.Create(inv, $" (asked {attack.Eps:0.#####})");
        }

        string Pct(double? rate) => rate is double r ? (100 * r).ToString("0.##", inv) + " %" : "n/a";
        string norm = attack.Norm == "linf" ? "L-inf" : attack.Norm == "l2" ? "L2" : attack.Norm;
        string line = string.Create(inv, $"Clean accuracy {Pct(clean)}, robust accuracy {Pct(robust)} at {norm} eps {eps} (n = {images}; attacks: {string.Join(", ", attacks)}).");
        return new AuditRobustness(clean, robust, attack.Norm, attack.Eps, attack.EpsUsed, images, attacks, line);
    }

    /// <summary>A budget as people read it: L-inf in 8-bit steps (<c>2/255</c>) when it is a whole number of them, else decimal; L2 always decimal.</summary>
    /// <param name="norm">The norm: <c>linf</c> or <c>l2</c>.</param>
    /// <param name="eps">The budget on the [0, 1] scale.</param>
    /// <returns>The text.</returns>
    public static string EpsText(string norm, double eps)
    {
        double steps = eps * 255;
        return norm == "linf" && Math.Abs(steps - Math.Round(steps)) < 1e-6
            ? string.Create(Inv, $"{Math.Round(steps)}/255")
            : eps.ToString("0.#####", Inv);
    }

    /// <summary>Gets whether a given label names the clean top-1 class: an integer is an output index, anything else a label (case-insensitive).</summary>
    /// <param name="given">The given label.</param>
    /// <param name="top">The clean top-1 class.</param>
    /// <returns><see langword="true"/> when they agree.</returns>
    public static bool Matches(string given, ClassScore top)
    {
        ArgumentNullException.ThrowIfNull(given);
        ArgumentNullException.ThrowIfNull(top);
        return int.TryParse(given, NumberStyles.Integer, Inv, out int index)
            ? index == top.Index
            : string.Equals(given.Trim(), top.Label, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Gets eps* of a fooled report: the searched eps*, else the perturbation's norm in the attack's norm, else the attack's eps.</summary>
    /// <param name="report">The report.</param>
    /// <returns>eps*.</returns>
    public static double EpsStarOf(AttackReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.Outcome.EpsStar is double e)
        {
            return e;
        }

        if (report.Perturbation is { } p)
        {
            return string.Equals(report.Attack.Norm, "l2", StringComparison.OrdinalIgnoreCase) ? p.L2 : p.LInf;
        }

        return report.Attack.Eps;
    }

    /// <summary>Gets the median of values (the mean of the two middle ones for an even count).</summary>
    /// <param name="values">The values.</param>
    /// <returns>The median, or <see langword="null"/> when there are none.</returns>
    public static double? Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        if (sorted.Length == 0)
        {
            return null;
        }

        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string StatusText(OutcomeStatus status) => status switch
    {
        OutcomeStatus.Fooled => "fooled",
        OutcomeStatus.NotFooled => "notFooled",
        OutcomeStatus.AlreadyMisclassified => "alreadyMisclassified",
        _ => "failed",
    };

    private static double? Rate(int count, int of) => of > 0 ? (double)count / of : null;

    private static AuditDistribution Distribution(List<double> values, IReadOnlyList<HistogramBin> bins) => new()
    {
        Count = values.Count,
        Mean = values.Count > 0 ? values.Average() : null,
        Median = Median(values),
        Min = values.Count > 0 ? values.Min() : null,
        Max = values.Count > 0 ? values.Max() : null,
        Histogram = bins,
    };

    private static List<HistogramBin> LogBins(List<double> values, int maxQueries)
    {
        double top = Math.Max(maxQueries, values.Count > 0 ? values.Max() : 1);
        var edges = new List<double> { 1 };
        while (edges[^1] <= top)
        {
            edges.Add(edges[^1] * 2);
        }

        return Bins(values.Select(v => Math.Max(v, 1)).ToList(), edges);
    }

    private static List<HistogramBin> LinearBins(List<double> values, double max, int count)
    {
        if (max <= 0)
        {
            return [];
        }

        var edges = Enumerable.Range(0, count + 1).Select(i => max * i / count).ToList();
        return Bins(values, edges);
    }

    private static List<HistogramBin> Bins(List<double> values, List<double> edges)
    {
        var bins = new List<HistogramBin>(edges.Count - 1);
        for (int b = 0; b < edges.Count - 1; b++)
        {
            bool last = b == edges.Count - 2;
            double from = edges[b], to = edges[b + 1];
            bins.Add(new HistogramBin(from, to, values.Count(v => v >= from && (v < to || (last && v <= to + 1e-12)))));
        }

        return bins;
    }

    private static List<AuditClassRow> PerClass(List<AuditImageRow> rows) =>
    [
        .. rows.GroupBy(r => r.TrueClass ?? "(unknown)", StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                List<int> queries = [.. g.Where(r => r.Status == "fooled").Select(r => r.Queries ?? 0)];
                return new AuditClassRow
                {
                    TrueClass = g.Key,
                    Images = g.Count(),
                    CleanCorrect = g.Count(r => r.CleanCorrect == true),
                    Fooled = g.Count(r => r.Status == "fooled"),
                    NotFooled = g.Count(r => r.Status == "notFooled"),
                    Failed = g.Count(r => r.Status == "failed"),
                    MeanQueries = queries.Count > 0 ? queries.Average() : null,
                };
            }),
    ];
}
