using System.Globalization;
using System.Reflection;
using AttackCore.Attacks;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using ImagingMetrics = AttackCore.Imaging.PerturbationMetrics;
using ReportMetrics = AttackCore.Reporting.PerturbationMetrics;

namespace AttackCore.Engine;

/// <summary>
/// What the runner knows of one image when an attack of the plan is over, beside the attack's own state: the image to
/// write (the minimized one after a success, else the attack's best), its PNG file and the scores of that file read
/// back, and the queries spent minimizing and verifying.
/// </summary>
/// <param name="Image">The image written and verified (CHW in [0,1] on the 8-bit grid); the record owns it.</param>
/// <param name="Png">The image as the PNG file that was read back and classified.</param>
/// <param name="Logits">The scores of the re-read PNG.</param>
/// <param name="Fooled">Whether the attack succeeded and the re-read PNG meets the goal too.</param>
/// <param name="MinimizeQueries">Queries spent shrinking the perturbation.</param>
/// <param name="VerifyQueries">Queries spent classifying re-read PNGs.</param>
internal sealed record StageRecord(float[] Image, byte[] Png, float[] Logits, bool Fooled, int MinimizeQueries, int VerifyQueries);

/// <summary>Builds the report sections of attempts and the finished result of each image.</summary>
internal sealed class AttemptBuilder
{
    private const int TracePointsInReport = 200;
    private readonly IReadOnlyList<string> _labels;
    private readonly ModelInfo _model;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<SurrogateInfo>? _surrogates;

    /// <summary>Initializes a new instance of the <see cref="AttemptBuilder"/> class.</summary>
    /// <param name="labels">The model's labels.</param>
    /// <param name="model">What reports say about the model.</param>
    /// <param name="timeProvider">The clock of the reports' creation time.</param>
    /// <param name="surrogates">What reports of surrogate-based attacks say about the surrogates; <see langword="null"/> when there are none.</param>
    public AttemptBuilder(IReadOnlyList<string> labels, ModelInfo model, TimeProvider timeProvider, IReadOnlyList<SurrogateInfo>? surrogates = null)
    {
        _labels = labels;
        _model = model;
        _time = timeProvider;
        _surrogates = surrogates;
    }

