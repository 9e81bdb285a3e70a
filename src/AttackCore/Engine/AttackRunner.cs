using System.Buffers.Binary;
using System.Diagnostics;
using System.Reflection;
using AttackCore.Attacks;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using ImagingMetrics = AttackCore.Imaging.PerturbationMetrics;
using ReportMetrics = AttackCore.Reporting.PerturbationMetrics;

namespace AttackCore.Engine;

/// <summary>
/// Runs the whole job for a batch of prepared images: clean classification, Square Attack (batched,
/// step-wise), shrinking the perturbation after success, verification through an 8-bit PNG that is
/// written, read back, preprocessed and classified again, and the report.
/// </summary>
/// <remarks>
/// The three stages are separate calls (<see cref="Begin"/>, <see cref="Advance"/>, <see cref="Finish"/>)
/// so that a host can run the attack in bounded slices and save the batch in between; <see cref="Run"/>
/// does all three for a caller that holds the images in memory.
/// </remarks>
public sealed class AttackRunner
{
    private const int TracePointsInReport = 200;
    private readonly IClassifier _classifier;
    private readonly ModelInfo _model;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>Initializes a new instance of the <see cref="AttackRunner"/> class.</summary>
    /// <param name="classifier">The model under attack, shared by all callers.</param>
    /// <param name="model">What reports say about the model.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="timeProvider">The clock for timings and time-bounded slices.</param>
    public AttackRunner(IClassifier classifier, ModelInfo model, ILogger<AttackRunner>? logger = null, TimeProvider? timeProvider = null)
    {
        _classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the name and version written into reports.</summary>
    public static ToolInfo Tool { get; } = new()
    {
        Name = "advaudit",
        Version = typeof(AttackRunner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0",
    };

    /// <summary>Runs every stage for <paramref name="images"/> and returns one result per image, in order.</summary>
    /// <param name="images">The prepared images.</param>
    /// <param name="request">What to do.</param>
    /// <param name="progress">Receives progress after every slice.</param>
    /// <param name="cancellationToken">Stops the attack between iterations; the results then report what was reached.</param>
    /// <returns>The results.</returns>
    public IReadOnlyList<ImageResult> Run(IReadOnlyList<PreparedImage> images, AttackRequest request, IProgress<AttackProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        AttackBatch batch = Begin(images, request);
        progress?.Report(batch.Progress());
        while (!batch.IsAttackFinished && !cancellationToken.IsCancellationRequested)
        {
            Advance(batch, new StepBudget(MaxIterations: 25, MaxDuration: TimeSpan.FromSeconds(1)), cancellationToken);
            progress?.Report(batch.Progress());
        }

        return Finish(batch, cancellationToken);
    }

    /// <summary>Classifies the clean images (one batched call, not counted as attack queries), picks goals and starts the attack.</summary>
    /// <param name="images">The prepared images; each must match the classifier's input size.</param>
    /// <param name="request">What to do.</param>
    /// <returns>The batch, ready for <see cref="Advance"/>.</returns>
    /// <exception cref="ArgumentException">The request is invalid, or a target names no class.</exception>
    public AttackBatch Begin(IReadOnlyList<PreparedImage> images, AttackRequest request)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        long started = _time.GetTimestamp();
        int classes = _classifier.NumClasses, length = 3 * _classifier.InputHeight * _classifier.InputWidth;
        foreach (PreparedImage image in images)
        {
            if (image.Clean.Length != length)
            {
                throw new ArgumentException($"{image.Input.Name} was prepared at {image.Size}x{image.Size}; the model takes {_classifier.InputHeight}x{_classifier.InputWidth}.", nameof(images));
            }
        }

        float[] logits = Classify(images.Select(i => i.Clean).ToList());
        double prepareMs = _time.GetElapsedTime(started).TotalMilliseconds / Math.Max(1, images.Count);

        var jobs = new List<ImageJob>(images.Count);
        var toAttack = new List<float[]>();
        var goals = new List<AttackGoal>();
        for (int i = 0; i < images.Count; i++)
        {
            ReadOnlySpan<float> row = logits.AsSpan(i * classes, classes);
            int top = TopOneCriterion.ArgMax(row);
            var clean = new CleanResult
            {
                Top5 = TopK(row, 5),
                TrueClass = Ref(top),
                TrueClassSource = CleanResult.SourceCleanTop1,
            };
            int? target = null;
            if (request.Target is not null)
            {
                ulong key = BinaryPrimitives.ReadUInt64BigEndian(Convert.FromHexString(images[i].Input.Sha256.AsSpan(0, 16)));
                target = TargetResolver.Resolve(request.Target, _classifier.Labels, _model.BackgroundOffset, row, top, request.Attack.Seed, key);
            }

            var job = new ImageJob
            {
                Input = images[i].Input,
                Clean = clean,
                Target = target is int t ? Ref(t) : null,
                PrepareMs = prepareMs,
            };
            if (target == top)
            {
                job = job with { EarlyOutcome = OutcomeStatus.AlreadyMisclassified, EarlyMessage = $"The clean image is already classified as the target \"{_classifier.Labels[top]}\"; nothing to attack.", CleanPng = images[i].CleanPng };
            }
            else
            {
                job = job with { StateIndex = toAttack.Count };
                toAttack.Add(images[i].Clean);
                goals.Add(new AttackGoal(top, target));
            }

            jobs.Add(job);
        }

        long attackStart = _time.GetTimestamp();
        AttackState? state = toAttack.Count == 0 ? null : request.Attack.CreateAttack(_time).Start(AttackClassifier(request.Attack), toAttack, goals);
        var batch = new AttackBatch(request, jobs, state) { AttackMs = _time.GetElapsedTime(attackStart).TotalMilliseconds };
        EngineLog.AttackStarted(_logger, request.Attack.AttackName, toAttack.Count, request.Attack.Norm, request.Attack.Epsilon, request.Attack.MaxQueries);
        return batch;
    }

    /// <summary>Runs one slice of the attack.</summary>
    /// <param name="batch">The batch from <see cref="Begin"/>.</param>
    /// <param name="budget">The most work to do now.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    /// <returns><see langword="true"/> when the attack stage is over for every image.</returns>
    public bool Advance(AttackBatch batch, StepBudget budget, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.State is null || batch.State.IsFinished)
        {
            return true;
        }

        long started = _time.GetTimestamp();
        batch.State.Options.CreateAttack(_time).Step(batch.State, AttackClassifier(batch.State.Options), budget, cancellationToken);
        batch.AttackMs += _time.GetElapsedTime(started).TotalMilliseconds;
        return batch.State.IsFinished;
    }

