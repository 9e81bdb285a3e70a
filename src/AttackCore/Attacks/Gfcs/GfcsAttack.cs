using System.Buffers;
using AttackCore.Gradients;
using AttackCore.Models;

namespace AttackCore.Attacks.Gfcs;

/// <summary>
/// GFCS, gradient-first coimage search: a surrogate-guided score-based black-box attack (Lord, Mueller and Bertinetto,
/// "Attacking deep networks with surrogate-based adversarial black-box methods is easy", ICLR 2022, arXiv:2203.08725),
/// after the authors' reference code (github.com/fiveai/GFCS, <c>GFCS_main.py</c> with <c>--GFCS</c>).
/// </summary>
/// <remarks>
/// <para>
/// A SimBA-style search whose directions come from surrogate models the attacker owns. At the current point x (the
/// best image so far) an iteration takes one direction d: while some surrogate has not been tried at x, the next one in
/// a random order gives the gradient of its loss, d = grad / ||grad||_2; untargeted, that loss is z_r - z_y on the
/// surrogate's logits, with y the true class and r the target model's runner-up class at x (the reference's margin
/// direction); targeted, log softmax(z)_t. When every surrogate failed at x, the search falls back to ODS
/// (output-diversified sampling, Tashiro, Song and Ermon, NeurIPS 2020): d is the normalized gradient of w . z with
/// fresh weights w ~ U[-1, 1]^C on a surrogate drawn at random, every iteration until a step is accepted. An accepted
/// step refills the surrogate order (a new random permutation) and goes back to gradients.
/// </para>
/// <para>
/// The step: the target is queried at x + a d (a = <see cref="GfcsOptions.EffectiveStepSize"/>), and at x - a d only
/// when the first did not improve; a candidate is kept when the target's loss (<see cref="MarginLoss"/>: the margin,
/// or the target's cross-entropy when targeted) is strictly lower. L2: the perturbation is scaled back onto the eps
/// sphere when it would leave the ball (the reference's projection), then the image is clipped to [0, 1]. L-inf (not in
/// the reference): d is the sign of the gradient, the L-inf steepest-ascent direction, and the candidate is clipped to
/// the eps box and [0, 1].
/// </para>
/// <para>
/// Counting: one query for the clean image at <see cref="Start"/>, then one or two per iteration, plus the 8-bit check
/// of a continuous success (as in <see cref="Simba.SimbaDctAttack"/>: the best image's 8-bit projection is queried and
/// must fool the target too). Each direction costs one surrogate gradient evaluation
/// (<see cref="AttackImageState.GradientEvaluations"/>), never a query. Batching: the directions of all running
/// images in one gradient call per surrogate and loss kind, then every image's plus candidate in one target call, then
/// the minus candidates and grid checks in a second, and late grid checks in a third.
/// </para>
/// <para>
/// Differences from the reference, each deliberate: the clean image's query is the same (counted), but success is
/// claimed only on the 8-bit grid; each image draws its surrogate orders and ODS weights from its own stream; L-inf is
/// added as described above.
/// </para>
/// </remarks>
public sealed class GfcsAttack : Attack<GfcsOptions>
{
    /// <summary>At most plus, minus and one grid check per image per iteration; a query-bounded slice plans for it.</summary>
    private const int QueriesPerIterationAtMost = 3;

    /// <summary>Initializes a new instance of the <see cref="GfcsAttack"/> class.</summary>
    /// <param name="options">The options; checked here.</param>
    /// <param name="loss">The loss to minimize on the target's scores; defaults to the paper's (<see cref="MarginLoss"/>).</param>
    /// <param name="criterion">When an image counts as fooled; defaults to <see cref="TopOneCriterion"/>.</param>
    /// <param name="timeProvider">The clock for <see cref="StepBudget.MaxDuration"/>; defaults to the system clock.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public GfcsAttack(GfcsOptions options, IAttackLoss? loss = null, IAdversarialCriterion? criterion = null, TimeProvider? timeProvider = null)
        : base(options, loss ?? MarginLoss.Instance, criterion, timeProvider)
    {
    }

