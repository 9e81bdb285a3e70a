using AttackCore.Attacks;
using AttackCore.Reporting;

namespace AttackCore.Engine;

/// <summary>
/// One image of a batch between <see cref="AttackRunner.Begin"/> and <see cref="AttackRunner.Finish"/>:
/// everything the report needs that is not in the attack state. JSON-serializable.
/// </summary>
public sealed record ImageJob
{
    /// <summary>Gets the input file's description.</summary>
    public required InputInfo Input { get; init; }

    /// <summary>Gets the clean classification.</summary>
    public required CleanResult Clean { get; init; }

    /// <summary>Gets the target class of a targeted attack.</summary>
    public ClassRef? Target { get; init; }

    /// <summary>Gets the index of this image in the running attack's state, or -1 when the running attack does not attack it.</summary>
    public int StateIndex { get; init; } = -1;

    /// <summary>Gets the outcome decided before the attack (the clean image already meets the goal), if any.</summary>
    public OutcomeStatus? EarlyOutcome { get; init; }

    /// <summary>Gets the message that goes with <see cref="EarlyOutcome"/>.</summary>
    public string? EarlyMessage { get; init; }

    /// <summary>Gets the clean crop the model saw, as PNG.</summary>
    public byte[]? CleanPng { get; init; }

    /// <summary>Gets the milliseconds spent decoding, preprocessing and classifying the clean image.</summary>
    public double PrepareMs { get; init; }

    /// <summary>Gets the attacks of the plan that have finished on this image, in plan order.</summary>
    /// <value>Defaults to empty.</value>
    public IReadOnlyList<AttackAttempt> Attempts { get; init; } = [];

    /// <summary>
    /// Gets the plan stage whose attempt was recorded for this image before that attack was over for the whole batch
    /// (<see cref="AttackRunner.CloseFinishedImages"/>), or -1; the stage's end then keeps that attempt.
    /// </summary>
    /// <value>Defaults to -1.</value>
    public int ClosedStage { get; init; } = -1;

    /// <summary>Gets the goal the attacks pursue for this image.</summary>
    /// <returns>The goal.</returns>
    public AttackGoal Goal() => new(Clean.TrueClass.Index, Target?.Index);
}

/// <summary>
/// One finished attack of the plan on one image: the report sections it produced and the images it wrote, kept until
/// the last attack of the plan is done. JSON-serializable.
/// </summary>
public sealed record AttackAttempt
{
    /// <summary>Gets how the attack was configured.</summary>
    public required AttackInfo Attack { get; init; }

    /// <summary>Gets what the attack achieved.</summary>
    public required AttackOutcome Outcome { get; init; }

    /// <summary>Gets the verified classification of this attempt's image.</summary>
    public required AdversarialResult Adversarial { get; init; }

    /// <summary>Gets the size of this attempt's change.</summary>
    public required PerturbationMetrics Perturbation { get; init; }

    /// <summary>Gets the progress points of this attempt.</summary>
    public IReadOnlyList<TracePoint> Trace { get; init; } = [];

    /// <summary>
    /// Gets this image's share of the attack's wall time, in milliseconds: each slice's time is split over the batch's
    /// images by the model calls each made in it (see <see cref="AttackBatch.ImageAttackMs"/>).
    /// </summary>
    public double AttackMs { get; init; }

    /// <summary>Gets this image's share of the minimization time, in milliseconds.</summary>
    public double MinimizeMs { get; init; }

    /// <summary>Gets this image's share of the verification time, in milliseconds.</summary>
    public double VerifyMs { get; init; }

    /// <summary>Gets this attempt's adversarial image (or best attempt) as 8-bit PNG.</summary>
    public required byte[] AdversarialPng { get; init; }

    /// <summary>Gets this attempt's amplified perturbation as PNG.</summary>
    public required byte[] PerturbationPng { get; init; }
}

/// <summary>
/// A batch of images being attacked together: the jobs, the request, which attack of the plan is running and its
/// state. <see cref="AttackBatchSerializer"/> saves the whole batch, so it can be carried across processes between
/// slices.
/// </summary>
public sealed class AttackBatch
{
    private readonly ImageJob[] _jobs;

