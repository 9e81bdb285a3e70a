using System.Buffers;
using AttackCore.Gradients;
using AttackCore.Models;

namespace AttackCore.Attacks.Apgd;

/// <summary>
/// Auto-PGD (Croce and Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse
/// parameter-free attacks", ICML 2020), after the authors' reference code (github.com/fra31/auto-attack,
/// <c>autoattack/autopgd_base.py</c>): APGD-CE climbs the cross-entropy, APGD-T the targeted DLR loss towards each of
/// the clean image's highest other classes in turn.
/// </summary>
/// <remarks>
/// <para>
/// A run starts on the eps ball's boundary at a random point and evaluates it, then takes
/// <see cref="ApgdOptions.Iterations"/> steps, each followed by a gradient evaluation. A step moves from x_k by eta along
/// the gradient's sign (L-inf) or unit gradient (L2) to z, projected onto the ball and [0,1], and mixes it with the
/// previous move: x_{k+1} = P(x_k + alpha (z - x_k) + (1 - alpha)(x_k - x_{k-1})), alpha 0.75 (1 on the first step).
/// eta starts at 2 eps. At checkpoints (first after 22 % of the iterations, then at intervals that shrink by 3 % of
/// them down to 6 %), eta halves and the iterate goes back to the run's best point if at most 75 % of the steps since
/// the last checkpoint raised the loss, or if eta was not halved at the last checkpoint and the best loss has not
/// improved since.
/// </para>
/// <para>
/// Success is judged on every evaluated iterate: one that fools the model is checked on the 8-bit grid (one forward
/// query) and ends the image when the check holds. APGD-T with an untargeted goal ranks the clean image's classes with
/// one forward query at the start and tries the highest <see cref="ApgdTOptions.Targets"/> other classes in that order;
/// with a targeted goal it runs towards the goal's target only.
/// </para>
/// <para>
/// Differences from the reference, each deliberate: every image draws its starts from its own stream; the first
/// checkpoint compares the loss after the first step with the start point's loss (the reference reads an unset,
/// zero entry there); and successes must survive the 8-bit grid.
/// </para>
/// </remarks>
public sealed class ApgdAttack : GradientAttack<ApgdOptions>
{
    private const double Momentum = 0.75;
    private const double ImprovedShare = 0.75;

    /// <summary>Initializes a new instance of the <see cref="ApgdAttack"/> class.</summary>
    /// <param name="options">The options; checked here.</param>
    /// <param name="timeProvider">The clock for <see cref="StepBudget.MaxDuration"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public ApgdAttack(ApgdOptions options, TimeProvider? timeProvider = null)
        : base(options, options is ApgdTOptions ? GradientLoss.Margin : GradientLoss.CrossEntropy, timeProvider)
    {
    }

