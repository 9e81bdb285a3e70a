namespace AttackCore.Reporting;

/// <summary>
/// The robustness summary of a bulk audit (<c>summary.json</c>), computed by <see cref="AuditSummaryBuilder"/> from
/// the per-image reports alone. Serialized with <see cref="AuditSummaryJson"/>; <c>summary.csv</c> and
/// <c>summary.html</c> are made from this record only.
/// </summary>
/// <remarks>
/// <para><b>Conventions.</b> "Evaluated" images are those with a <c>report.json</c> (attacked or skipped); inputs that
/// failed (no report) are listed in <see cref="Failures"/> and left out of every rate. Query statistics are over
/// fooled images (the Square Attack paper's convention), with the mean over every attacked image given too.</para>
/// <para>No value is NaN or infinite: a rate with an empty denominator is <see langword="null"/> and omitted.</para>
/// </remarks>
public sealed record AuditSummary
{
    /// <summary>The schema version this build writes.</summary>
    public const int CurrentSchemaVersion = 2;

    /// <summary>Gets the schema version.</summary>
    /// <value>Defaults to <see cref="CurrentSchemaVersion"/>.</value>
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>Gets the audit's id.</summary>
    public required string AuditId { get; init; }

    /// <summary>Gets what was audited: the container and the prefix, or the number of blobs named in a manifest.</summary>
    public required string Source { get; init; }

    /// <summary>Gets the attack every image got (from the audit's resolved options).</summary>
    public required AuditAttack Attack { get; init; }

    /// <summary>Gets the model that was attacked (name and SHA-256 of the first report); omitted when no image was evaluated.</summary>
    public AuditModel? Model { get; init; }

    /// <summary>Gets the counts of inputs by outcome.</summary>
    public required AuditCounts Counts { get; init; }

    /// <summary>Gets where the true class of each image came from: <c>given</c> (labels in the request) or <c>clean-top1</c>.</summary>
    public required string TrueClassSource { get; init; }

    /// <summary>Gets the clean accuracy.</summary>
    public required AuditRate CleanAccuracy { get; init; }

    /// <summary>Gets the attack success rate over all evaluated images: fooled / evaluated.</summary>
    public required AuditRate AttackSuccessOverAllImages { get; init; }

    /// <summary>Gets the attack success rate over correctly classified images: fooled and clean-correct / clean-correct.</summary>
    public required AuditRate AttackSuccessOverCorrectlyClassified { get; init; }

    /// <summary>Gets the queries the attack spent on fooled images.</summary>
    public required AuditDistribution Queries { get; init; }

    /// <summary>Gets the mean queries over every attacked image (fooled or not); omitted when none was attacked.</summary>
    public double? MeanQueriesAllAttacked { get; init; }

    /// <summary>Gets the distribution of eps* (the smallest perturbation that still fools the model) over fooled images.</summary>
    public required AuditDistribution EpsStar { get; init; }

    /// <summary>Gets the headline result as RobustBench reports it: clean and robust accuracy at the audit's eps, the images and the attacks.</summary>
    public AuditRobustness? Robustness { get; init; }

    /// <summary>
    /// Gets robust accuracy as a function of eps, from 0 to the budget used (<see cref="AuditAttack.EpsUsed"/>), in
    /// increasing eps: 21 evenly spaced points plus one at each fooled image's eps* within that budget, so the curve is
    /// exact as a step function (robust accuracy drops at each eps* and is constant in between).
    /// </summary>
    public required IReadOnlyList<RobustAccuracyPoint> RobustAccuracy { get; init; }

    /// <summary>Gets the per-class table, by true class, in order of the class name.</summary>
    public required IReadOnlyList<AuditClassRow> PerClass { get; init; }

    /// <summary>
    /// Gets one row per attack of the plan (success rate, queries, eps*), from every report's attempts; omitted when no
    /// report lists one.
    /// </summary>
    public IReadOnlyList<AttackComparisonRow>? Attacks { get; init; }

    /// <summary>
    /// Gets the transfer matrix: for each source model, attack and transfer target, the share of fooled images that
    /// fool the target too; omitted when no report has a transfer section.
    /// </summary>
    public IReadOnlyList<TransferMatrixCell>? Transfer { get; init; }

    /// <summary>
    /// Gets the surrogate transfer table: for each set of surrogates, target and surrogate-based attack, the share of
    /// attacked images that fooled the target, with the target queries and surrogate gradient evaluations spent per
    /// image; omitted when no attack used surrogates.
    /// </summary>
    public IReadOnlyList<SurrogateTransferRow>? SurrogateTransfer { get; init; }

    /// <summary>Gets one row per input, in input order.</summary>
    public required IReadOnlyList<AuditImageRow> Images { get; init; }

    /// <summary>Gets every failed input with its reason.</summary>
    public required IReadOnlyList<AuditFailure> Failures { get; init; }

    /// <summary>Gets the audit's timings.</summary>
    public required AuditTimings Timings { get; init; }