    /// <summary>
    /// Shrinks successful perturbations, verifies every adversarial image through an 8-bit PNG round trip
    /// (going on with the attack when the PNG does not fool the model and queries are left), and builds
    /// the results.
    /// </summary>
    /// <param name="batch">A batch whose attack stage is over (or that is cut short: running images are reported as not fooled).</param>
    /// <param name="cancellationToken">Stops extra attack iterations after a failed verification.</param>
    /// <returns>One result per job, in input order.</returns>
    public IReadOnlyList<ImageResult> Finish(AttackBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        AttackState? state = batch.State;
        int count = state?.Images.Count ?? 0;
        var minimizeQueries = new int[count];
        var verifyQueries = new int[count];
        var verified = new float[]?[count];
        var epsStar = new double?[count];
        double minimizeMs = 0, verifyMs = 0;
        if (state is not null)
        {
            for (int round = 0; ; round++)
            {
                var succeeded = Enumerable.Range(0, count).Where(i => state.Images[i].Status == ImageAttackStatus.Succeeded && verified[i] is null).ToList();
                long t0 = _time.GetTimestamp();
                if (batch.Request.Minimize)
                {
                    Minimize(state, succeeded, batch.Request.MinimizeSteps, minimizeQueries);
                }

                long t1 = _time.GetTimestamp();
                minimizeMs += _time.GetElapsedTime(t0, t1).TotalMilliseconds;
                var toVerify = Enumerable.Range(0, count).Where(i => verified[i] is null).ToList();
                float[] logits = VerifyThroughPng(state, toVerify);
                verifyMs += _time.GetElapsedTime(t1).TotalMilliseconds;
                var undone = new List<int>();
                for (int k = 0; k < toVerify.Count; k++)
                {
                    int i = toVerify[k];
                    verifyQueries[i]++;
                    AttackImageState image = state.Images[i];
                    bool fools = TopOneCriterion.Instance.IsAdversarial(logits.AsSpan(k * _classifier.NumClasses, _classifier.NumClasses), image.Goal);
                    if (image.Status == ImageAttackStatus.Succeeded && !fools)
                    {
                        undone.Add(i);
                    }
                }

                if (undone.Count == 0 || round >= batch.Request.VerificationRetries)
                {
                    foreach (int i in undone)
                    {
                        state.Images[i].Status = ImageAttackStatus.Exhausted;
                    }

                    KeepVerificationLogits(logits, toVerify, verified);
                    break;
                }

                EngineLog.VerificationUndone(_logger, undone.Count);
                foreach (int i in undone)
                {
                    AttackImageState image = state.Images[i];
                    image.Status = image.Queries < state.Options.MaxQueries ? ImageAttackStatus.Running : ImageAttackStatus.Exhausted;
                }

                KeepVerificationLogits(logits, toVerify, verified);
                foreach (int i in undone)
                {
                    verified[i] = null;
                }

                Advance(batch, StepBudget.Unlimited, cancellationToken);
            }

            for (int i = 0; i < count; i++)
            {
                AttackImageState image = state.Images[i];
                if (image.Status == ImageAttackStatus.Succeeded && batch.Request.Minimize)
                {
                    ImagingMetrics m = ImagingMetrics.Compute(image.Clean, image.Best, state.Height, state.Width);
                    epsStar[i] = state.Options.Norm == NormKind.LInf ? m.LInf : m.L2;
                }
            }
        }

        var results = new List<ImageResult>(batch.Jobs.Count);
        foreach (ImageJob job in batch.Jobs)
        {
            results.Add(job.StateIndex < 0
                ? BuildEarlyResult(batch, job)
                : BuildResult(batch, job, state!.Images[job.StateIndex], verified[job.StateIndex]!, minimizeQueries[job.StateIndex], verifyQueries[job.StateIndex], epsStar[job.StateIndex], minimizeMs / Math.Max(1, count), verifyMs / Math.Max(1, count)));
        }

        return results;
    }

