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

    /// <summary>Gets the index of this image in the attack state, or -1 when it is not attacked.</summary>
    public int StateIndex { get; init; } = -1;

    /// <summary>Gets the outcome decided before the attack (the clean image already meets the goal), if any.</summary>
    public OutcomeStatus? EarlyOutcome { get; init; }

    /// <summary>Gets the message that goes with <see cref="EarlyOutcome"/>.</summary>
    public string? EarlyMessage { get; init; }

    /// <summary>Gets the clean crop as PNG for an image that is not attacked (attacked images keep theirs in the attack state).</summary>
    public byte[]? CleanPng { get; init; }

    /// <summary>Gets the milliseconds spent decoding, preprocessing and classifying the clean image.</summary>
    public double PrepareMs { get; init; }
}

/// <summary>
/// A batch of images being attacked together: the jobs, the request and the attack state. The state is
/// saved with <see cref="AttackStateSerializer"/> and the rest as JSON, so a batch can be carried across
/// processes between slices.
/// </summary>
public sealed class AttackBatch
{
    /// <summary>Initializes a new instance of the <see cref="AttackBatch"/> class.</summary>
    /// <param name="request">The request.</param>
    /// <param name="jobs">The images, in input order.</param>
    /// <param name="state">The attack state of the images that are attacked, or <see langword="null"/> when none is.</param>
    public AttackBatch(AttackRequest request, IReadOnlyList<ImageJob> jobs, AttackState? state)
    {
        Request = request ?? throw new ArgumentNullException(nameof(request));
        Jobs = jobs ?? throw new ArgumentNullException(nameof(jobs));
        State = state;
    }

    /// <summary>Gets the request.</summary>
    public AttackRequest Request { get; }

    /// <summary>Gets the images, in input order.</summary>
    public IReadOnlyList<ImageJob> Jobs { get; }

    /// <summary>Gets the attack state.</summary>
    public AttackState? State { get; }

    /// <summary>Gets or sets the wall time spent in attack steps so far, in milliseconds.</summary>
    public double AttackMs { get; set; }

    /// <summary>Gets a value indicating whether the attack stage is over for every image.</summary>
    public bool IsAttackFinished => State is null || State.IsFinished;

    /// <summary>Gets the progress of the batch.</summary>
    /// <returns>The progress.</returns>
    public AttackProgress Progress()
    {
        int done = Jobs.Count(j => j.StateIndex < 0);
        long queries = 0;
        double? lowest = null;
        if (State is not null)
        {
            foreach (AttackImageState image in State.Images)
            {
                queries += image.Queries;
                if (image.Status == ImageAttackStatus.Running)
                {
                    lowest = Math.Min(lowest ?? double.PositiveInfinity, image.BestMargin);
                }
                else
                {
                    done++;
                }
            }
        }

        return new AttackProgress(done, Jobs.Count, queries, lowest);
    }
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
