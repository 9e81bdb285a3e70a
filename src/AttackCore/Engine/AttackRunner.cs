using System.Buffers.Binary;
using AttackCore.Attacks;
using AttackCore.Gradients;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using ImagingMetrics = AttackCore.Imaging.PerturbationMetrics;

namespace AttackCore.Engine;

/// <summary>
/// Runs the whole job for a batch of prepared images: clean classification, the request's plan of attacks (each
/// batched and step-wise), shrinking the perturbation after each success (<see cref="PerturbationMinimizer"/>),
/// verification through an 8-bit PNG that is written, read back, preprocessed and classified again
/// (<see cref="PngVerification"/>), and the report (<see cref="AttemptBuilder"/>).
/// </summary>
/// <remarks>
/// The three stages are separate calls (<see cref="Begin"/>, <see cref="Advance"/>, <see cref="Finish"/>)
/// so that a host can run the attack in bounded slices and save the batch in between; <see cref="Run"/>
/// does all three for a caller that holds the images in memory. The runner never writes its own idea of an image's
/// best or loss into an attack's state: minimized images and verification results are the runner's records.
/// </remarks>
public sealed class AttackRunner
{
    private readonly IClassifier _classifier;
    private readonly IClassifier? _whiteBox;
    private readonly IClassifier? _surrogateGuided;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly PerturbationMinimizer _minimizer;
    private readonly AttemptBuilder _reports;

    /// <summary>Initializes a new instance of the <see cref="AttackRunner"/> class.</summary>
    /// <param name="classifier">The model under attack, shared by all callers.</param>
    /// <param name="model">What reports say about the model.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="timeProvider">The clock for timings and time-bounded slices.</param>
    /// <param name="gradients">
    /// The same model with its gradients, for white-box attacks; defaults to <paramref name="classifier"/> when it gives
    /// gradients itself. Verification always uses <paramref name="classifier"/>.
    /// </param>
    /// <param name="surrogates">
    /// The surrogate models' gradients for surrogate-based attacks (<see cref="AttackOptions.UsesSurrogates"/>), each on
    /// the classifier's input size; none by default.
    /// </param>
    public AttackRunner(IClassifier classifier, ModelInfo model, ILogger<AttackRunner>? logger = null, TimeProvider? timeProvider = null, IGradientModel? gradients = null, IReadOnlyList<IGradientModel>? surrogates = null)
    {
        _classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        _whiteBox = gradients is not null ? new WhiteBoxModel(classifier, gradients) : classifier is IGradientModel ? classifier : null;
        if (surrogates is { Count: > 0 })
        {
            if (surrogates.FirstOrDefault(s => s.InputHeight != classifier.InputHeight || s.InputWidth != classifier.InputWidth || s.Channels != classifier.Channels) is { } wrongSize)
            {
                throw new ArgumentException(
                    $"A surrogate takes {wrongSize.Channels}x{wrongSize.InputHeight}x{wrongSize.InputWidth} images and the target {classifier.Channels}x{classifier.InputHeight}x{classifier.InputWidth}; load the surrogate on the target's input size (its gradient graph resizes).",
                    nameof(surrogates));
            }

            if (surrogates.FirstOrDefault(s => s.NumClasses != classifier.NumClasses) is { } wrongClasses)
            {
                throw new ArgumentException(
                    $"A surrogate has {wrongClasses.NumClasses} classes and the target {classifier.NumClasses}; surrogates must share the target's classes and label order.",
                    nameof(surrogates));
            }

            _surrogateGuided = new SurrogateGuidedModel(classifier, surrogates);
        }

        ArgumentNullException.ThrowIfNull(model);
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _minimizer = new PerturbationMinimizer(classifier);
        _reports = new AttemptBuilder(classifier.Labels, model, _time, surrogates is { Count: > 0 } ? [.. surrogates.Select(ModelDescription.Surrogate)] : null);
        BackgroundOffset = model.BackgroundOffset;
        LabelOnly = model.LabelOnly;
    }

    /// <summary>Gets the name and version written into reports.</summary>
    public static ToolInfo Tool => AttemptBuilder.Tool;

    private int BackgroundOffset { get; }

    /// <summary>Gets a value indicating whether the model answers with labels only, so that only decision-based attacks may run.</summary>
    private bool LabelOnly { get; }

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
        if (_whiteBox is null && request.Attacks.FirstOrDefault(a => a.UsesGradients) is { } whiteBox)
        {
            throw new ArgumentException($"{whiteBox.AttackName} is a white-box attack: it needs the model's gradients, and this model was loaded for scores only. Load an ONNX model with gradients, or use a score-based attack such as square.", nameof(request));
        }