    /// <summary>Keeps each image's verification logits (also of images that did not fool the model) for its report.</summary>
    private static void KeepVerificationLogits(float[] logits, List<int> toVerify, float[]?[] verified)
    {
        int classes = logits.Length / Math.Max(1, toVerify.Count);
        for (int k = 0; k < toVerify.Count; k++)
        {
            verified[toVerify[k]] = logits.AsSpan(k * classes, classes).ToArray();
        }
    }

    /// <summary>
    /// Binary search on the scale of each successful perturbation: the smallest t in (0, 1] for which the
    /// 8-bit projection of clean + t delta still fools the model. One batched query per step.
    /// </summary>
    private void Minimize(AttackState state, List<int> succeeded, int steps, int[] queries)
    {
        if (succeeded.Count == 0)
        {
            return;
        }

        int length = state.ImageLength, classes = _classifier.NumClasses;
        var low = new double[succeeded.Count];
        var high = Enumerable.Repeat(1.0, succeeded.Count).ToArray();
        var candidates = new float[succeeded.Count * length];
        var logits = new float[succeeded.Count * classes];
        var deltas = succeeded.Select(i =>
        {
            AttackImageState image = state.Images[i];
            var d = new float[length];
            for (int v = 0; v < length; v++)
            {
                d[v] = image.Best[v] - image.Clean[v];
            }

            return d;
        }).ToList();

        for (int step = 0; step < steps; step++)
        {
            for (int k = 0; k < succeeded.Count; k++)
            {
                AttackImageState image = state.Images[succeeded[k]];
                double mid = (low[k] + high[k]) / 2;
                Span<float> candidate = candidates.AsSpan(k * length, length);
                for (int v = 0; v < length; v++)
                {
                    candidate[v] = Math.Clamp(image.Clean[v] + (float)(deltas[k][v] * mid), 0f, 1f);
                }

                PixelGrid.Project(image.Clean, candidate, state.Options.Norm, state.Options.Epsilon);
            }

            _classifier.Predict(candidates, succeeded.Count, logits);
            for (int k = 0; k < succeeded.Count; k++)
            {
                AttackImageState image = state.Images[succeeded[k]];
                queries[succeeded[k]]++;
                double mid = (low[k] + high[k]) / 2;
                ReadOnlySpan<float> row = logits.AsSpan(k * classes, classes);
                if (TopOneCriterion.Instance.IsAdversarial(row, image.Goal))
                {
                    high[k] = mid;
                    candidates.AsSpan(k * length, length).CopyTo(image.Best);
                    LossValue value = SquareAttackLoss.Instance.Evaluate(row, image.Goal);
                    image.BestLoss = value.Loss;
                    image.BestMargin = value.Margin;
                }
                else
                {
                    low[k] = mid;
                }
            }
        }
    }