    /// <summary>
    /// Starts a run: scores every clean image in one batched call (one query each) to get the loss the first step must
    /// beat and the target's runner-up class, and draws each image's first surrogate order.
    /// </summary>
    /// <param name="classifier">The target, which must also give the surrogates (<see cref="ISurrogateModels"/>).</param>
    /// <param name="cleanImages">Clean images, CHW in [0,1] on the 8-bit grid, each channels x height x width of the classifier. Copied.</param>
    /// <param name="goals">One goal per image.</param>
    /// <returns>The state after the initialization.</returns>
    /// <exception cref="ArgumentException">The classifier gives no surrogates, or a surrogate does not fit the target.</exception>
    public override AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals)
    {
        IReadOnlyList<IGradientModel> surrogates = SurrogatesOf(classifier);
        AttackState state = NewState(classifier, cleanImages, goals);
        ScoreCleanImages(state, classifier, (image, logits) =>
        {
            var gfcs = (GfcsImageState)image;
            gfcs.SurrogateCount = surrogates.Count;
            gfcs.Order = new int[surrogates.Count];
            Reshuffle(gfcs);
            gfcs.RunnerUp = LogitMath.ArgMaxExcept(logits, image.Goal.TrueClass);
        });
        return state;
    }

    /// <inheritdoc />
    protected override Slice BeginSlice(AttackState state, IClassifier classifier)
    {
        RequireImages<GfcsImageState>(state);
        IReadOnlyList<IGradientModel> surrogates = SurrogatesOf(classifier);
        if (state.Images.Cast<GfcsImageState>().FirstOrDefault(i => i.SurrogateCount != surrogates.Count) is { } other)
        {
            throw new ArgumentException($"The {Options.AttackName} run was started with {other.SurrogateCount} surrogates and is resumed with {surrogates.Count}; resume it with the same surrogates, in the same order.", nameof(classifier));
        }

        return new GfcsSlice(this, state, classifier, surrogates, state.Images.Count(i => i.Status == ImageAttackStatus.Running));
    }

    /// <summary>A query-bounded slice starts an iteration only when three queries per running image (plus, minus, grid check) still fit.</summary>
    protected override long PlannedQueries(AttackImageState image) => QueriesPerIterationAtMost;

    /// <summary>A new surrogate order at a new point: 0 .. count - 1 shuffled in place (Fisher-Yates on the image's stream), none tried yet.</summary>
    private static void Reshuffle(GfcsImageState image)
    {
        int[] order = image.Order;
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = image.Random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        image.Tried = 0;
    }

    /// <summary>Gets the surrogates the engine gave with the target, checked against it, or says plainly that GFCS needs them.</summary>
    private IReadOnlyList<IGradientModel> SurrogatesOf(IClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        if (classifier is not ISurrogateModels { Surrogates.Count: > 0 } given)
        {
            throw new ArgumentException(
                $"{Options.AttackName} crafts its directions on surrogate models: it needs their gradients beside the target's scores, and none was given. Name one or more with --surrogate (a preset, an .onnx file or a .json spec), or use an attack that needs no surrogate such as square.",
                nameof(classifier));
        }

        foreach (IGradientModel s in given.Surrogates)
        {
            if (s.InputHeight != classifier.InputHeight || s.InputWidth != classifier.InputWidth || s.Channels != classifier.Channels || s.NumClasses != classifier.NumClasses)
            {
                throw new ArgumentException(
                    $"A surrogate takes {s.Channels}x{s.InputHeight}x{s.InputWidth} images with {s.NumClasses} classes and the target {classifier.Channels}x{classifier.InputHeight}x{classifier.InputWidth} with {classifier.NumClasses}; surrogates must be on the target's input size and share its classes.",
                    nameof(classifier));
            }
        }

        return given.Surrogates;
    }

    /// <summary>
    /// Writes the candidate x + sign a d into <paramref name="candidate"/>: the perturbation scaled back onto the eps
    /// sphere (L2) or clipped to the eps box (L-inf), then the image clipped to [0, 1].
    /// </summary>
    private void Compose(GfcsImageState image, ReadOnlySpan<float> direction, double sign, Span<float> candidate)
    {
        ReadOnlySpan<float> clean = image.Clean, point = image.Best;
        double step = sign * Options.EffectiveStepSize, eps = Options.Epsilon;
        if (Options.Norm == NormKind.LInf)
        {
            for (int v = 0; v < clean.Length; v++)
            {
                float moved = (float)(point[v] + (step * direction[v]));
                candidate[v] = Math.Clamp(moved, Math.Max(0f, (float)(clean[v] - eps)), Math.Min(1f, (float)(clean[v] + eps)));
            }

            return;
        }

        double sumSquares = 0;
        for (int v = 0; v < clean.Length; v++)
        {
            double d = point[v] - (double)clean[v] + (step * direction[v]);
            sumSquares += d * d;
        }

        // Onto the sphere, a hair inside so that rounding to float cannot push the norm above eps.
        double scale = sumSquares > eps * eps ? eps / Math.Sqrt(sumSquares) * (1 - 1e-6) : 1.0;
        for (int v = 0; v < clean.Length; v++)
        {
            double d = (point[v] - (double)clean[v] + (step * direction[v])) * scale;
            candidate[v] = Math.Clamp((float)(clean[v] + d), 0f, 1f);
        }
    }

    /// <summary>Keeps the candidate if its loss is strictly lower (a new point: the surrogate order restarts); says whether it also fools the target.</summary>
    private bool TryAccept(GfcsImageState image, ReadOnlySpan<float> candidate, ReadOnlySpan<float> logits, out bool fooled)
    {
        fooled = false;
        if (!TryImprove(image, candidate, logits))
        {
            return false;
        }

        image.RunnerUp = LogitMath.ArgMaxExcept(logits, image.Goal.TrueClass);
        Reshuffle(image);
        image.UsingOds = false;
        if (Criterion.IsAdversarial(logits, image.Goal))
        {
            image.ContinuousSuccessQueries ??= image.Queries;
            fooled = true;
        }

        return true;
    }

    /// <summary>
    /// One Start or Step call: directions, candidates and the round bookkeeping, rented once and reused by every
    /// iteration of the call.
    /// </summary>
    private sealed class GfcsSlice : Slice
    {
        private readonly GfcsAttack _attack;
        private readonly AttackState _state;
        private readonly IClassifier _classifier;
        private readonly IReadOnlyList<IGradientModel> _surrogates;
        private readonly QueryBuffer _queries;
        private readonly int _classes;

        /// <summary>Per slot: its direction (the normalized gradient, or its sign for L-inf).</summary>
        private readonly float[] _directions;

        /// <summary>Per slot: the logit weights of its direction (unused by the targeted cross-entropy).</summary>
        private readonly float[] _slotWeights;

        /// <summary>Gradient call inputs and outputs, packed by surrogate and loss kind.</summary>
        private readonly float[] _packedImages;
        private readonly float[] _packedGradients;
        private readonly float[] _packedWeights;
        private readonly float[] _packedLogits;
        private readonly float[] _packedLosses;
        private readonly int[] _packedLabels;
        private readonly int[] _packedTargets;
        private readonly int[] _packedSlots;

        /// <summary>Per slot: which surrogate gives its direction, and whether it is the targeted cross-entropy (else weighted logits).</summary>
        private readonly int[] _surrogateOf;
        private readonly bool[] _crossEntropy;

        private readonly TwoSidedRounds _rounds;
        private readonly TwoSidedCandidate _compose;
        private readonly TwoSidedJudge _judge;
        private IReadOnlyList<int> _active = [];

        public GfcsSlice(GfcsAttack attack, AttackState state, IClassifier classifier, IReadOnlyList<IGradientModel> surrogates, int capacity)
        {
            _attack = attack;
            _state = state;
            _classifier = classifier;
            _surrogates = surrogates;
            _classes = classifier.NumClasses;
            _queries = new QueryBuffer(state.ImageLength, _classes, capacity);
            int slots = _queries.Capacity, length = state.ImageLength;
            _directions = ArrayPool<float>.Shared.Rent(slots * length);
            _slotWeights = ArrayPool<float>.Shared.Rent(slots * _classes);
            _packedImages = ArrayPool<float>.Shared.Rent(slots * length);
            _packedGradients = ArrayPool<float>.Shared.Rent(slots * length);
            _packedWeights = ArrayPool<float>.Shared.Rent(slots * _classes);
            _packedLogits = ArrayPool<float>.Shared.Rent(slots * _classes);
            _packedLosses = ArrayPool<float>.Shared.Rent(slots);
            _packedLabels = ArrayPool<int>.Shared.Rent(slots);
            _packedTargets = ArrayPool<int>.Shared.Rent(slots);
            _packedSlots = ArrayPool<int>.Shared.Rent(slots);
            _surrogateOf = ArrayPool<int>.Shared.Rent(slots);
            _crossEntropy = ArrayPool<bool>.Shared.Rent(slots);
            _rounds = new TwoSidedRounds(slots);
            _compose = Compose;
            _judge = Judge;
        }

        /// <summary>One direction per active image (surrogate gradients), then the two-sided step along it: x + a d, and x - a d where the plus did not improve, with the grid checks.</summary>
        public override long Iterate(IReadOnlyList<int> active)
        {
            GfcsAttack attack = _attack;
            ChooseDirections(active);
            ComputeDirections(active);

            _active = active;
            return attack.TwoSidedStep(_state, _classifier, active, _queries, _rounds, _compose, _judge);
        }

        protected override void Release()
        {
            _queries.Dispose();
            ArrayPool<float>.Shared.Return(_directions);
            ArrayPool<float>.Shared.Return(_slotWeights);
            ArrayPool<float>.Shared.Return(_packedImages);
            ArrayPool<float>.Shared.Return(_packedGradients);
            ArrayPool<float>.Shared.Return(_packedWeights);
            ArrayPool<float>.Shared.Return(_packedLogits);
            ArrayPool<float>.Shared.Return(_packedLosses);
            ArrayPool<int>.Shared.Return(_packedLabels);
            ArrayPool<int>.Shared.Return(_packedTargets);
            ArrayPool<int>.Shared.Return(_packedSlots);
            ArrayPool<int>.Shared.Return(_surrogateOf);
            ArrayPool<bool>.Shared.Return(_crossEntropy);
        }

        /// <summary>
        /// Picks each image's surrogate and loss: the next untried surrogate's loss gradient, or, when none is left, an
        /// ODS direction (fresh weights w ~ U[-1, 1]^C, then a random surrogate, in the reference's order of draws).
        /// Weighted-logit rows go to <see cref="Weights"/>.
        /// </summary>
        private void ChooseDirections(IReadOnlyList<int> active)
        {
            for (int slot = 0; slot < active.Count; slot++)
            {
                var image = (GfcsImageState)_state.Images[active[slot]];
                Span<float> w = Weights(slot);
                w.Clear();
                if (image.Tried < image.Order.Length)
                {
                    _surrogateOf[slot] = image.Order[image.Tried++];
                    _crossEntropy[slot] = image.Goal.IsTargeted;
                    if (!image.Goal.IsTargeted)
                    {
                        // d (z_r - z_y): toward the target's runner-up class, away from the true class.
                        w[image.RunnerUp] = 1;
                        w[image.Goal.TrueClass] = -1;
                    }

                    continue;
                }

                image.UsingOds = true;
                image.OdsIterations++;
                for (int k = 0; k < w.Length; k++)
                {
                    w[k] = (float)((image.Random.NextDouble() * 2) - 1);
                }

                _surrogateOf[slot] = image.Random.NextInt(_surrogates.Count);
                _crossEntropy[slot] = false;
            }
        }

        /// <summary>
        /// Computes every slot's direction at its current point: one gradient call per surrogate and loss kind over the
        /// images that chose it (each image one gradient evaluation), then normalizes: unit L2 norm, or the sign for L-inf.
        /// </summary>
        private void ComputeDirections(IReadOnlyList<int> active)
        {
            int count = active.Count;
            int length = _state.ImageLength;
            for (int s = 0; s < _surrogates.Count; s++)
            {
                foreach (bool crossEntropy in (ReadOnlySpan<bool>)[false, true])
                {
                    int n = 0;
                    for (int slot = 0; slot < count; slot++)
                    {
                        if (_surrogateOf[slot] != s || _crossEntropy[slot] != crossEntropy)
                        {
                            continue;
                        }

                        AttackImageState image = _state.Images[active[slot]];
                        image.Best.CopyTo(_packedImages.AsSpan(n * length, length));
                        Weights(slot).CopyTo(_packedWeights.AsSpan(n * _classes, _classes));
                        _packedLabels[n] = image.Goal.TrueClass;
                        _packedTargets[n] = image.Goal.LossClass;
                        _packedSlots[n] = slot;
                        image.GradientEvaluations++;
                        n++;
                    }

                    if (n == 0)
                    {
                        continue;
                    }

                    ReadOnlySpan<float> images = _packedImages.AsSpan(0, n * length);
                    Span<float> logits = _packedLogits.AsSpan(0, n * _classes), losses = _packedLosses.AsSpan(0, n), gradients = _packedGradients.AsSpan(0, n * length);
                    if (crossEntropy)
                    {
                        _surrogates[s].ComputeGradients(images, n, GradientLoss.TargetedCrossEntropy, _packedLabels.AsSpan(0, n), _packedTargets.AsSpan(0, n), logits, losses, gradients);
                    }
                    else
                    {
                        _surrogates[s].ComputeLogitGradients(images, n, _packedWeights.AsSpan(0, n * _classes), logits, losses, gradients);
                    }

                    for (int k = 0; k < n; k++)
                    {
                        Normalize(gradients.Slice(k * length, length), Direction(_packedSlots[k]));
                    }
                }
            }
        }

        /// <summary>The unit-L2 direction of a gradient (zero stays zero), or its sign for L-inf.</summary>
        private void Normalize(ReadOnlySpan<float> gradient, Span<float> direction)
        {
            if (_attack.Options.Norm == NormKind.LInf)
            {
                for (int v = 0; v < gradient.Length; v++)
                {
                    direction[v] = Math.Sign(gradient[v]);
                }

                return;
            }

            double sum = 0;
            foreach (float g in gradient)
            {
                sum += (double)g * g;
            }

            double scale = sum > 0 ? 1 / Math.Sqrt(sum) : 0;
            for (int v = 0; v < gradient.Length; v++)
            {
                direction[v] = (float)(gradient[v] * scale);
            }
        }

        private Span<float> Direction(int slot) => _directions.AsSpan(slot * _state.ImageLength, _state.ImageLength);

        private Span<float> Weights(int slot) => _slotWeights.AsSpan(slot * _classes, _classes);

        /// <summary>The plus side first (an iteration begins), then the minus side, along the slot's direction.</summary>
        private void Compose(int slot, bool second, int destination)
        {
            var image = (GfcsImageState)_state.Images[_active[slot]];
            if (!second)
            {
                image.Iterations++;
            }

            _attack.Compose(image, Direction(slot), second ? -1 : 1, _queries.Image(destination));
        }

        private bool Judge(int slot, int destination, out bool fooled) =>
            _attack.TryAccept((GfcsImageState)_state.Images[_active[slot]], _queries.Image(destination), _queries.Logits(destination), out fooled);
    }
}