        if (_surrogateGuided is null && request.Attacks.FirstOrDefault(a => a.UsesSurrogates) is { } surrogateBased)
        {
            throw new ArgumentException($"{surrogateBased.AttackName} crafts on surrogate models, and none was given. Name one or more with --surrogate (a preset, an .onnx file or a .json spec), or use an attack that needs no surrogate such as square.", nameof(request));
        }

        if (LabelOnly && request.Attacks.FirstOrDefault(a => a.UsesScores || a.UsesGradients) is { } scoreBased)
        {
            throw new ArgumentException($"{scoreBased.AttackName} needs the model's scores, and this model answers with its top-1 label only. Use a decision-based attack such as {AttackCore.Attacks.HopSkipJump.HopSkipJumpOptions.Name}.", nameof(request));
        }

        long started = _time.GetTimestamp();
        int classes = _classifier.NumClasses, length = _classifier.Channels * _classifier.InputHeight * _classifier.InputWidth;
        foreach (PreparedImage image in images)
        {
            if (image.Clean.Length != length)
            {
                throw new ArgumentException(
                    $"{image.Input.Name} was prepared at {image.Channels}x{image.Size}x{image.Size} (channels x height x width); the model takes {_classifier.Channels}x{_classifier.InputHeight}x{_classifier.InputWidth}. Prepare it with the classifier's spec (PreparedImage.Load with classifier.Spec).",
                    nameof(images));
            }
        }

        float[] logits = PngVerification.Classify(_classifier, images.Select(i => i.Clean).ToList());
        double prepareMs = _time.GetElapsedTime(started).TotalMilliseconds / Math.Max(1, images.Count);