    /// <summary>Writes each best image as an 8-bit PNG, reads it back, preprocesses it as any input and classifies the lot in one call.</summary>
    private float[] VerifyThroughPng(AttackState state, List<int> indices)
    {
        int length = state.ImageLength;
        var reread = new List<float[]>(indices.Count);
        foreach (int i in indices)
        {
            byte[] png = EncodePng(state.Images[i].Best, state.Height, state.Width);
            using Image<Rgb24> decoded = PngCodec.Decode(png);
            using Image<Rgb24> crop = ImagePreprocessor.ResizeAndCenterCrop(decoded, state.Height, state.Height);
            var tensor = new float[length];
            TensorImage.WriteChw(crop, tensor);
            reread.Add(tensor);
        }

        return Classify(reread);
    }

    private ImageResult BuildEarlyResult(AttackBatch batch, ImageJob job)
    {
        var report = new AttackReport
        {
            Tool = Tool,
            CreatedUtc = _time.GetUtcNow(),
            Model = _model,
            Input = job.Input,
            Clean = job.Clean,
            Attack = AttackInfo(batch, job),
            Outcome = new AttackOutcome { Status = job.EarlyOutcome ?? OutcomeStatus.Failed, Success = false, Queries = 0, Message = job.EarlyMessage },
            Timings = new TimingInfo { PrepareMs = job.PrepareMs, AttackMs = 0, VerifyMs = 0, TotalMs = job.PrepareMs },
            Images = new ImageFiles { Adversarial = null, Perturbation = null },
        };
        return new ImageResult(report, job.CleanPng ?? [], null, null);
    }

