using AttackCore.Models;

namespace AttackCore.Attacks;

/// <summary>
/// The skeleton every attack stands on: options checked at construction, the loss and success criterion as
/// strategies, per-image seeding, the budget loop of <see cref="Step"/>, the accept-if-better update and the 8-bit
/// grid check. An attack supplies its <see cref="Start"/> and one iteration (<see cref="BeginSlice"/>); the rest is
/// here, once.
/// </summary>
/// <typeparam name="TOptions">The attack's options record.</typeparam>
/// <remarks>
/// <para>
/// <see cref="Step"/> runs iterations. Before each one, an image that has fewer queries left than
/// <see cref="MinQueriesPerIteration"/> is marked <see cref="ImageAttackStatus.Exhausted"/>, and the iteration runs on
/// the images still running. A slice ends when none is left, on cancellation, or before an iteration that would cross
/// the <see cref="StepBudget"/> (its planned queries are <see cref="PlannedQueries"/> summed over the running images);
/// the first iteration of a slice always runs, so every slice makes progress.
/// </para>
/// <para>
/// The engine never writes into an attack's state with its own idea of loss: what an image's
/// <see cref="AttackImageState.Best"/> and <see cref="AttackImageState.BestLoss"/> hold is the attack's alone.
/// </para>
/// </remarks>
public abstract class Attack<TOptions> : IAttack
    where TOptions : AttackOptions
{
    private readonly TimeProvider _time;
    private readonly IAttackLoss? _loss;

    /// <summary>Initializes a new instance of the <see cref="Attack{TOptions}"/> class.</summary>
    /// <param name="options">The options; checked here.</param>
    /// <param name="loss">The loss to minimize; <see langword="null"/> for a decision-based attack, which reads no scores.</param>
    /// <param name="criterion">When an image counts as fooled; defaults to <see cref="TopOneCriterion"/>.</param>
    /// <param name="timeProvider">The clock for <see cref="StepBudget.MaxDuration"/>; defaults to the system clock.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    protected Attack(TOptions options, IAttackLoss? loss, IAdversarialCriterion? criterion, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _loss = loss;
        Criterion = criterion ?? TopOneCriterion.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the options.</summary>
    public TOptions Options { get; }

    /// <inheritdoc />
    AttackOptions IAttack.Options => Options;

    /// <summary>Gets the loss the attack minimizes.</summary>
    /// <exception cref="InvalidOperationException">The attack is decision-based and was built without a loss.</exception>
    protected IAttackLoss Loss => _loss ?? throw new InvalidOperationException($"{Options.AttackName} reads labels only and has no loss on scores.");

    /// <inheritdoc />
    public IAdversarialCriterion Criterion { get; }

    /// <summary>Gets the fewest queries one iteration spends on an image; an image with fewer left is exhausted.</summary>
    /// <value>1 unless the attack says otherwise.</value>
    protected virtual int MinQueriesPerIteration => 1;

    /// <inheritdoc />
    public abstract AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals);

    /// <summary>
    /// Runs iterations until every image is done or <paramref name="budget"/> is spent, and returns the same state
    /// object, updated. A run cut into slices gives exactly the result of the uncut run, including after the state is
    /// saved and read back.
    /// </summary>
    /// <param name="state">The state from <see cref="Start"/> or an earlier step (possibly restored).</param>
    /// <param name="classifier">The model under attack (the same one the run started with).</param>
    /// <param name="budget">The most work to do in this call.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    /// <returns><paramref name="state"/>, updated in place.</returns>
    public AttackState Step(AttackState state, IClassifier classifier, StepBudget budget, CancellationToken cancellationToken = default)
    {
        AttackArguments.CheckStep(Options, state, classifier, budget);
        using Slice slice = BeginSlice(state, classifier);
        var active = new List<int>(state.Images.Count);
        long startTicks = _time.GetTimestamp();
        long spent = 0;
        for (int iteration = 0; ; iteration++)
        {
            active.Clear();
            long planned = 0;
            for (int i = 0; i < state.Images.Count; i++)
            {
                AttackImageState image = state.Images[i];
                ExhaustIfSpent(image);
                if (image.Status == ImageAttackStatus.Running)
                {
                    active.Add(i);
                    planned += PlannedQueries(image);
                }
            }

            if (active.Count == 0 || cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (iteration > 0 && (
                iteration >= budget.MaxIterations ||
                spent + planned > budget.MaxQueries ||
                (budget.MaxDuration is TimeSpan limit && _time.GetElapsedTime(startTicks) >= limit)))
            {
                break;
            }

            spent += slice.Iterate(active);
            foreach (int i in active)
            {
                ExhaustIfSpent(state.Images[i]);
            }
        }

        return state;
    }

    /// <summary>Checks <paramref name="state"/> holds what this attack keeps per image and makes the buffers of one <see cref="Step"/> call.</summary>
    /// <param name="state">The state to step.</param>
    /// <param name="classifier">The model under attack.</param>
    /// <returns>The slice; disposed when the call ends.</returns>
    /// <exception cref="ArgumentException">The state was not made by this attack.</exception>
    protected abstract Slice BeginSlice(AttackState state, IClassifier classifier);

    /// <summary>The queries the next iteration is planned to spend on <paramref name="image"/>, for a query-bounded slice.</summary>
    /// <param name="image">A running image.</param>
    /// <returns>The queries; <see cref="MinQueriesPerIteration"/> unless the attack says otherwise.</returns>
    protected virtual long PlannedQueries(AttackImageState image) => MinQueriesPerIteration;

    /// <summary>
    /// Makes the per-image states of a new run: each clean image copied, its best image a copy of the clean one, and
    /// its own random stream (<see cref="SeededRandom.ForImage"/>), through <see cref="AttackOptions.CreateImageState"/>.
    /// </summary>
    /// <param name="classifier">The model under attack.</param>
    /// <param name="cleanImages">The clean images; checked with <see cref="AttackArguments.CheckStart"/>.</param>
    /// <param name="goals">One goal per image.</param>
    /// <returns>The new state; nothing queried yet.</returns>
    protected AttackState NewState(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals)
    {
        AttackArguments.CheckStart(classifier, cleanImages, goals);
        var images = new AttackImageState[cleanImages.Count];
        for (int i = 0; i < images.Length; i++)
        {
            float[] clean = (float[])cleanImages[i].Clone();
            images[i] = Options.CreateImageState(goals[i], clean, (float[])clean.Clone(), SeededRandom.ForImage(Options.Seed, clean));
        }

        return new AttackState(Options, classifier.InputHeight, classifier.InputWidth, images, classifier.Channels);
    }

    /// <summary>
    /// Scores every clean image of a new state in one batched call (one counted query each) and makes it the image's
    /// best, with its loss; an image the model already gets wrong is finished (the clean image is on the 8-bit grid, so
    /// it needs no grid check).
    /// </summary>
    /// <param name="state">A state from <see cref="NewState"/>.</param>
    /// <param name="classifier">The model under attack.</param>
    /// <param name="scored">Reads what the attack keeps of each image's clean scores, before its best is set; optional.</param>
    protected void ScoreCleanImages(AttackState state, IClassifier classifier, CleanScored? scored = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(classifier);
        using var queries = new QueryBuffer(state.ImageLength, classifier.NumClasses, state.Images.Count);
        for (int i = 0; i < state.Images.Count; i++)
        {
            state.Images[i].Clean.CopyTo(queries.Image(i));
        }

        queries.Predict(classifier, state.Images.Count);
        for (int i = 0; i < state.Images.Count; i++)
        {
            AttackImageState image = state.Images[i];
            ReadOnlySpan<float> logits = queries.Logits(i);
            image.Queries = 1;
            scored?.Invoke(image, logits);
            SetBest(image, image.Clean, logits, Loss.Evaluate(logits, image.Goal));
            if (Criterion.IsAdversarial(logits, image.Goal))
            {
                image.Status = ImageAttackStatus.Succeeded;
            }

            ExhaustIfSpent(image);
        }
    }

    /// <summary>Reads one image's clean scores for <see cref="ScoreCleanImages"/>.</summary>
    /// <param name="image">The image.</param>
    /// <param name="logits">Its clean scores.</param>
    protected delegate void CleanScored(AttackImageState image, ReadOnlySpan<float> logits);

    /// <summary>Checks every image of <paramref name="state"/> holds what this attack keeps per image.</summary>
    /// <typeparam name="TImage">The attack's image state.</typeparam>
    /// <param name="state">The state to step.</param>
    /// <exception cref="ArgumentException">The state was made by another attack.</exception>
    protected void RequireImages<TImage>(AttackState state)
        where TImage : AttackImageState
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Images.Any(i => i is not TImage))
        {
            throw new ArgumentException($"The state was not made by {Options.AttackName}.", nameof(state));
        }
    }

    /// <summary>Marks a running image <see cref="ImageAttackStatus.Exhausted"/> when a whole iteration no longer fits its query budget.</summary>
    /// <param name="image">The image.</param>
    protected void ExhaustIfSpent(AttackImageState image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Status == ImageAttackStatus.Running && image.Queries + MinQueriesPerIteration > Options.MaxQueries)
        {
            image.Status = ImageAttackStatus.Exhausted;
        }
    }

    /// <summary>Keeps <paramref name="candidate"/> as the image's best when its loss is strictly lower (the reference's rule).</summary>
    /// <param name="image">The image.</param>
    /// <param name="candidate">The candidate that was queried.</param>
    /// <param name="logits">Its scores.</param>
    /// <returns><see langword="true"/> when it was kept.</returns>
    protected bool TryImprove(AttackImageState image, ReadOnlySpan<float> candidate, ReadOnlySpan<float> logits)
    {
        ArgumentNullException.ThrowIfNull(image);
        LossValue value = Loss.Evaluate(logits, image.Goal);
        if (!(value.Loss < image.BestLoss))
        {
            return false;
        }

        SetBest(image, candidate, logits, value);
        return true;
    }

    /// <summary>Makes <paramref name="candidate"/> the image's best, with its loss and margin, and adds a trace point.</summary>
    /// <param name="image">The image.</param>
    /// <param name="candidate">The new best image.</param>
    /// <param name="logits">Its scores.</param>
    /// <param name="value">Its loss and margin.</param>
    protected void SetBest(AttackImageState image, ReadOnlySpan<float> candidate, ReadOnlySpan<float> logits, LossValue value)
    {
        ArgumentNullException.ThrowIfNull(image);
        candidate.CopyTo(image.Best);
        image.BestLoss = value.Loss;
        image.BestMargin = value.Margin;
        AttackTrace.Record(image, logits, value, Options.TraceCapacity);
    }

    /// <summary>
    /// The first half of the 8-bit check of a continuous success (<see cref="QuantizationMode.AfterSuccess"/>): writes
    /// the grid projection of the best image of each image in <paramref name="images"/> that has a query left into
    /// consecutive slots from <paramref name="firstSlot"/>, and keeps only those in <paramref name="images"/>.
    /// </summary>
    /// <param name="state">The state.</param>
    /// <param name="images">Indices of the images to check; trimmed to those written.</param>
    /// <param name="buffer">The buffer to write into.</param>
    /// <param name="firstSlot">The first slot to use.</param>
    /// <returns>The number of checks written.</returns>
    protected int PrepareGridChecks(AttackState state, List<int> images, QueryBuffer buffer, int firstSlot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(buffer);
        int n = 0;
        for (int k = 0; k < images.Count; k++)
        {
            AttackImageState image = state.Images[images[k]];
            if (image.Queries >= Options.MaxQueries)
            {
                continue;
            }

            Span<float> slot = buffer.Image(firstSlot + n);
            image.Best.CopyTo(slot);
            PixelGrid.Project(image.Clean, slot, Options.Norm, Options.Epsilon);
            images[n++] = images[k];
        }

        images.RemoveRange(n, images.Count - n);
        return n;
    }

    /// <summary>
    /// The second half of the 8-bit check, after the slots were scored: each check costs its image one query, and an
    /// 8-bit image that fools the model becomes its best image and finishes it.
    /// </summary>
    /// <param name="state">The state.</param>
    /// <param name="images">The images <see cref="PrepareGridChecks"/> kept, in slot order.</param>
    /// <param name="buffer">The scored buffer.</param>
    /// <param name="firstSlot">The slot of the first check.</param>
    protected void FinishGridChecks(AttackState state, IReadOnlyList<int> images, QueryBuffer buffer, int firstSlot)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(buffer);
        for (int k = 0; k < images.Count; k++)
        {
            AttackImageState image = state.Images[images[k]];
            ReadOnlySpan<float> logits = buffer.Logits(firstSlot + k);
            image.Queries++;
            image.GridChecks++;
            if (Criterion.IsAdversarial(logits, image.Goal))
            {
                SetBest(image, buffer.Image(firstSlot + k), logits, Loss.Evaluate(logits, image.Goal));
                image.Status = ImageAttackStatus.Succeeded;
            }
        }
    }

    /// <summary>
    /// One two-sided step (SimBA's and GFCS's) for every active image: every image's first candidate in one call; then
    /// the second candidates of the images whose first did not improve, together with the 8-bit checks of first-round
    /// successes, in a second call; then the 8-bit checks of second-round successes in a third (rare). Each scored
    /// candidate costs its image one query; a second candidate is made only while the image has a query left.
    /// </summary>
    /// <param name="state">The state.</param>
    /// <param name="classifier">The model.</param>
    /// <param name="active">The running images (indices into the state); slot k is <c>active[k]</c>.</param>
    /// <param name="queries">A buffer with room for every active image.</param>
    /// <param name="rounds">The round lists, reused by every iteration of a slice.</param>
    /// <param name="compose">Writes the candidate of a slot's first or second side into a buffer slot.</param>
    /// <param name="judge">Judges a scored candidate (kept only if better); says whether it also fools the model.</param>
    /// <returns>The queries spent.</returns>
    protected long TwoSidedStep(AttackState state, IClassifier classifier, IReadOnlyList<int> active, QueryBuffer queries, TwoSidedRounds rounds, TwoSidedCandidate compose, TwoSidedJudge judge)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(active);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(rounds);
        ArgumentNullException.ThrowIfNull(compose);
        ArgumentNullException.ThrowIfNull(judge);
        for (int slot = 0; slot < active.Count; slot++)
        {
            compose(slot, second: false, slot);
        }

        long spent = queries.Predict(classifier, active.Count);
        rounds.Second.Clear();
        rounds.Checks.Clear();
        for (int slot = 0; slot < active.Count; slot++)
        {
            AttackImageState image = state.Images[active[slot]];
            image.Queries++;
            if (judge(slot, slot, out bool fooled))
            {
                if (fooled)
                {
                    rounds.Checks.Add(active[slot]);
                }
            }
            else if (image.Queries < Options.MaxQueries)
            {
                rounds.Second.Add(slot);
            }
        }

        int second = rounds.Second.Count;
        for (int k = 0; k < second; k++)
        {
            compose(rounds.Second[k], second: true, k);
        }

        int checks = PrepareGridChecks(state, rounds.Checks, queries, second);
        spent += queries.Predict(classifier, second + checks);
        rounds.LateChecks.Clear();
        for (int k = 0; k < second; k++)
        {
            int slot = rounds.Second[k];
            state.Images[active[slot]].Queries++;
            if (judge(slot, k, out bool fooled) && fooled)
            {
                rounds.LateChecks.Add(active[slot]);
            }
        }

        FinishGridChecks(state, rounds.Checks, queries, second);
        checks = PrepareGridChecks(state, rounds.LateChecks, queries, 0);
        if (checks > 0)
        {
            spent += queries.Predict(classifier, checks);
            FinishGridChecks(state, rounds.LateChecks, queries, 0);
        }

        return spent;
    }

    /// <summary>Writes the candidate of one side of a two-sided step (see <see cref="TwoSidedStep"/>).</summary>
    /// <param name="slot">The image's slot in the active list.</param>
    /// <param name="second">Whether this is the second side (tried after the first did not improve).</param>
    /// <param name="destination">The buffer slot to write the candidate into.</param>
    protected delegate void TwoSidedCandidate(int slot, bool second, int destination);

    /// <summary>Judges one scored candidate of a two-sided step: keeps it if better.</summary>
    /// <param name="slot">The image's slot in the active list.</param>
    /// <param name="destination">The buffer slot holding the candidate and its scores.</param>
    /// <param name="fooled">Set when the kept candidate fools the model (it then gets an 8-bit check).</param>
    /// <returns>Whether the candidate was kept.</returns>
    protected delegate bool TwoSidedJudge(int slot, int destination, out bool fooled);

    /// <summary>The lists one <see cref="TwoSidedStep"/> fills, made once per slice.</summary>
    /// <param name="capacity">The most images of a slice.</param>
    protected sealed class TwoSidedRounds(int capacity)
    {
        /// <summary>Gets the slots whose first side did not improve; second-round buffer slot k is slot <c>Second[k]</c>.</summary>
        public List<int> Second { get; } = new(capacity);

        /// <summary>Gets the images whose first side fooled the model, checked on the grid in the second call.</summary>
        public List<int> Checks { get; } = new(capacity);

        /// <summary>Gets the images whose second side fooled the model, checked on the grid in a third call.</summary>
        public List<int> LateChecks { get; } = new(capacity);
    }

    /// <summary>
    /// The work of one <see cref="Step"/> (or <see cref="Start"/>) call: the attack's buffers, rented once and reused by
    /// every iteration of the call, and one iteration over the running images.
    /// </summary>
    protected abstract class Slice : IDisposable
    {
        /// <summary>Runs one iteration on the images <paramref name="active"/> names (indices into the state, all running).</summary>
        /// <param name="active">The running images.</param>
        /// <returns>The queries spent, summed over images.</returns>
        public abstract long Iterate(IReadOnlyList<int> active);

        /// <inheritdoc />
        public void Dispose()
        {
            Release();
            GC.SuppressFinalize(this);
        }

        /// <summary>Returns the slice's buffers to their pools.</summary>
        protected abstract void Release();
    }
}