        var jobs = new List<ImageJob>(images.Count);
        var attacked = new List<int>();
        var cleans = new List<float[]>();
        for (int i = 0; i < images.Count; i++)
        {
            ReadOnlySpan<float> row = logits.AsSpan(i * classes, classes);
            int top = LogitMath.ArgMax(row);
            var clean = new CleanResult
            {
                Top5 = _reports.Top(row, 5),
                TrueClass = _reports.Ref(top),
                TrueClassSource = CleanResult.SourceCleanTop1,
            };
            int? target = null;
            if (request.Target is not null)
            {
                ulong key = BinaryPrimitives.ReadUInt64BigEndian(Convert.FromHexString(images[i].Input.Sha256.AsSpan(0, 16)));
                target = TargetResolver.Resolve(request.Target, _classifier.Labels, BackgroundOffset, row, top, request.Attack.Seed, key);
            }

            var job = new ImageJob
            {
                Input = images[i].Input,
                Clean = clean,
                Target = target is int t ? _reports.Ref(t) : null,
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
            long[] before = ModelCalls(state);
            state.Options.CreateAttack(_time).Step(state, AttackClassifier(state.Options), budget, cancellationToken);
            ChargeTime(batch, state, before, _time.GetElapsedTime(started).TotalMilliseconds);
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

        return batch.Jobs.Select(job => job.Attempts.Count == 0 ? _reports.EarlyResult(batch, job) : _reports.Result(batch, job)).ToList();
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
        batch.ImageAttackMs = [];
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
        batch.ImageAttackMs = new double[jobIndices.Count];
        ChargeTime(batch, batch.State!, new long[jobIndices.Count], _time.GetElapsedTime(started).TotalMilliseconds);
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
                var tensor = new float[_classifier.Channels * _classifier.InputHeight * _classifier.InputWidth];
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
    /// (sending the attack on from its own state when the PNG does not fool the model and queries are left), records an
    /// attempt per image, and starts the next attack of the plan when asked.
    /// </summary>
    /// <summary>
    /// Closes the images the running attack is done with (fooled, or out of budget) before it is over for the whole
    /// batch: each is shrunk, verified through the 8-bit PNG and recorded as that attack's attempt now, exactly as the
    /// attack's end would, so that a host can write an image's results as soon as the image is finished.
    /// </summary>
    /// <param name="batch">The batch.</param>
    /// <returns>
    /// The jobs finished for good by this call (no later attack of the plan takes them); <see cref="ResultOf"/> gives
    /// their results. An image whose success does not survive the 8-bit check is left to the attack's end, which retries
    /// it as before.
    /// </returns>
    public IReadOnlyList<int> CloseFinishedImages(AttackBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.State is not AttackState state || state.IsFinished)
        {
            return [];   // the attack's end (Advance) closes everything
        }

        var ready = Enumerable.Range(0, batch.Jobs.Count)
            .Where(j => batch.Jobs[j] is { StateIndex: >= 0 } job && job.ClosedStage != batch.Stage && state.Images[job.StateIndex].Status != ImageAttackStatus.Running)
            .ToList();
        if (ready.Count == 0)
        {
            return [];
        }

        IAttack attack = state.Options.CreateAttack(_time);
        var indices = ready.Select(j => batch.Jobs[j].StateIndex).ToList();
        var succeeded = indices.Where(i => state.Images[i].Status == ImageAttackStatus.Succeeded).ToList();
        var minimizeQueries = new int[state.Images.Count];
        long t0 = _time.GetTimestamp();
        float[][] minimized = batch.Request.Minimize
            ? _minimizer.Minimize(state, succeeded, attack.Criterion, batch.Request.MinimizeSteps, minimizeQueries)
            : [.. succeeded.Select(i => (float[])state.Images[i].Best.Clone())];
        long t1 = _time.GetTimestamp();
        var images = indices.Select(i => succeeded.IndexOf(i) is int k && k >= 0 ? minimized[k] : (float[])state.Images[i].Best.Clone()).ToList();
        (byte[][] pngs, float[] logits) = PngVerification.Verify(_classifier, images, state.Height, state.Width);
        double minimizeMs = _time.GetElapsedTime(t0, t1).TotalMilliseconds / ready.Count, verifyMs = _time.GetElapsedTime(t1).TotalMilliseconds / ready.Count;
        int classes = _classifier.NumClasses;
        var done = new List<int>();
        for (int k = 0; k < ready.Count; k++)
        {
            int j = ready[k], i = indices[k];
            AttackImageState image = state.Images[i];
            float[] row = logits.AsSpan(k * classes, classes).ToArray();
            bool succeededHere = image.Status == ImageAttackStatus.Succeeded;
            bool fools = attack.Criterion.IsAdversarial(row, image.Goal);
            if (succeededHere && !fools)
            {
                continue;   // the attack's end retries it from its own state, with its verification rounds
            }

            AttackAttempt attempt = Record(batch, j, state, image, new StageRecord(images[k], pngs[k], row, succeededHere, minimizeQueries[i], 1), minimizeMs, verifyMs);
            batch.SetJob(j, batch.Jobs[j] with { ClosedStage = batch.Stage });
            if (batch.Stage >= batch.Request.Attacks.Count - 1 || (batch.Request.PlanMode == PlanMode.FirstSuccess && attempt.Outcome.Success))
            {
                done.Add(j);
            }
        }

        return done;
    }

    /// <summary>Builds the result of one job that has every attempt it will get (see <see cref="CloseFinishedImages"/>).</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="job">The job's index.</param>
    /// <returns>The result, as <see cref="Finish"/> would give it.</returns>
    public ImageResult ResultOf(AttackBatch batch, int job)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ImageJob j = batch.Jobs[job];
        return j.Attempts.Count == 0 ? _reports.EarlyResult(batch, j) : _reports.Result(batch, j);
    }

    /// <summary>Records one image's attempt of the running attack (its eps* from the shrunk image, when it fooled).</summary>
    private AttackAttempt Record(AttackBatch batch, int j, AttackState state, AttackImageState image, StageRecord record, double minimizeMs, double verifyMs)
    {
        ImageJob job = batch.Jobs[j];
        double? star = null;
        if (record.Fooled && batch.Request.Minimize)
        {
            ImagingMetrics m = ImagingMetrics.Compute(image.Clean, record.Image, state.Height, state.Width);
            star = state.Options.Norm == NormKind.LInf ? m.LInf : m.L2;
        }

        AttackAttempt attempt = _reports.Attempt(batch, job, state, image, record, star, minimizeMs, verifyMs);
        batch.SetJob(j, job with { Attempts = [.. job.Attempts, attempt] });
        return attempt;
    }