    private ImageResult BuildResult(AttackBatch batch, ImageJob job, AttackImageState image, float[] verifiedLogits, int minimizeQueries, int verifyQueries, double? epsStar, double minimizeMs, double verifyMs)
    {
        AttackState state = batch.State!;
        bool success = image.Status == ImageAttackStatus.Succeeded;
        byte[] cleanPng = EncodePng(image.Clean, state.Height, state.Width);
        byte[] adversarialPng = EncodePng(image.Best, state.Height, state.Width);
        ImagingMetrics metrics = ImagingMetrics.Compute(image.Clean, image.Best, state.Height, state.Width);
        using PerturbationRendering rendering = PerturbationImage.Render(image.Clean, image.Best, state.Height, state.Width);
        byte[] perturbationPng = PngCodec.Encode(rendering.Image);
        int verifiedTop = TopOneCriterion.ArgMax(verifiedLogits);
        string note = success
            ? $"The adversarial image was written as an 8-bit PNG, read back, preprocessed and classified again: \"{_classifier.Labels[verifiedTop]}\"."
            : $"Best attempt, written as an 8-bit PNG and classified again: \"{_classifier.Labels[verifiedTop]}\"; the goal was not reached.";
        string? message = image.Status switch
        {
            ImageAttackStatus.Exhausted when image.Queries >= state.Options.MaxQueries => $"Not fooled within {state.Options.MaxQueries} queries at eps {state.Options.Epsilon}.",
            ImageAttackStatus.Exhausted => "The adversarial image stopped fooling the model once written as PNG, and the retries did not recover it.",
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
        double attackMs = batch.AttackMs;
        var report = new AttackReport
        {
            Tool = Tool,
            CreatedUtc = _time.GetUtcNow(),
            Model = _model,
            Input = job.Input,
            Clean = job.Clean,
            Adversarial = new AdversarialResult { Top5 = TopK(verifiedLogits, 5), Verified = success, VerificationNote = note },
            Attack = AttackInfo(batch, job),
            Outcome = new AttackOutcome
            {
                Status = success ? OutcomeStatus.Fooled : OutcomeStatus.NotFooled,
                Success = success,
                Queries = image.Queries,
                VerificationQueries = verifyQueries,
                MinimizeQueries = minimizeQueries,
                EpsStar = epsStar,
                Message = message,
            },
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
            Timings = new TimingInfo
            {
                PrepareMs = job.PrepareMs,
                AttackMs = attackMs,
                MinimizeMs = minimizeMs,
                VerifyMs = verifyMs,
                TotalMs = job.PrepareMs + attackMs + minimizeMs + verifyMs,
            },
            Trace = TraceDownsampler.Downsample(trace, TracePointsInReport),
        };
        return new ImageResult(report, cleanPng, adversarialPng, perturbationPng);
    }

    private static AttackInfo AttackInfo(AttackBatch batch, ImageJob job) => new()
    {
        Name = batch.Request.Attack.AttackName,
        Norm = batch.Request.Attack.Norm == NormKind.LInf ? "linf" : "l2",
        Eps = batch.Request.Attack.Epsilon,
        Targeted = batch.Request.Target is not null,
        TargetClass = job.Target,
        Seed = unchecked((long)batch.Request.Attack.Seed),
        MaxQueries = batch.Request.Attack.MaxQueries,
        Options = batch.Request.Describe(),
    };

    /// <summary>The model as the attack may see it: whole, or its top-1 label only for a decision-based attack.</summary>
    private IClassifier AttackClassifier(AttackOptions attack) => attack.UsesScores ? _classifier : new LabelOnlyClassifier(_classifier);

    private static byte[] EncodePng(float[] chw, int height, int width)
    {
        using Image<Rgb24> image = TensorImage.FromChw(chw, height, width);
        return PngCodec.Encode(image);
    }

    private float[] Classify(List<float[]> images)
    {
        int length = 3 * _classifier.InputHeight * _classifier.InputWidth;
        var input = new float[images.Count * length];
        for (int i = 0; i < images.Count; i++)
        {
            images[i].CopyTo(input, i * length);
        }

        var logits = new float[images.Count * _classifier.NumClasses];
        if (images.Count > 0)
        {
            _classifier.Predict(input, images.Count, logits);
        }

        return logits;
    }

    private ClassRef Ref(int index) => new() { Index = index, Label = _classifier.Labels[index] };

    private List<ClassScore> TopK(ReadOnlySpan<float> logits, int k)
    {
        double logSum = SquareAttackLoss.LogSumExp(logits);
        var order = new int[logits.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        float[] copy = logits.ToArray();
        Array.Sort(order, (a, b) => copy[b].CompareTo(copy[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order.Take(k).Select(i => new ClassScore
        {
            Index = i,
            Label = _classifier.Labels[i],
            Probability = Math.Exp(copy[i] - logSum),
            Logit = copy[i],
        }).ToList();
    }
}
