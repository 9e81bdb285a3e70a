using System.Buffers;
using System.Runtime.CompilerServices;
using AttackCore.Attacks.Square;
using AttackCore.Models;

namespace AttackCore.Attacks.Simba;

/// <summary>
/// SimBA-DCT: a score-based black-box attack that walks the low-frequency DCT coordinates one at a time
/// (Guo, Gardner, You, Wilson, Weinberger, "Simple Black-box Adversarial Attacks", ICML 2019, arXiv:1905.07121),
/// after the authors' reference code (github.com/cg563/simple-blackbox-attack, <c>simba.py</c> <c>simba_batch</c>,
/// <c>utils.py</c> <c>block_order</c> and <c>block_idct</c>).
/// </summary>
/// <remarks>
/// <para>
/// The perturbation is the inverse DCT (orthonormal, the whole image as one block, per channel) of a coefficient
/// vector x that starts at zero. Coordinates are visited in the strided order of <see cref="DctBasis.BlockOrder"/>:
/// the <c>FreqDims x FreqDims</c> lowest frequencies of all channels in random order, then bands of <c>Stride</c>
/// higher frequencies, each in random order. For coordinate q the attack queries <c>clip(clean + idct(x - a e_q))</c>
/// (one query, a = <see cref="SimbaDctOptions.StepSize"/>) and keeps it if the loss strictly drops; otherwise it
/// queries <c>x + a e_q</c> (a second query) and keeps that if the loss strictly drops; otherwise x stays. The loss is
/// the paper's (<see cref="SimbaProbabilityLoss"/>): the true class's probability, or the target's when targeted.
/// </para>
/// <para>
/// Because the basis is orthonormal, idct(x +- a e_q) is the current pixel-space perturbation plus +-a times one basis
/// image, and that image is the outer product of two precomputed 1-D cosines: each try costs one channel's worth of
/// multiply-adds, not a full inverse DCT. The state keeps that pixel-space perturbation (<see cref="SimbaImageState.Delta"/>).
/// </para>
/// <para>
/// All running images go in lockstep: every image's minus candidate in one batched call, then the plus candidates of
/// the images whose minus did not improve in a second call (together with the 8-bit checks of images whose minus
/// fooled the model); an image's plus that fools the model is checked on the 8-bit grid in a third call. Queries are
/// counted per image: one for the clean image at <see cref="Start"/>, then one or two per coordinate, plus the grid checks.
/// </para>
/// <para>
/// Differences from the reference, each deliberate. (1) The L2 budget: the reference has none (each accepted step
/// adds a^2 to the squared norm, without bound). Here a candidate whose unclipped perturbation would exceed eps is scaled back onto the
/// eps sphere (x scaled as a whole) before it is queried, so what is queried is what may be accepted. Clipping to
/// [0,1] only shortens a perturbation, so the clipped one is inside the ball too. Projection was chosen over skipping
/// such coordinates because after about (eps / a)^2 = 625 accepted steps every later coordinate would be skipped: the
/// search would stop with budget left, whereas on the sphere each step still turns the perturbation toward a better
/// direction (on MobileNet V2 at eps 5, one of 14 photos reached the sphere after 1,522 queries and fooled the model
/// after 2,412). (2) The clean image is scored in <see cref="Start"/> as a counted query (the reference does not count it),
/// and the reference's extra uncounted prediction per iteration is not made: success is read from the loss queries.
/// (3) A plus candidate is queried only for images whose minus did not improve (the reference scores it for all and
/// counts it only for those). (4) The search is continuous as in the reference, but success is claimed only when the
/// best image's 8-bit projection also fools the model (one more counted query, as
/// <see cref="QuantizationMode.AfterSuccess"/> in Square Attack). (5) Each image draws its order from its own stream
/// (seeded by <see cref="AttackOptions.Seed"/> and the image), where the reference uses one order for the batch; and when
/// the budget outlasts the order (tiny images only) the order starts over.
/// </para>
/// </remarks>
public sealed class SimbaDctAttack : IAttack
{
    private const int Channels = 3;