    private void CompleteStage(AttackBatch batch, bool startNext, CancellationToken cancellationToken)
    {
        AttackState state = batch.State!;
        AttackOptions options = state.Options;
        IAttack attack = options.CreateAttack(_time);
        int count = state.Images.Count;
        var minimizeQueries = new int[count];
        var verifyQueries = new int[count];
        var records = new StageRecord?[count];
        var closed = new bool[count];
        foreach (ImageJob job in batch.Jobs.Where(j => j.StateIndex >= 0 && j.ClosedStage == batch.Stage))
        {
            closed[job.StateIndex] = true;   // recorded already (CloseFinishedImages)
        }

        double minimizeMs = 0, verifyMs = 0;
        for (int round = 0; ; round++)
        {
            var open = Enumerable.Range(0, count).Where(i => records[i] is null && !closed[i]).ToList();
            var succeeded = open.Where(i => state.Images[i].Status == ImageAttackStatus.Succeeded).ToList();
            long t0 = _time.GetTimestamp();
            float[][] minimized = batch.Request.Minimize
                ? _minimizer.Minimize(state, succeeded, attack.Criterion, batch.Request.MinimizeSteps, minimizeQueries)
                : [.. succeeded.Select(i => (float[])state.Images[i].Best.Clone())];
            long t1 = _time.GetTimestamp();
            minimizeMs += _time.GetElapsedTime(t0, t1).TotalMilliseconds;

            var images = open.Select(i => succeeded.IndexOf(i) is int k && k >= 0 ? minimized[k] : (float[])state.Images[i].Best.Clone()).ToList();
            (byte[][] pngs, float[] logits) = PngVerification.Verify(_classifier, images, state.Height, state.Width);
            verifyMs += _time.GetElapsedTime(t1).TotalMilliseconds;
            var undone = new List<int>();
            int classes = _classifier.NumClasses;
            for (int k = 0; k < open.Count; k++)
            {
                int i = open[k];
                verifyQueries[i]++;
                AttackImageState image = state.Images[i];
                float[] row = logits.AsSpan(k * classes, classes).ToArray();
                bool succeededHere = image.Status == ImageAttackStatus.Succeeded;
                bool fools = attack.Criterion.IsAdversarial(row, image.Goal);
                records[i] = new StageRecord(images[k], pngs[k], row, succeededHere && fools, minimizeQueries[i], verifyQueries[i]);
                if (succeededHere && !fools)
                {
                    undone.Add(i);
                }
            }

            if (undone.Count == 0 || round >= batch.Request.VerificationRetries)
            {
                break;
            }

            // The attack goes on from its own state (its best image and loss untouched by the minimization above).
            EngineLog.VerificationUndone(_logger, undone.Count);
            foreach (int i in undone)
            {
                AttackImageState image = state.Images[i];
                image.Status = image.Queries < options.MaxQueries ? ImageAttackStatus.Running : ImageAttackStatus.Exhausted;
                records[i] = null;
            }

            long started = _time.GetTimestamp();
            long[] before = ModelCalls(state);
            attack.Step(state, AttackClassifier(options), StepBudget.Unlimited, cancellationToken);
            ChargeTime(batch, state, before, _time.GetElapsedTime(started).TotalMilliseconds);
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
            AttackAttempt attempt;
            if (closed[i])
            {
                attempt = job.Attempts[^1];
            }
            else
            {
                attempt = Record(batch, j, state, image, records[i]!, minimizeMs / count, verifyMs / count);
            }

            if (!attempt.Outcome.Success || batch.Request.PlanMode == PlanMode.All)
            {
                next.Add(j);
                nextCleans.Add(image.Clean);
            }
        }

        StartStage(batch, startNext ? batch.Stage + 1 : batch.Request.Attacks.Count, next, nextCleans);
    }

    /// <summary>The model calls (queries and gradient evaluations) of each image of the running attack so far.</summary>
    private static long[] ModelCalls(AttackState state)
    {
        var calls = new long[state.Images.Count];
        for (int i = 0; i < calls.Length; i++)
        {
            calls[i] = (long)state.Images[i].Queries + state.Images[i].GradientEvaluations;
        }

        return calls;
    }

    /// <summary>Adds a slice's time to the batch and to each image's share, by the model calls each made in the slice.</summary>
    private static void ChargeTime(AttackBatch batch, AttackState state, long[] before, double ms)
    {
        batch.AttackMs += ms;
        double[] shares = batch.ImageAttackMs;
        if (shares.Length != state.Images.Count)
        {
            return;
        }

        long[] after = ModelCalls(state);
        long total = 0;
        for (int i = 0; i < after.Length; i++)
        {
            total += after[i] - before[i];
        }

        for (int i = 0; i < shares.Length; i++)
        {
            shares[i] += total > 0 ? ms * (after[i] - before[i]) / total : ms / shares.Length;
        }
    }

    /// <summary>The model as the attack may see it: with its gradients for a white-box attack, whole, or its top-1 label only for a decision-based attack.</summary>
    private IClassifier AttackClassifier(AttackOptions attack) =>
        attack.UsesSurrogates ? _surrogateGuided! : attack.UsesGradients ? _whiteBox! : attack.UsesScores ? _classifier : new LabelOnlyClassifier(_classifier);
}
