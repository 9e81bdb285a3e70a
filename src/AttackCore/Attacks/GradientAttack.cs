using System.Buffers;
using AttackCore.Gradients;
using AttackCore.Models;

namespace AttackCore.Attacks;

/// <summary>
/// What the white-box attacks (FGSM, PGD, APGD) share on top of <see cref="Attack{TOptions}"/>: the model's gradients,
/// the ascent steps and projections of each norm, random starts, and the rule that a continuous iterate that fools the
/// model is checked on the 8-bit grid (one forward query) before the image counts as fooled.
/// </summary>
/// <typeparam name="TOptions">The attack's options.</typeparam>
/// <remarks>
/// Counting: each gradient evaluation (one forward and one backward pass) adds one to
/// <see cref="AttackImageState.GradientEvaluations"/>; <see cref="AttackImageState.Queries"/> counts only the forward
/// queries of the 8-bit checks. The best image and loss of the state follow the attack's reported loss
/// (<see cref="ReportedLoss"/>, as a value to minimize: minus the gradient loss), kept by the usual accept-if-better
/// rule, except that an iterate that fools the model always becomes the best, so that it is the one checked.
/// </remarks>
public abstract class GradientAttack<TOptions> : Attack<TOptions>
    where TOptions : AttackOptions
{
    /// <summary>Initializes a new instance of the <see cref="GradientAttack{TOptions}"/> class.</summary>
    /// <param name="options">The options; checked here.</param>
    /// <param name="reportedLoss">The loss the state's best image follows.</param>
    /// <param name="timeProvider">The clock for <see cref="StepBudget.MaxDuration"/>.</param>
    protected GradientAttack(TOptions options, GradientLoss reportedLoss, TimeProvider? timeProvider)
        : base(options, new GradientLossOnLogits(reportedLoss), criterion: null, timeProvider)
    {
        ReportedLoss = reportedLoss;
    }

    /// <summary>Gets the loss the state's best image follows.</summary>
    public GradientLoss ReportedLoss { get; }

    /// <summary>Gets 0: an iteration may spend no forward query (a gradient evaluation is not one).</summary>
    protected override int MinQueriesPerIteration => 0;

    /// <summary>One gradient evaluation and at most one 8-bit check per running image.</summary>
    protected override long PlannedQueries(AttackImageState image) => 2;

    /// <summary>Gets the model's gradients, or says plainly that this attack needs them.</summary>
    /// <param name="classifier">The model given to the attack.</param>
    /// <returns>The model as a gradient model.</returns>
    /// <exception cref="ArgumentException">The model gives no gradients.</exception>
    protected IGradientModel GradientsOf(IClassifier classifier) =>
        classifier as IGradientModel ?? throw new ArgumentException(
            $"{Options.AttackName} is a white-box attack: it needs the model's gradients, and this model gives only scores. Use an ONNX model file (its gradients are derived from the graph), or a score-based attack such as square.",
            nameof(classifier));

    /// <summary>
    /// Judges one evaluated iterate: if it fools the model, it becomes the image's best and is queued for the 8-bit
    /// check; otherwise it is kept only if its reported loss is better.
    /// </summary>
    /// <param name="image">The image.</param>
    /// <param name="index">The image's index in the state.</param>
    /// <param name="point">The iterate.</param>
    /// <param name="logits">Its logits.</param>
    /// <param name="gridChecks">The queue of 8-bit checks.</param>
    protected void Judge(AttackImageState image, int index, ReadOnlySpan<float> point, ReadOnlySpan<float> logits, List<int> gridChecks)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(gridChecks);
        if (Criterion.IsAdversarial(logits, image.Goal))
        {
            SetBest(image, point, logits, Loss.Evaluate(logits, image.Goal));
            gridChecks.Add(index);
        }
        else
        {
            TryImprove(image, point, logits);
        }
    }

    /// <summary>Runs the queued 8-bit checks in one forward call; an 8-bit image that fools the model finishes its image.</summary>
    /// <param name="state">The state.</param>
    /// <param name="classifier">The model.</param>
    /// <param name="gridChecks">The queue; cleared.</param>
    /// <param name="queries">A buffer with room for every queued image.</param>
    /// <returns>The forward queries spent.</returns>
    protected long RunGridChecks(AttackState state, IClassifier classifier, List<int> gridChecks, QueryBuffer queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        int n = PrepareGridChecks(state, gridChecks, queries, 0);
        long spent = queries.Predict(classifier, n);
        FinishGridChecks(state, gridChecks, queries, 0);
        gridChecks.Clear();
        return spent;
    }

    /// <summary>
    /// One ascent step from <paramref name="point"/> along <paramref name="gradient"/>, projected onto the ball around
    /// <paramref name="clean"/> and [0,1]: L-inf steps by <paramref name="step"/> times the sign of each value, L2 by
    /// <paramref name="step"/> along the unit gradient.
    /// </summary>
    /// <param name="clean">The clean image.</param>
    /// <param name="point">The current iterate.</param>
    /// <param name="gradient">The loss gradient at <paramref name="point"/>.</param>
    /// <param name="step">The step length.</param>
    /// <param name="destination">Receives the new iterate (may be <paramref name="point"/> itself).</param>
    protected void Ascend(ReadOnlySpan<float> clean, ReadOnlySpan<float> point, ReadOnlySpan<float> gradient, double step, Span<float> destination)
    {
        if (Options.Norm == NormKind.LInf)
        {
            for (int v = 0; v < clean.Length; v++)
            {
                destination[v] = (float)(point[v] + (step * Math.Sign(gradient[v])));
            }
        }
        else
        {
            double scale = step / (Norm(gradient) + 1e-12);
            for (int v = 0; v < clean.Length; v++)
            {
                destination[v] = (float)(point[v] + (scale * gradient[v]));
            }
        }

        Project(clean, destination);
    }

    /// <summary>Projects <paramref name="point"/> onto the eps ball around <paramref name="clean"/> (L-inf: a box; L2: radial scaling) and clips to [0,1].</summary>
    /// <param name="clean">The clean image.</param>
    /// <param name="point">The point; replaced by its projection.</param>
    protected void Project(ReadOnlySpan<float> clean, Span<float> point)
    {
        double eps = Options.Epsilon;
        if (Options.Norm == NormKind.LInf)
        {
            for (int v = 0; v < clean.Length; v++)
            {
                point[v] = Math.Clamp(point[v], Math.Max(0f, (float)(clean[v] - eps)), Math.Min(1f, (float)(clean[v] + eps)));
            }

            return;
        }

        double sum = 0;
        for (int v = 0; v < clean.Length; v++)
        {
            double d = point[v] - (double)clean[v];
            sum += d * d;
        }

        double norm = Math.Sqrt(sum);
        double scale = norm > eps ? eps / norm : 1.0;
        for (int v = 0; v < clean.Length; v++)
        {
            point[v] = Math.Clamp((float)(clean[v] + ((point[v] - (double)clean[v]) * scale)), 0f, 1f);
        }
    }

    /// <summary>
    /// A random start on the eps ball's boundary, as APGD's reference draws it: L-inf, uniform values in [-1, 1]
    /// scaled so the largest is eps; L2, a Gaussian direction of length eps. Clipped to [0,1].
    /// </summary>
    /// <param name="clean">The clean image.</param>
    /// <param name="random">The image's stream.</param>
    /// <param name="destination">Receives the start.</param>
    protected void RandomStart(ReadOnlySpan<float> clean, SeededRandom random, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(random);
        double[] noise = ArrayPool<double>.Shared.Rent(clean.Length);
        try
        {
            Span<double> t = noise.AsSpan(0, clean.Length);
            double scale;
            if (Options.Norm == NormKind.LInf)
            {
                double max = 0;
                for (int v = 0; v < t.Length; v++)
                {
                    t[v] = (2 * random.NextDouble()) - 1;
                    max = Math.Max(max, Math.Abs(t[v]));
                }

                scale = Options.Epsilon / (max + 1e-12);
            }
            else
            {
                GaussianNoise.Fill(random, t);
                double sum = 0;
                foreach (double d in t)
                {
                    sum += d * d;
                }

                scale = Options.Epsilon / (Math.Sqrt(sum) + 1e-12);
            }

            for (int v = 0; v < t.Length; v++)
            {
                destination[v] = Math.Clamp((float)(clean[v] + (scale * t[v])), 0f, 1f);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(noise);
        }
    }

    /// <summary>The L2 norm of <paramref name="values"/>.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The norm, summed in double.</returns>
    protected static double Norm(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += (double)v * v;
        }

        return Math.Sqrt(sum);
    }

    /// <summary>
    /// The buffers of one gradient call for the running images: the iterates (slot k of <see cref="Points"/>), their
    /// logits, losses, gradients, labels and targets, rented once per <c>Step</c> call.
    /// </summary>
    protected sealed class GradientBuffer : IDisposable
    {
        private readonly float[] _losses;
        private readonly float[] _gradients;
        private readonly int[] _labels;
        private readonly int[] _targets;

        /// <summary>Initializes a new instance of the <see cref="GradientBuffer"/> class.</summary>
        /// <param name="imageLength">Values per image.</param>
        /// <param name="classes">Scores per image.</param>
        /// <param name="capacity">The most images in one call.</param>
        public GradientBuffer(int imageLength, int classes, int capacity)
        {
            Points = new QueryBuffer(imageLength, classes, capacity);
            int n = Points.Capacity;
            _losses = ArrayPool<float>.Shared.Rent(n);
            _gradients = ArrayPool<float>.Shared.Rent(n * imageLength);
            _labels = ArrayPool<int>.Shared.Rent(n);
            _targets = ArrayPool<int>.Shared.Rent(n);
        }

        /// <summary>Gets the iterates and, after <see cref="Evaluate"/>, their logits.</summary>
        public QueryBuffer Points { get; }

        /// <summary>Gets the loss of slot <paramref name="slot"/>.</summary>
        /// <param name="slot">The slot.</param>
        /// <returns>The loss (to maximize).</returns>
        public double LossOf(int slot) => _losses[slot];

        /// <summary>Gets the gradient of slot <paramref name="slot"/>.</summary>
        /// <param name="slot">The slot.</param>
        /// <returns>d loss / d image.</returns>
        public ReadOnlySpan<float> Gradient(int slot) => _gradients.AsSpan(slot * Points.ImageLength, Points.ImageLength);

        /// <summary>Sets the true class and target of slot <paramref name="slot"/>.</summary>
        /// <param name="slot">The slot.</param>
        /// <param name="label">The true class.</param>
        /// <param name="target">The target, or -1 for none.</param>
        public void SetGoal(int slot, int label, int target)
        {
            _labels[slot] = label;
            _targets[slot] = target;
        }

        /// <summary>Evaluates slots 0 to <paramref name="count"/> - 1 in one gradient call.</summary>
        /// <param name="model">The model.</param>
        /// <param name="count">The slots.</param>
        /// <param name="loss">The loss; a targeted one reads the slots' targets (<see cref="GradientLossMath.ForGoal"/>).</param>
        public void Evaluate(IGradientModel model, int count, GradientLoss loss)
        {
            if (count == 0)
            {
                return;
            }

            model.ComputeGradients(
                Points.ImagesOf(count), count, loss, _labels.AsSpan(0, count), GradientLossMath.IsTargeted(loss) ? _targets.AsSpan(0, count) : [],
                Points.LogitsOf(count), _losses.AsSpan(0, count), _gradients.AsSpan(0, count * Points.ImageLength));
        }

        /// <inheritdoc />
        public void Dispose()
        {
            Points.Dispose();
            ArrayPool<float>.Shared.Return(_losses);
            ArrayPool<float>.Shared.Return(_gradients);
            ArrayPool<int>.Shared.Return(_labels);
            ArrayPool<int>.Shared.Return(_targets);
        }
    }

    /// <summary>The reported loss as an <see cref="IAttackLoss"/> (minus the gradient loss, so lower is better).</summary>
    private sealed class GradientLossOnLogits(GradientLoss loss) : IAttackLoss
    {
        public LossValue Evaluate(ReadOnlySpan<float> logits, AttackGoal goal)
        {
            ArgumentNullException.ThrowIfNull(goal);
            return new LossValue(-GradientLossMath.Value(logits, GradientLossMath.ForGoal(loss, goal.IsTargeted), goal.TrueClass, goal.TargetClass), goal.Margin(logits));
        }
    }
}