    /// <summary>At most minus, plus and one grid check per image per iteration; a query-bounded slice plans for it.</summary>
    private const int QueriesPerIterationAtMost = 3;

    private readonly IAttackLoss _loss;
    private readonly IAdversarialCriterion _criterion;
    private readonly TimeProvider _time;
    private readonly ConditionalWeakTable<AttackImageState, int[]> _orders = new();
    private DctBasis? _basis;

    /// <summary>Initializes a new instance of the <see cref="SimbaDctAttack"/> class.</summary>
    /// <param name="options">The options; checked here.</param>
    /// <param name="loss">The loss to minimize; defaults to the paper's (<see cref="SimbaProbabilityLoss"/>).</param>
    /// <param name="criterion">When an image counts as fooled; defaults to <see cref="TopOneCriterion"/>.</param>
    /// <param name="timeProvider">The clock for <see cref="StepBudget.MaxDuration"/>; defaults to the system clock.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public SimbaDctAttack(SimbaDctOptions options, IAttackLoss? loss = null, IAdversarialCriterion? criterion = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _loss = loss ?? SimbaProbabilityLoss.Instance;
        _criterion = criterion ?? TopOneCriterion.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the options.</summary>
    public SimbaDctOptions Options { get; }

    /// <inheritdoc />
    AttackOptions IAttack.Options => Options;