    /// <summary>Gets the name and version written into reports.</summary>
    public static ToolInfo Tool { get; } = new()
    {
        Name = "advaudit",
        Version = typeof(AttemptBuilder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0",
    };

    /// <summary>The ranked classes of one row of scores, as reports show them.</summary>
    public IReadOnlyList<ClassScore> Top(ReadOnlySpan<float> logits, int k) => ClassRanking.Top(logits, _labels, k);

    /// <summary>The class index and its label.</summary>
    public ClassRef Ref(int index) => new() { Index = index, Label = _labels[index] };

    /// <summary>The result of an image no attack ran on (its clean image already met the goal).</summary>
    public ImageResult EarlyResult(AttackBatch batch, ImageJob job)
    {
        var report = new AttackReport
        {
            Tool = Tool,
            CreatedUtc = _time.GetUtcNow(),
            Model = _model,
            Input = job.Input,
            Clean = job.Clean,
            Attack = AttackInfo(batch, job, batch.Request.Attack),
            Outcome = new AttackOutcome { Status = job.EarlyOutcome ?? OutcomeStatus.Failed, Success = false, Queries = 0, Message = job.EarlyMessage },
            Timings = new TimingInfo { PrepareMs = job.PrepareMs, AttackMs = 0, VerifyMs = 0, TotalMs = job.PrepareMs },
            Images = new ImageFiles { Adversarial = null, Perturbation = null },
        };
        return new ImageResult(report, job.CleanPng ?? [], null, null);
    }

    /// <summary>One attack's attempt on one image, from the attack's state and the runner's record of it.</summary>
    public AttackAttempt Attempt(AttackBatch batch, ImageJob job, AttackState state, AttackImageState image, StageRecord record, double? epsStar, double minimizeMs, double verifyMs)
    {
        AttackOptions options = state.Options;
        bool success = record.Fooled;
        ImagingMetrics metrics = ImagingMetrics.Compute(image.Clean, record.Image, state.Height, state.Width);
        using PerturbationRendering rendering = PerturbationImage.Render(image.Clean, record.Image, state.Height, state.Width);
        byte[] perturbationPng = PngCodec.Encode(rendering.Image);
        string verifiedLabel = _labels[LogitMath.ArgMax(record.Logits)];
        string note = success
            ? $"The adversarial image was written as an 8-bit PNG, read back, preprocessed and classified again: \"{verifiedLabel}\"."
            : $"Best attempt, written as an 8-bit PNG and classified again: \"{verifiedLabel}\"; the goal was not reached.";

        // A success the PNG did not confirm (after the retries) is reported as the attack running out.
        ImageAttackStatus status = image.Status == ImageAttackStatus.Succeeded && !success ? ImageAttackStatus.Exhausted : image.Status;
        string? message = status switch
        {
            ImageAttackStatus.Exhausted when image.StopReason is not null => image.StopReason,
            ImageAttackStatus.Exhausted when options.UsesSurrogates => $"The image crafted on the surrogates ({image.GradientEvaluations} surrogate gradient evaluations) did not fool the target in {image.Queries} {(image.Queries == 1 ? "query" : "queries")} at eps {options.Epsilon.ToString("R", CultureInfo.InvariantCulture)}.",
            ImageAttackStatus.Exhausted when options.UsesGradients => $"Not fooled within {image.GradientEvaluations} gradient evaluations at eps {options.Epsilon.ToString("R", CultureInfo.InvariantCulture)}.",
            ImageAttackStatus.Exhausted when image.Queries >= options.MaxQueries => $"Not fooled within {options.MaxQueries} queries at eps {options.Epsilon.ToString("R", CultureInfo.InvariantCulture)}.",
            ImageAttackStatus.Exhausted => "The attack ended without an adversarial image that survives being written as PNG.",
            ImageAttackStatus.Running => "The run was stopped before the attack finished.",
            _ => null,
        };
        var trace = image.Trace.Select(p => new TracePoint
        {
            Queries = p.Queries,
            Loss = p.Loss,
            TrueConfidence = p.TrueConfidence,
            WinningConfidence = p.WinningConfidence,
            WinningClass = p.WinningClass,
        }).ToList();
        return new AttackAttempt
        {
            Attack = AttackInfo(batch, job, options),
            Outcome = new AttackOutcome
            {
                Status = success ? OutcomeStatus.Fooled : OutcomeStatus.NotFooled,
                Success = success,
                Queries = image.Queries,
                GradientEvaluations = options.UsesGradients ? image.GradientEvaluations : null,
                SurrogateGradientEvaluations = options.UsesSurrogates ? image.GradientEvaluations : null,
                VerificationQueries = record.VerifyQueries,
                MinimizeQueries = record.MinimizeQueries,
                ContinuousSuccessQueries = image.ContinuousSuccessQueries,
                EpsStar = epsStar,
                Message = message,
            },
            Adversarial = new AdversarialResult { Top5 = Top(record.Logits, 5), Verified = success, VerificationNote = note },
            Perturbation = new ReportMetrics
            {
                LInf = metrics.LInf,
                L2 = metrics.L2,
                L0Pixels = metrics.L0Pixels,
                L0Values = metrics.L0Values,
                Psnr = metrics.Psnr,
                Ssim = metrics.Ssim ?? 1.0,
                Amplification = rendering.Amplification,
            },
            Trace = TraceDownsampler.Downsample(trace, TracePointsInReport),
            AttackMs = job.StateIndex >= 0 && job.StateIndex < batch.ImageAttackMs.Length ? batch.ImageAttackMs[job.StateIndex] : batch.AttackMs / Math.Max(1, state.Images.Count),
            MinimizeMs = minimizeMs,
            VerifyMs = verifyMs,
            AdversarialPng = record.Png,
            PerturbationPng = perturbationPng,
        };
    }

    /// <summary>The report of an attacked image: the first verified success in plan order (else the last attempt) is written; every attempt is listed.</summary>
    public ImageResult Result(AttackBatch batch, ImageJob job)
    {
        IReadOnlyList<AttackAttempt> attempts = job.Attempts;
        AttackAttempt written = attempts.FirstOrDefault(a => a.Outcome.Success) ?? attempts[^1];
        double attackMs = attempts.Sum(a => a.AttackMs), minimizeMs = attempts.Sum(a => a.MinimizeMs), verifyMs = attempts.Sum(a => a.VerifyMs);
        var report = new AttackReport
        {
            Tool = Tool,
            CreatedUtc = _time.GetUtcNow(),
            Model = _model,
            Input = job.Input,
            Clean = job.Clean,
            Adversarial = written.Adversarial,
            Attack = written.Attack,
            Outcome = written.Outcome with
            {
                PlanQueries = batch.Request.Attacks.Count > 1 ? attempts.Sum(a => a.Outcome.Queries) : null,
            },
            Perturbation = written.Perturbation,
            Timings = new TimingInfo
            {
                PrepareMs = job.PrepareMs,
                AttackMs = attackMs,
                MinimizeMs = minimizeMs,
                VerifyMs = verifyMs,
                TotalMs = job.PrepareMs + attackMs + minimizeMs + verifyMs,
            },
            Trace = written.Trace,
            Attempts = attempts.Select(a => new AttemptSummary
            {
                Attack = a.Attack,
                Status = a.Outcome.Status,
                Success = a.Outcome.Success,
                Queries = a.Outcome.Queries,
                GradientEvaluations = a.Outcome.GradientEvaluations,
                SurrogateGradientEvaluations = a.Outcome.SurrogateGradientEvaluations,
                MinimizeQueries = a.Outcome.MinimizeQueries,
                VerificationQueries = a.Outcome.VerificationQueries,
                EpsStar = a.Outcome.EpsStar,
                LInf = a.Perturbation.LInf,
                L2 = a.Perturbation.L2,
                AdversarialTop1 = a.Adversarial.Top5.Count > 0 ? new ClassRef { Index = a.Adversarial.Top5[0].Index, Label = a.Adversarial.Top5[0].Label } : null,
                Written = ReferenceEquals(a, written),
                AttackMs = a.AttackMs,
                Message = a.Outcome.Message,
            }).ToList(),
        };
        return new ImageResult(report, job.CleanPng ?? [], written.AdversarialPng, written.PerturbationPng);
    }

    private AttackInfo AttackInfo(AttackBatch batch, ImageJob job, AttackOptions options) => new()
    {
        Name = options.AttackName,
        Norm = options.Norm == NormKind.LInf ? "linf" : "l2",
        Eps = options.Epsilon,
        EpsUsed = Reporting.AttackInfo.BudgetUsed(options.Norm == NormKind.LInf ? "linf" : "l2", options.Epsilon),
        Loss = options.TraceLoss(batch.Request.Target is not null),
        Targeted = batch.Request.Target is not null,
        TargetClass = job.Target,
        Seed = unchecked((long)options.Seed),
        MaxQueries = options.MaxQueries,
        Options = batch.Request.Describe(options),
        Surrogates = options.UsesSurrogates ? _surrogates : null,
    };
}