    /// <summary>Starts a run: ranks the targets (APGD-T with an untargeted goal, one forward query) and draws every image's first start.</summary>
    /// <inheritdoc />
    public override AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals)
    {
        GradientsOf(classifier);
        AttackState state = NewState(classifier, cleanImages, goals);
        if (Options is ApgdTOptions && classifier.NumClasses < 4)
        {
            throw new ArgumentException($"{Options.AttackName} needs a model with at least 4 classes (its DLR loss reads the 4 highest logits); this one has {classifier.NumClasses}.", nameof(classifier));
        }

        var untargeted = Enumerable.Range(0, state.Images.Count).Where(i => Options is ApgdTOptions && !state.Images[i].Goal.IsTargeted).ToList();
        if (untargeted.Count > 0)
        {
            using var queries = new QueryBuffer(state.ImageLength, classifier.NumClasses, untargeted.Count);
            for (int k = 0; k < untargeted.Count; k++)
            {
                state.Images[untargeted[k]].Clean.CopyTo(queries.Image(k));
            }

            queries.Predict(classifier, untargeted.Count);
            for (int k = 0; k < untargeted.Count; k++)
            {
                var image = (ApgdImageState)state.Images[untargeted[k]];
                image.Queries++;
                image.Targets = RankTargets(queries.Logits(k), image.Goal.TrueClass, Options.TargetCount);
            }
        }

        foreach (ApgdImageState image in state.Images.Cast<ApgdImageState>())
        {
            BeginRun(image);
        }

        return state;
    }

    /// <inheritdoc />
    protected override Slice BeginSlice(AttackState state, IClassifier classifier)
    {
        RequireImages<ApgdImageState>(state);

        return new ApgdSlice(this, state, classifier, GradientsOf(classifier), state.Images.Count(i => i.Status == ImageAttackStatus.Running));
    }

    /// <summary>The highest-scoring classes other than the true class, best first.</summary>
    private static int[] RankTargets(ReadOnlySpan<float> logits, int trueClass, int count)
    {
        float[] scores = logits.ToArray();
        return [.. Enumerable.Range(0, scores.Length)
            .Where(k => k != trueClass)
            .OrderByDescending(k => scores[k]).ThenBy(k => k)
            .Take(count)];
    }

    /// <summary>The number of runs the image gets: restarts times its targets.</summary>
    private int Runs(ApgdImageState image) => Options.Restarts * (image.Targets.Length > 0 ? image.Targets.Length : 1);

    /// <summary>The target of the image's current run, or -1 for an untargeted loss.</summary>
    private int TargetOf(ApgdImageState image) =>
        image.Targets.Length > 0 ? image.Targets[image.Run / Options.Restarts] : image.Goal.TargetClass ?? -1;

    private void BeginRun(ApgdImageState image)
    {
        RandomStart(image.Clean, image.Random, image.Point);
        image.Point.CopyTo(image.Previous, 0);
        image.StepSize = 2 * Options.Epsilon;
        image.Losses = new double[Options.Iterations + 1];
        image.RunEvaluations = 0;
        image.SinceCheck = 0;
        image.CheckInterval = Math.Max((int)(0.22 * Options.Iterations), 1);
        image.ReducedAtLastCheck = true;
    }

    /// <summary>The momentum step from the current iterate (see the remarks on the class).</summary>
    private void Move(ApgdImageState image, Span<float> z, Span<float> previousMove)
    {
        double alpha = image.RunEvaluations == 1 ? 1.0 : Momentum;
        float[] point = image.Point;
        for (int v = 0; v < point.Length; v++)
        {
            previousMove[v] = point[v] - image.Previous[v];
        }

        point.CopyTo(image.Previous, 0);
        Ascend(image.Clean, point, image.Gradient, image.StepSize, z);
        for (int v = 0; v < point.Length; v++)
        {
            point[v] = (float)(point[v] + (alpha * (z[v] - point[v])) + ((1 - alpha) * previousMove[v]));
        }

        Project(image.Clean, point);
    }

    /// <summary>A checkpoint: halve the step and go back to the run's best point when the loss stalled.</summary>
    private void Checkpoint(ApgdImageState image, int evaluation)
    {
        int interval = image.CheckInterval, raised = 0;
        for (int c = 0; c < interval; c++)
        {
            if (image.Losses[evaluation - c] > image.Losses[evaluation - c - 1])
            {
                raised++;
            }
        }

        bool oscillating = raised <= interval * ImprovedShare;
        bool stalled = !image.ReducedAtLastCheck && image.BestLossAtLastCheck >= image.RunBestLoss;
        bool reduce = oscillating || stalled;
        image.ReducedAtLastCheck = reduce;
        image.BestLossAtLastCheck = image.RunBestLoss;
        if (reduce)
        {
            image.StepSize /= 2;
            image.RunBest.CopyTo(image.Point, 0);
            image.RunBestGradient.CopyTo(image.Gradient, 0);
        }

        image.CheckInterval = Math.Max(interval - Math.Max((int)(0.03 * Options.Iterations), 1), Math.Max((int)(0.06 * Options.Iterations), 1));
        image.SinceCheck = 0;
    }

    /// <summary>Books one evaluated iterate into the run: its loss, the run's best, and the checkpoints.</summary>
    private void Record(ApgdImageState image, double loss, ReadOnlySpan<float> gradient)
    {
        gradient.CopyTo(image.Gradient);
        int r = image.RunEvaluations;
        image.Losses[r] = loss;
        if (r == 0 || loss > image.RunBestLoss)
        {
            image.Point.CopyTo(image.RunBest, 0);
            gradient.CopyTo(image.RunBestGradient);
            image.RunBestLoss = loss;
        }

        if (r == 0)
        {
            image.BestLossAtLastCheck = loss;
        }
        else if (++image.SinceCheck == image.CheckInterval)
        {
            Checkpoint(image, r);
        }

        image.RunEvaluations++;
    }

    private sealed class ApgdSlice : Slice
    {
        private readonly ApgdAttack _attack;
        private readonly AttackState _state;
        private readonly IClassifier _classifier;
        private readonly IGradientModel _model;
        private readonly GradientBuffer _gradients;
        private readonly QueryBuffer _checks;
        private readonly List<int> _queue;
        private readonly float[] _z;
        private readonly float[] _move;

        public ApgdSlice(ApgdAttack attack, AttackState state, IClassifier classifier, IGradientModel model, int capacity)
        {
            _attack = attack;
            _state = state;
            _classifier = classifier;
            _model = model;
            _gradients = new GradientBuffer(state.ImageLength, model.NumClasses, capacity);
            _checks = new QueryBuffer(state.ImageLength, model.NumClasses, capacity);
            _queue = new List<int>(capacity);
            _z = ArrayPool<float>.Shared.Rent(state.ImageLength);
            _move = ArrayPool<float>.Shared.Rent(state.ImageLength);
        }

        public override long Iterate(IReadOnlyList<int> active)
        {
            ApgdAttack attack = _attack;
            int length = _state.ImageLength;
            bool targeted = _state.Images[active[0]].Goal.IsTargeted;
            for (int slot = 0; slot < active.Count; slot++)
            {
                var image = (ApgdImageState)_state.Images[active[slot]];
                if (image.RunEvaluations > 0)
                {
                    attack.Move(image, _z.AsSpan(0, length), _move.AsSpan(0, length));
                }

                image.Point.CopyTo(_gradients.Points.Image(slot));
                _gradients.SetGoal(slot, image.Goal.TrueClass, attack.TargetOf(image));
            }

            _gradients.Evaluate(_model, active.Count, GradientLossMath.ForGoal(attack.Options.Loss, targeted));
            for (int slot = 0; slot < active.Count; slot++)
            {
                var image = (ApgdImageState)_state.Images[active[slot]];
                image.GradientEvaluations++;
                image.Iterations++;
                attack.Judge(image, active[slot], image.Point, _gradients.Points.Logits(slot), _queue);
                attack.Record(image, _gradients.LossOf(slot), _gradients.Gradient(slot));
                if (image.RunEvaluations > attack.Options.Iterations && image.Run + 1 < attack.Runs(image))
                {
                    image.Run++;
                    attack.BeginRun(image);
                }
            }

            long queries = attack.RunGridChecks(_state, _classifier, _queue, _checks);
            foreach (int index in active)
            {
                var image = (ApgdImageState)_state.Images[index];
                if (image.Status == ImageAttackStatus.Running && image.RunEvaluations > attack.Options.Iterations)
                {
                    image.Status = ImageAttackStatus.Exhausted;
                }
            }

            return queries + active.Count;
        }

        protected override void Release()
        {
            _gradients.Dispose();
            _checks.Dispose();
            ArrayPool<float>.Shared.Return(_z);
            ArrayPool<float>.Shared.Return(_move);
        }
    }
}