    /// <summary>
    /// Starts a run: scores every clean image in one batched call (one query each) to get the loss the first
    /// coordinate must beat. The perturbation starts at zero, so the best image is the clean one.
    /// </summary>
    /// <param name="classifier">The model under attack.</param>
    /// <param name="cleanImages">Clean images, CHW in [0,1] on the 8-bit grid, each 3 x height x width of the classifier. Copied.</param>
    /// <param name="goals">One goal per image.</param>
    /// <returns>The state after the initialization.</returns>
    public AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals)
    {
        AttackArguments.CheckStart(classifier, cleanImages, goals);
        int h = classifier.InputHeight, w = classifier.InputWidth, length = Channels * h * w, classes = classifier.NumClasses;
        var images = new AttackImageState[cleanImages.Count];
        for (int i = 0; i < images.Length; i++)
        {
            AttackGoal goal = goals[i];
            float[] clean = (float[])cleanImages[i].Clone();
            var random = new SeededRandom(SquareAttack.ImageSeed(Options.Seed, clean));
            images[i] = new SimbaImageState(goal, clean, (float[])clean.Clone(), random);
        }

        var state = new AttackState(Options, h, w, images);
        using var work = new Workspace(length, classes, images.Length);
        for (int i = 0; i < images.Length; i++)
        {
            images[i].Clean.CopyTo(work.Candidate(i));
        }

        Predict(classifier, work, images.Length);
        for (int i = 0; i < images.Length; i++)
        {
            AttackImageState image = images[i];
            ReadOnlySpan<float> logits = work.LogitsOf(i);
            LossValue value = _loss.Evaluate(logits, image.Goal);
            image.Queries = 1;
            image.BestLoss = value.Loss;
            image.BestMargin = value.Margin;
            AttackTrace.Record(image, logits, value, Options.TraceCapacity);
            if (_criterion.IsAdversarial(logits, image.Goal))
            {
                // The clean image is on the 8-bit grid, so it needs no grid check.
                image.Status = ImageAttackStatus.Succeeded;
            }
            else if (image.Queries >= Options.MaxQueries)
            {
                image.Status = ImageAttackStatus.Exhausted;
            }
        }

        return state;
    }

    /// <summary>
    /// Tries one coordinate per running image per iteration until every image is done or <paramref name="budget"/> is
    /// spent, and returns the same state object, updated. A run cut into slices gives exactly the result of the uncut
    /// run, including after the state is saved and read back. A query-bounded slice starts an iteration only when
    /// three queries per running image (minus, plus, grid check) still fit.
    /// </summary>
    /// <param name="state">The state from <see cref="Start"/> or an earlier step.</param>
    /// <param name="classifier">The model under attack (the same one the run started with).</param>
    /// <param name="budget">The most work to do in this call.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    /// <returns><paramref name="state"/>, updated in place.</returns>
    public AttackState Step(AttackState state, IClassifier classifier, StepBudget budget, CancellationToken cancellationToken = default)
    {
        AttackArguments.CheckStep(Options, state, classifier, budget);
        if (_basis is null || _basis.Height != state.Height || _basis.Width != state.Width)
        {
            _basis = new DctBasis(state.Height, state.Width);
        }

        using var work = new Workspace(state.ImageLength, classifier.NumClasses, state.Images.Count(i => i.Status == ImageAttackStatus.Running));
        long startTicks = _time.GetTimestamp();
        long sliceQueries = 0;
        for (int iteration = 0; ; iteration++)
        {
            work.Active.Clear();
            for (int i = 0; i < state.Images.Count; i++)
            {
                if (state.Images[i].Status == ImageAttackStatus.Running)
                {
                    work.Active.Add(i);
                }
            }

            if (work.Active.Count == 0 || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (iteration > 0 && (
                iteration >= budget.MaxIterations ||
                sliceQueries + ((long)QueriesPerIterationAtMost * work.Active.Count) > budget.MaxQueries ||
                (budget.MaxDuration is TimeSpan limit && _time.GetElapsedTime(startTicks) >= limit)))
            {
                break;
            }

            sliceQueries += Iterate(classifier, state, _basis, work);
        }

        return state;
    }

    /// <summary>One coordinate for every active image: the minus round, the plus round (with grid checks), and late grid checks.</summary>
    /// <returns>The queries spent, summed over images.</returns>
    private int Iterate(IClassifier classifier, AttackState state, DctBasis basis, Workspace work)
    {
        List<int> active = work.Active;
        double step = Options.StepSize;

        // Round 1: x - a e_q for every running image.
        for (int slot = 0; slot < active.Count; slot++)
        {
            var image = (SimbaImageState)state.Images[active[slot]];
            int coordinate = Coordinate(image, state);
            work.Coordinates[slot] = coordinate;
            Compose(image, basis, coordinate, -step, work.Delta(slot), work.Candidate(slot));
            image.Iterations++;
        }

        int queries = Predict(classifier, work, active.Count);
        work.Plus.Clear();
        work.Checks.Clear();
        for (int slot = 0; slot < active.Count; slot++)
        {
            var image = (SimbaImageState)state.Images[active[slot]];
            image.Queries++;
            if (TryAccept(image, work, slot, out bool fooled))
            {
                if (fooled)
                {
                    work.Checks.Add(active[slot]);
                }
            }
            else if (image.Queries < Options.MaxQueries)
            {
                work.Plus.Add(slot);
            }
        }

        // Round 2: x + a e_q where the minus did not improve, then the grid checks of minus successes, in one call.
        int plus = work.Plus.Count;
        for (int k = 0; k < plus; k++)
        {
            int slot = work.Plus[k];
            Compose((SimbaImageState)state.Images[active[slot]], basis, work.Coordinates[slot], step, work.Delta(k), work.Candidate(k));
        }

        int checks = PrepareChecks(state, work, plus);
        queries += Predict(classifier, work, plus + checks);
        work.LateChecks.Clear();
        for (int k = 0; k < plus; k++)
        {
            int index = active[work.Plus[k]];
            var image = (SimbaImageState)state.Images[index];
            image.Queries++;
            if (TryAccept(image, work, k, out bool fooled) && fooled)
            {
                work.LateChecks.Add(index);
            }
        }

        FinishChecks(state, work, plus, checks);

        // Round 3 (rare): the grid checks of plus successes.
        work.Checks.Clear();
        work.Checks.AddRange(work.LateChecks);
        checks = PrepareChecks(state, work, 0);
        if (checks > 0)
        {
            queries += Predict(classifier, work, checks);
            FinishChecks(state, work, 0, checks);
        }

        foreach (int index in active)
        {
            AttackImageState image = state.Images[index];
            if (image.Status == ImageAttackStatus.Running && image.Queries >= Options.MaxQueries)
            {
                image.Status = ImageAttackStatus.Exhausted;
            }
        }

        return queries;
    }

    /// <summary>
    /// Writes the candidate for coordinate <paramref name="coordinate"/> moved by <paramref name="step"/>: its
    /// unclipped perturbation into <paramref name="delta"/> (the current one plus step times one basis image, scaled
    /// back onto the eps sphere when it would leave the ball) and clip(clean + delta, 0, 1) into <paramref name="candidate"/>.
    /// </summary>
    private void Compose(SimbaImageState image, DctBasis basis, int coordinate, double step, Span<float> delta, Span<float> candidate)
    {
        int h = basis.Height, w = basis.Width, plane = h * w;
        int channel = coordinate / plane, u = coordinate % plane / w, v = coordinate % w;
        image.Delta.CopyTo(delta);
        ReadOnlySpan<double> rows = basis.Rows.AsSpan(u * h, h), columns = basis.Columns.AsSpan(v * w, w);
        Span<float> target = delta.Slice(channel * plane, plane);
        for (int r = 0; r < h; r++)
        {
            double a = step * rows[r];
            Span<float> row = target.Slice(r * w, w);
            for (int q = 0; q < w; q++)
            {
                row[q] = (float)(row[q] + (a * columns[q]));
            }
        }

        double sumSquares = 0;
        foreach (float d in delta)
        {
            sumSquares += (double)d * d;
        }

        double eps = Options.Epsilon;
        if (sumSquares > eps * eps)
        {
            // Onto the sphere, a hair inside so that rounding to float cannot push the norm above eps.
            double scale = eps / Math.Sqrt(sumSquares) * (1 - 1e-6);
            for (int i = 0; i < delta.Length; i++)
            {
                delta[i] = (float)(delta[i] * scale);
            }
        }

        ReadOnlySpan<float> clean = image.Clean;
        for (int i = 0; i < clean.Length; i++)
        {
            candidate[i] = Math.Clamp(clean[i] + delta[i], 0f, 1f);
        }
    }

    /// <summary>Keeps the candidate in <paramref name="slot"/> if its loss is strictly lower; says whether it also fools the model.</summary>
    private bool TryAccept(SimbaImageState image, Workspace work, int slot, out bool fooled)
    {
        ReadOnlySpan<float> logits = work.LogitsOf(slot);
        LossValue value = _loss.Evaluate(logits, image.Goal);
        fooled = false;
        if (!(value.Loss < image.BestLoss))
        {
            return false;
        }

        work.Delta(slot).CopyTo(image.Delta);
        work.Candidate(slot).CopyTo(image.Best);
        image.BestLoss = value.Loss;
        image.BestMargin = value.Margin;
        AttackTrace.Record(image, logits, value, Options.TraceCapacity);
        if (_criterion.IsAdversarial(logits, image.Goal))
        {
            image.ContinuousSuccessQueries ??= image.Queries;
            fooled = true;
        }

        return true;
    }

    /// <summary>Writes the 8-bit projections of the best images of <c>work.Checks</c> (those with a query left) into slots from <paramref name="first"/>.</summary>
    /// <returns>The number of checks prepared; <c>work.Checks</c> keeps only those.</returns>
    private int PrepareChecks(AttackState state, Workspace work, int first)
    {
        int n = 0;
        for (int k = 0; k < work.Checks.Count; k++)
        {
            AttackImageState image = state.Images[work.Checks[k]];
            if (image.Queries >= Options.MaxQueries)
            {
                continue;
            }

            Span<float> slot = work.Candidate(first + n);
            image.Best.CopyTo(slot);
            PixelGrid.Project(image.Clean, slot, Options.Norm, Options.Epsilon);
            work.Checks[n++] = work.Checks[k];
        }

        work.Checks.RemoveRange(n, work.Checks.Count - n);
        return n;
    }

    /// <summary>Reads the grid checks scored in slots from <paramref name="first"/>: an 8-bit image that fools the model becomes the best one and the image is done.</summary>
    private void FinishChecks(AttackState state, Workspace work, int first, int count)
    {
        for (int k = 0; k < count; k++)
        {
            AttackImageState image = state.Images[work.Checks[k]];
            ReadOnlySpan<float> logits = work.LogitsOf(first + k);
            image.Queries++;
            image.GridChecks++;
            if (_criterion.IsAdversarial(logits, image.Goal))
            {
                LossValue value = _loss.Evaluate(logits, image.Goal);
                work.Candidate(first + k).CopyTo(image.Best);
                image.BestLoss = value.Loss;
                image.BestMargin = value.Margin;
                AttackTrace.Record(image, logits, value, Options.TraceCapacity);
                image.Status = ImageAttackStatus.Succeeded;
            }
        }
    }

    /// <summary>
    /// The coefficient tried at the image's current iteration. The order is drawn from a copy of the image's stream
    /// (which nothing else advances), so it is the same after a restore and need not be saved; it is cached per
    /// image state object. Only the first MaxQueries entries can ever be reached (each coordinate costs a query).
    /// </summary>
    private int Coordinate(AttackImageState image, AttackState state)
    {
        if (!_orders.TryGetValue(image, out int[]? order))
        {
            int h = state.Height, w = state.Width;
            order = DctBasis.BlockOrder(
                Channels, h, w, Options.EffectiveFreqDims(h, w), Options.EffectiveStride(h, w),
                SeededRandom.FromState(image.Random.GetState()), Options.MaxQueries);
            _orders.AddOrUpdate(image, order);
        }

        return order[image.Iterations % order.Length];
    }

    private static int Predict(IClassifier classifier, Workspace work, int count)
    {
        if (count > 0)
        {
            classifier.Predict(work.Candidates.AsSpan(0, count * work.Length), count, work.Logits.AsSpan(0, count * work.Classes));
        }

        return count;
    }

    /// <summary>
    /// Buffers for one Start or Step call, rented from the shared array pool and reused by every iteration in it, so
    /// the attack allocates nothing per query. Returned when the call ends.
    /// </summary>
    private sealed class Workspace : IDisposable
    {
        public Workspace(int length, int classes, int capacity)
        {
            Length = length;
            Classes = classes;
            capacity = Math.Max(capacity, 1);
            Candidates = ArrayPool<float>.Shared.Rent(capacity * length);
            Deltas = ArrayPool<float>.Shared.Rent(capacity * length);
            Logits = ArrayPool<float>.Shared.Rent(capacity * classes);
            Coordinates = ArrayPool<int>.Shared.Rent(capacity);
            Active = new List<int>(capacity);
            Plus = new List<int>(capacity);
            Checks = new List<int>(capacity);
            LateChecks = new List<int>(capacity);
        }

        public int Length { get; }

        public int Classes { get; }

        public float[] Candidates { get; }

        public float[] Deltas { get; }

        public float[] Logits { get; }

        /// <summary>Gets the coefficient each round-1 slot tries.</summary>
        public int[] Coordinates { get; }

        /// <summary>Gets the running images' indices; round-1 slot k is image Active[k].</summary>
        public List<int> Active { get; }

        /// <summary>Gets the round-1 slots whose minus did not improve; round-2 slot k is round-1 slot Plus[k].</summary>
        public List<int> Plus { get; }

        /// <summary>Gets the indices of images whose best image is to be checked on the grid in this round.</summary>
        public List<int> Checks { get; }

        /// <summary>Gets the indices of images whose plus fooled the model, checked in round 3.</summary>
        public List<int> LateChecks { get; }

        public Span<float> Candidate(int slot) => Candidates.AsSpan(slot * Length, Length);

        public Span<float> Delta(int slot) => Deltas.AsSpan(slot * Length, Length);

        public ReadOnlySpan<float> LogitsOf(int slot) => Logits.AsSpan(slot * Classes, Classes);

        public void Dispose()
        {
            ArrayPool<float>.Shared.Return(Candidates);
            ArrayPool<float>.Shared.Return(Deltas);
            ArrayPool<float>.Shared.Return(Logits);
            ArrayPool<int>.Shared.Return(Coordinates);
        }
    }
}