    /// <summary>Gets the definitions of the figures above, in words.</summary>
    public required IReadOnlyList<string> Notes { get; init; }
}

/// <summary>
/// The headline of an audit as RobustBench reports one: clean accuracy and robust accuracy at one eps, over a stated
/// number of images, with the attacks that were run (an image counts as robust only if every attack failed on it).
/// </summary>
/// <param name="CleanAccuracy">The share of evaluated images classified correctly; omitted when none was evaluated.</param>
/// <param name="RobustAccuracy">The share of evaluated images classified correctly and not fooled within eps; omitted when none was evaluated.</param>
/// <param name="Norm">The norm: <c>linf</c> or <c>l2</c>.</param>
/// <param name="Eps">The budget asked for, on the [0, 1] pixel scale.</param>
/// <param name="EpsUsed">The budget used on the 8-bit grid (see <see cref="AuditAttack.EpsUsed"/>); robust accuracy is at this budget.</param>
/// <param name="Images">The evaluated images (the denominator of both rates).</param>
/// <param name="Attacks">The attacks of the plan, in order.</param>
/// <param name="Line">The same in one line of text.</param>
public sealed record AuditRobustness(double? CleanAccuracy, double? RobustAccuracy, string Norm, double Eps, double EpsUsed, int Images, IReadOnlyList<string> Attacks, string Line);

/// <summary>The attack of an audit.</summary>
public sealed record AuditAttack
{
    /// <summary>Gets the attack plan: attack specs separated by <c>;</c>, run in order.</summary>
    /// <value>Defaults to <c>square</c>.</value>
    public string Attacks { get; init; } = "square";

    /// <summary>Gets how the plan's attacks shared the images: <c>first-success</c> or <c>all</c>.</summary>
    /// <value>Defaults to <c>first-success</c>.</value>
    public string PlanMode { get; init; } = "first-success";

    /// <summary>Gets the norm: <c>linf</c> or <c>l2</c>.</summary>
    public required string Norm { get; init; }

    /// <summary>Gets the budget on the [0, 1] pixel scale.</summary>
    public required double Eps { get; init; }

    /// <summary>
    /// Gets the budget an image on the 8-bit grid can use within <see cref="Eps"/> (for L-inf the largest whole number
    /// of 8-bit steps: 0.01 is 2/255; for L2 <see cref="Eps"/> itself). Computed; ignored when read.
    /// </summary>
    public double EpsUsed => AttackInfo.BudgetUsed(Norm, Eps);

    /// <summary>Gets the query budget per image.</summary>
    public required int MaxQueries { get; init; }

    /// <summary>Gets the seed.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Gets the target (<c>none</c> for untargeted).</summary>
    public required string Target { get; init; }

    /// <summary>Gets whether eps* was searched after success.</summary>
    public required bool Minimize { get; init; }
}

/// <summary>The model of an audit.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Sha256">The ONNX file's SHA-256.</param>
/// <param name="Preprocessing">The preprocessing, in words.</param>
public sealed record AuditModel(string Name, string Sha256, string Preprocessing);

/// <summary>Counts of inputs by outcome; <see cref="Images"/> = <see cref="Attacked"/> + <see cref="Skipped"/> + <see cref="Failed"/>.</summary>
public sealed record AuditCounts
{
    /// <summary>Gets the inputs of the audit.</summary>
    public required int Images { get; init; }

    /// <summary>Gets the images the attack ran on (<see cref="Fooled"/> + <see cref="NotFooled"/>).</summary>
    public required int Attacked { get; init; }

    /// <summary>Gets the images with a verified adversarial image.</summary>
    public required int Fooled { get; init; }

    /// <summary>Gets the attacked images the attack did not fool within its budget.</summary>
    public required int NotFooled { get; init; }

    /// <summary>Gets the images with a report but no attack (already misclassified or already at the target).</summary>
    public required int Skipped { get; init; }

    /// <summary>Gets the inputs without a usable report (rejected, missing, or the run failed); see the failures.</summary>
    public required int Failed { get; init; }

    /// <summary>Gets the evaluated images (<see cref="Attacked"/> + <see cref="Skipped"/>): the denominator of the rates.</summary>
    public required int Evaluated { get; init; }

    /// <summary>Gets the evaluated images whose clean top-1 class is their true class.</summary>
    public required int CleanCorrect { get; init; }
}

/// <summary>A rate with its numerator and denominator.</summary>
/// <param name="Count">The numerator.</param>
/// <param name="Of">The denominator.</param>
/// <param name="Rate">Count / Of; omitted when Of is 0.</param>
/// <param name="Definition">What is counted, in words.</param>
public sealed record AuditRate(int Count, int Of, double? Rate, string Definition);

/// <summary>A distribution: count, mean, median, extremes and a histogram.</summary>
public sealed record AuditDistribution
{
    /// <summary>Gets how many values there are.</summary>
    public required int Count { get; init; }

    /// <summary>Gets the mean; omitted when there are no values.</summary>
    public double? Mean { get; init; }