    /// <summary>Initializes a new instance of the <see cref="AttackBatch"/> class.</summary>
    /// <param name="request">The request.</param>
    /// <param name="jobs">The images, in input order.</param>
    /// <param name="state">The running attack's state, or <see langword="null"/> when no attack runs (all done, or nothing to attack).</param>
    /// <param name="stage">The index in <see cref="AttackRequest.Attacks"/> of the running attack.</param>
    public AttackBatch(AttackRequest request, IReadOnlyList<ImageJob> jobs, AttackState? state, int stage = 0)
    {
        Request = request ?? throw new ArgumentNullException(nameof(request));
        ArgumentNullException.ThrowIfNull(jobs);
        _jobs = [.. jobs];
        State = state;
        Stage = stage;
        if (state is not null && (stage < 0 || stage >= request.Attacks.Count || state.Options != request.Attacks[stage]))
        {
            throw new ArgumentException($"The state belongs to another attack than attack {stage} of the plan.", nameof(state));
        }
    }

    /// <summary>Gets the request.</summary>
    public AttackRequest Request { get; }

    /// <summary>Gets the images, in input order.</summary>
    public IReadOnlyList<ImageJob> Jobs => _jobs;

    /// <summary>Gets the running attack's state; <see langword="null"/> once every attack of the plan is done.</summary>
    public AttackState? State { get; internal set; }

    /// <summary>Gets the index in <see cref="AttackRequest.Attacks"/> of the running (or last) attack.</summary>
    public int Stage { get; internal set; }

    /// <summary>Gets or sets the wall time spent in the running attack's steps so far, in milliseconds.</summary>
    public double AttackMs { get; set; }

    /// <summary>
    /// Gets or sets each image's share of <see cref="AttackMs"/>, indexed like the running attack's images: the time of
    /// every slice is split over the images by the model calls (queries and gradient evaluations) each made in it, as
    /// a batched model call costs about in proportion to its rows; a slice without calls is split evenly.
    /// </summary>
    /// <value>Empty while no attack runs.</value>
    public double[] ImageAttackMs { get; set; } = [];

    /// <summary>Gets a value indicating whether every attack of the plan is over for every image.</summary>
    public bool IsAttackFinished => State is null;

    /// <summary>Gets the progress of the batch.</summary>
    /// <returns>The progress.</returns>
    public AttackProgress Progress()
    {
        int done = 0;
        long queries = 0;
        double? lowest = null;
        foreach (ImageJob job in _jobs)
        {
            foreach (AttackAttempt attempt in job.Attempts)
            {
                queries += attempt.Outcome.Queries;
            }

            AttackImageState? image = job.StateIndex >= 0 && State is not null ? State.Images[job.StateIndex] : null;
            if (image is null)
            {
                done++;
                continue;
            }

            queries += image.Queries;
            if (image.Status == ImageAttackStatus.Running)
            {
                // An image not scored yet (Bandits-TD and the white-box attacks query nothing at the start) has no margin.
                if (double.IsFinite(image.BestMargin))
                {
                    lowest = Math.Min(lowest ?? double.PositiveInfinity, image.BestMargin);
                }
            }
            else
            {
                done++;
            }
        }

        int stageImages = 0, stageDone = 0, finished = 0;
        bool lastStage = State is null || Stage >= Request.Attacks.Count - 1;
        foreach (ImageJob job in _jobs)
        {
            if (job.StateIndex >= 0 && State is not null)
            {
                stageImages++;
                stageDone += State.Images[job.StateIndex].Status == ImageAttackStatus.Running ? 0 : 1;
            }
            else if (lastStage || job.EarlyOutcome is not null || (Request.PlanMode == PlanMode.FirstSuccess && job.Attempts.Any(a => a.Outcome.Success)))
            {
                finished++;   // no later attack of the plan takes it
            }
        }

        return new AttackProgress(done, _jobs.Length, queries, lowest, State?.Options.AttackName, Stage, Request.Attacks.Count, stageImages, stageDone, finished);
    }

    /// <summary>Replaces one job (the runner records attempts and state indices this way).</summary>
    internal void SetJob(int index, ImageJob job) => _jobs[index] = job;
}

/// <summary>The finished result for one image: the report and the files to write beside it.</summary>
/// <param name="Report">The report.</param>
/// <param name="CleanPng">The clean crop the model saw, as PNG.</param>
/// <param name="AdversarialPng">The adversarial image (or best attempt), as PNG; <see langword="null"/> when none was made.</param>
/// <param name="PerturbationPng">The amplified perturbation, as PNG; <see langword="null"/> when none was made.</param>
public sealed record ImageResult(AttackReport Report, byte[] CleanPng, byte[]? AdversarialPng, byte[]? PerturbationPng)
{
    /// <summary>Gets the report as JSON.</summary>
    /// <returns>The JSON text.</returns>
    public string ReportJsonText() => ReportJson.Serialize(Report);

    /// <summary>Gets the report as an HTML page.</summary>
    /// <returns>The HTML text.</returns>
    public string ReportHtmlText() => ReportHtml.Render(Report);
}
