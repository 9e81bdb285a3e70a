using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
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
/// Runs the whole job for a batch of prepared images: clean classification, the request's plan of attacks (each
/// batched and step-wise), shrinking the perturbation after each success, verification through an 8-bit PNG that is
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
        var attacked = new List<int>();
        var cleans = new List<float[]>();
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
                CleanPng = images[i].CleanPng,
            };
            if (target == top)
            {
                job = job with { EarlyOutcome = OutcomeStatus.AlreadyMisclassified, EarlyMessage = $"The clean image is already classified as the target \"{_classifier.Labels[top]}\"; nothing to attack." };
            }
            else
            {
                attacked.Add(i);
                cleans.Add(images[i].Clean);
            }

            jobs.Add(job);
        }

        var batch = new AttackBatch(request, jobs, state: null);
        StartStage(batch, 0, attacked, cleans);
        return batch;
    }

    /// <summary>
    /// Runs one slice of the running attack. When that attack is over, its results are shrunk, verified and recorded
    /// as an attempt of each of its images, and the plan's next attack starts (on the images it is meant for).
    /// </summary>
    /// <param name="batch">The batch from <see cref="Begin"/>.</param>
    /// <param name="budget">The most work to do now (the slice of the running attack; closing an attack and starting the next come on top).</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    /// <returns><see langword="true"/> when every attack of the plan is over for every image.</returns>
    public bool Advance(AttackBatch batch, StepBudget budget, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.State is not AttackState state)
        {
            return true;
        }

        if (!state.IsFinished)
        {
            long started = _time.GetTimestamp();
            state.Options.CreateAttack(_time).Step(state, AttackClassifier(state.Options), budget, cancellationToken);
            batch.AttackMs += _time.GetElapsedTime(started).TotalMilliseconds;
        }

        if (state.IsFinished)
        {
            CompleteStage(batch, startNext: true, cancellationToken);
        }

        return batch.IsAttackFinished;
    }

    /// <summary>
    /// Closes the running attack if it was cut short (its unfinished images are reported as stopped), and builds one
    /// result per image from its attempts: the first verified success in plan order is the image written, else the
    /// last attempt's best image.
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Stops extra attack iterations after a failed verification.</param>
    /// <returns>One result per job, in input order.</returns>
    public IReadOnlyList<ImageResult> Finish(AttackBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.State is not null)
        {
            CompleteStage(batch, startNext: false, cancellationToken);
        }

        return batch.Jobs.Select(job => job.Attempts.Count == 0 ? BuildEarlyResult(batch, job) : BuildResult(batch, job)).ToList();
    }

    /// <summary>Starts attack <paramref name="stage"/> of the plan on the given jobs (or the next attack that has images, or none).</summary>
    private void StartStage(AttackBatch batch, int stage, List<int> jobIndices, List<float[]> cleans)
    {
        for (int j = 0; j < batch.Jobs.Count; j++)
        {
            batch.SetJob(j, batch.Jobs[j] with { StateIndex = -1 });
        }

        batch.State = null;
        batch.AttackMs = 0;
        if (jobIndices.Count == 0 || stage >= batch.Request.Attacks.Count)
        {
            batch.Stage = Math.Min(stage, batch.Request.Attacks.Count - 1);
            return;
        }

        AttackOptions options = batch.Request.Attacks[stage];
        long started = _time.GetTimestamp();
        var goals = jobIndices.Select(j => batch.Jobs[j].Goal()).ToList();
        IAttack attack = options.CreateAttack(_time);
        batch.State = attack is IStartingPointAttack fromStart && goals.Any(g => g.IsTargeted)
            ? fromStart.Start(AttackClassifier(options), cleans, goals, TargetExamples(batch, jobIndices, cleans, goals))
            : attack.Start(AttackClassifier(options), cleans, goals);
        batch.Stage = stage;
        batch.AttackMs = _time.GetElapsedTime(started).TotalMilliseconds;
        for (int k = 0; k < jobIndices.Count; k++)
        {
            batch.SetJob(jobIndices[k], batch.Jobs[jobIndices[k]] with { StateIndex = k });
        }

        EngineLog.AttackStarted(_logger, options.AttackName, jobIndices.Count, options.Norm, options.Epsilon, options.MaxQueries);
    }

    /// <summary>
    /// For each targeted image, another image of the batch that the model labels (clean) as its target, if there is one
    /// (also one left out of the attack because it already is the target): a decision-based attack starts from it.
    /// </summary>
    private float[]?[] TargetExamples(AttackBatch batch, List<int> jobIndices, List<float[]> cleans, List<AttackGoal> goals)
    {
        var starts = new float[]?[goals.Count];
        for (int k = 0; k < goals.Count; k++)
        {
            if (goals[k].TargetClass is not int target)
            {
                continue;
            }

            int inStage = jobIndices.FindIndex(j => batch.Jobs[j].Clean.TrueClass.Index == target);
            if (inStage >= 0)
            {
                starts[k] = cleans[inStage];
            }
            else if (batch.Jobs.FirstOrDefault(j => j.Clean.TrueClass.Index == target && j.CleanPng is { Length: > 0 }) is { } example)
            {
                // The clean crop is lossless PNG of values on the 8-bit grid, so this is the tensor the model saw.
                using Image<Rgb24> decoded = PngCodec.Decode(example.CleanPng!);
                var tensor = new float[3 * _classifier.InputHeight * _classifier.InputWidth];
                if (decoded.Width == _classifier.InputWidth && decoded.Height == _classifier.InputHeight)
                {
                    TensorImage.WriteChw(decoded, tensor);
                    starts[k] = tensor;
                }
            }
        }

        return starts;
    }

    /// <summary>
    /// Shrinks the running attack's successful perturbations, verifies every image through an 8-bit PNG round trip
    /// (going on with the attack when the PNG does not fool the model and queries are left), records an attempt per
    /// image, and starts the next attack of the plan when asked.
    /// </summary>
    private void CompleteStage(AttackBatch batch, bool startNext, CancellationToken cancellationToken)
    {
        AttackState state = batch.State!;
        AttackOptions options = state.Options;
        int count = state.Images.Count;
        var minimizeQueries = new int[count];
        var verifyQueries = new int[count];
        var verified = new float[]?[count];
        var epsStar = new double?[count];
        double minimizeMs = 0, verifyMs = 0;
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

            KeepVerificationLogits(logits, toVerify, verified);
            if (undone.Count == 0 || round >= batch.Request.VerificationRetries)
            {
                foreach (int i in undone)
                {
                    state.Images[i].Status = ImageAttackStatus.Exhausted;
                }

                break;
            }

            EngineLog.VerificationUndone(_logger, undone.Count);
            foreach (int i in undone)
            {
                AttackImageState image = state.Images[i];
                image.Status = image.Queries < options.MaxQueries ? ImageAttackStatus.Running : ImageAttackStatus.Exhausted;
                verified[i] = null;
            }

            long started = _time.GetTimestamp();
            options.CreateAttack(_time).Step(state, AttackClassifier(options), StepBudget.Unlimited, cancellationToken);
            batch.AttackMs += _time.GetElapsedTime(started).TotalMilliseconds;
        }

        var next = new List<int>();
        var nextCleans = new List<float[]>();
        for (int j = 0; j < batch.Jobs.Count; j++)
        {
            ImageJob job = batch.Jobs[j];
            if (job.StateIndex < 0)
            {
                continue;
            }

            int i = job.StateIndex;
            AttackImageState image = state.Images[i];
            double? star = null;
            if (image.Status == ImageAttackStatus.Succeeded && batch.Request.Minimize)
            {
                ImagingMetrics m = ImagingMetrics.Compute(image.Clean, image.Best, state.Height, state.Width);
                star = options.Norm == NormKind.LInf ? m.LInf : m.L2;
            }

            AttackAttempt attempt = BuildAttempt(batch, job, state, image, verified[i]!, minimizeQueries[i], verifyQueries[i], star, minimizeMs / count, verifyMs / count);
            batch.SetJob(j, job with { Attempts = [.. job.Attempts, attempt] });
            if (!attempt.Outcome.Success || batch.Request.PlanMode == PlanMode.All)
            {
                next.Add(j);
                nextCleans.Add(image.Clean);
            }
        }

        StartStage(batch, startNext ? batch.Stage + 1 : batch.Request.Attacks.Count, next, nextCleans);
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
            Attack = AttackInfo(batch, job, batch.Request.Attack),
            Outcome = new AttackOutcome { Status = job.EarlyOutcome ?? OutcomeStatus.Failed, Success = false, Queries = 0, Message = job.EarlyMessage },
            Timings = new TimingInfo { PrepareMs = job.PrepareMs, AttackMs = 0, VerifyMs = 0, TotalMs = job.PrepareMs },
            Images = new ImageFiles { Adversarial = null, Perturbation = null },
        };
        return new ImageResult(report, job.CleanPng ?? [], null, null);
    }

    private AttackAttempt BuildAttempt(AttackBatch batch, ImageJob job, AttackState state, AttackImageState image, float[] verifiedLogits, int minimizeQueries, int verifyQueries, double? epsStar, double minimizeMs, double verifyMs)
    {
        AttackOptions options = state.Options;
        bool success = image.Status == ImageAttackStatus.Succeeded;
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
            ImageAttackStatus.Exhausted when image.StopReason is not null => image.StopReason,
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
                VerificationQueries = verifyQueries,
                MinimizeQueries = minimizeQueries,
                EpsStar = epsStar,
                Message = message,
            },
            Adversarial = new AdversarialResult { Top5 = TopK(verifiedLogits, 5), Verified = success, VerificationNote = note },
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
            AttackMs = batch.AttackMs,
            MinimizeMs = minimizeMs,
            VerifyMs = verifyMs,
            AdversarialPng = adversarialPng,
            PerturbationPng = perturbationPng,
        };
    }

    /// <summary>The report of an attacked image: the first verified success in plan order (else the last attempt) is written; every attempt is listed.</summary>
    private ImageResult BuildResult(AttackBatch batch, ImageJob job)
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

    private static AttackInfo AttackInfo(AttackBatch batch, ImageJob job, AttackOptions options) => new()
    {
        Name = options.AttackName,
        Norm = options.Norm == NormKind.LInf ? "linf" : "l2",
        Eps = options.Epsilon,
        Targeted = batch.Request.Target is not null,
        TargetClass = job.Target,
        Seed = unchecked((long)options.Seed),
        MaxQueries = options.MaxQueries,
        Options = batch.Request.Describe(options),
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