    /// <summary>Gets the median (the mean of the two middle values for an even count); omitted when there are no values.</summary>
    public double? Median { get; init; }

    /// <summary>Gets the smallest value; omitted when there are no values.</summary>
    public double? Min { get; init; }

    /// <summary>Gets the largest value; omitted when there are no values.</summary>
    public double? Max { get; init; }

    /// <summary>Gets the histogram's bins, lowest first; each holds the values in [From, To) (the last bin includes To).</summary>
    public required IReadOnlyList<HistogramBin> Histogram { get; init; }
}

/// <summary>One histogram bin.</summary>
/// <param name="From">The lower edge (included).</param>
/// <param name="To">The upper edge (excluded, but for the last bin).</param>
/// <param name="Count">The values in the bin.</param>
public sealed record HistogramBin(double From, double To, int Count);

/// <summary>Robust accuracy at one budget.</summary>
/// <param name="Eps">The budget.</param>
/// <param name="Robust">Evaluated images still correctly classified at this budget.</param>
/// <param name="Of">Evaluated images.</param>
/// <param name="Accuracy">Robust / Of; omitted when Of is 0.</param>
public sealed record RobustAccuracyPoint(double Eps, int Robust, int Of, double? Accuracy);

/// <summary>One row of the per-class table.</summary>
public sealed record AuditClassRow
{
    /// <summary>Gets the true class (its label, or the given value).</summary>
    public required string TrueClass { get; init; }

    /// <summary>Gets the inputs of this class (failed inputs with a given label included).</summary>
    public required int Images { get; init; }

    /// <summary>Gets the evaluated images of this class classified correctly when clean.</summary>
    public required int CleanCorrect { get; init; }

    /// <summary>Gets the fooled images.</summary>
    public required int Fooled { get; init; }

    /// <summary>Gets the attacked images not fooled.</summary>
    public required int NotFooled { get; init; }

    /// <summary>Gets the failed inputs.</summary>
    public required int Failed { get; init; }

    /// <summary>Gets the mean queries over fooled images; omitted when none was fooled.</summary>
    public double? MeanQueries { get; init; }
}

/// <summary>One input of the audit.</summary>
public sealed record AuditImageRow
{
    /// <summary>Gets the input blob's name.</summary>
    public required string Input { get; init; }

    /// <summary>Gets the result folder in the results container.</summary>
    public required string ResultFolder { get; init; }

    /// <summary>Gets the outcome: the report's status (<c>fooled</c>, <c>notFooled</c>, <c>alreadyMisclassified</c>, <c>failed</c>) or <c>failed</c> without a report.</summary>
    public required string Status { get; init; }

    /// <summary>Gets the true class (given, or the clean top-1 label); omitted when unknown.</summary>
    public string? TrueClass { get; init; }

    /// <summary>Gets the clean top-1 label; omitted without a report.</summary>
    public string? CleanLabel { get; init; }

    /// <summary>Gets whether the clean top-1 class is the true class; omitted without a report.</summary>
    public bool? CleanCorrect { get; init; }

    /// <summary>Gets the verified adversarial top-1 label; omitted when there is none.</summary>
    public string? AdversarialLabel { get; init; }

    /// <summary>Gets the queries the attack spent; omitted without a report.</summary>
    public int? Queries { get; init; }

    /// <summary>Gets eps* of a fooled image; omitted otherwise.</summary>
    public double? EpsStar { get; init; }

    /// <summary>Gets this image's time in the attacks, in milliseconds; omitted without a report.</summary>
    public double? AttackMs { get; init; }

    /// <summary>
    /// Gets the image file in <see cref="ResultFolder"/> to show for this input: the adversarial image (or best attempt)
    /// of an attacked image, else the clean crop; omitted without a report.
    /// </summary>
    public string? Thumbnail { get; init; }

    /// <summary>Gets the surrogate gradient evaluations of a surrogate-based attack (not target queries); omitted for other attacks.</summary>
    public int? SurrogateGradientEvaluations { get; init; }

    /// <summary>Gets the failure's reason; omitted unless the input failed.</summary>
    public string? Reason { get; init; }
}

/// <summary>A failed input.</summary>
/// <param name="Input">The input blob's name.</param>
/// <param name="Reason">A machine-readable reason.</param>
/// <param name="Message">What went wrong, for a person.</param>
public sealed record AuditFailure(string Input, string Reason, string Message);

/// <summary>The audit's timings.</summary>
public sealed record AuditTimings
{
    /// <summary>Gets when the audit started.</summary>
    public required DateTimeOffset StartedUtc { get; init; }

    /// <summary>Gets when the summary was written.</summary>
    public required DateTimeOffset FinishedUtc { get; init; }

    /// <summary>Gets the wall time from start to summary, in seconds.</summary>
    public required double WallSeconds { get; init; }

    /// <summary>Gets the mean of the reports' total time per image, in milliseconds; omitted without reports.</summary>
    public double? MeanImageMs { get; init; }

    /// <summary>Gets the attack time summed over images, in milliseconds.</summary>
    public required double SumAttackMs { get; init; }
}
