using System.Buffers;
using AttackCore.Gradients;
using AttackCore.Imaging;
using AttackCore.Models;

namespace AttackCore.Attacks.Transfer;

/// <summary>
/// The zero-query transfer attack: momentum iterative FGSM on the surrogates the attacker owns (Dong, Liao, Pang, Su,
/// Zhu, Hu, Li, "Boosting Adversarial Attacks with Momentum", CVPR 2018), optionally with input diversity (DI, Xie et
/// al., CVPR 2019) and translation invariance (TI, Dong, Pang, Su, Zhu, CVPR 2019); the target is queried once per
/// image, with the 8-bit result.
/// </summary>
/// <remarks>
/// <para>
/// Each of the T iterations takes, per image, the gradient of the mean of the surrogates' losses (every surrogate sees
/// the same, possibly diversified, image in one batched call): grad = (1/S) sum_s d loss_s / d x. With DI the gradient
/// is taken at a randomly resized and padded copy (drawn from the image's own stream, with probability p) and sent back
/// through the transform; with TI it is convolved with a normalized Gaussian kernel W. Then MI-FGSM:
/// g = mu g + grad / ||grad||_1; L-inf: x = clip_{x0, eps}(x + alpha sign(g)); L2: x = P(x + alpha g / ||g||_2), with
/// alpha = eps / T by default, P the projection on the L2 ball and [0,1].
/// </para>
/// <para>
/// Counting: every surrogate evaluation of an image adds one to <see cref="AttackImageState.GradientEvaluations"/>
/// (S per iteration); the target is never asked during the iterations. After the last iteration the iterate is put on
/// the 8-bit grid inside the ball and sent to the target once: that one query decides success or failure. The target
/// is a black box: only its label (through the usual criterion) is read.
/// </para>
/// </remarks>
public sealed class TransferAttack : GradientAttack<TransferOptions>
{
    private readonly TranslationKernel? _kernel;

    /// <summary>Initializes a new instance of the <see cref="TransferAttack"/> class.</summary>
    /// <param name="options">The options; checked here.</param>
    /// <param name="timeProvider">The clock for <see cref="StepBudget.MaxDuration"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public TransferAttack(TransferOptions options, TimeProvider? timeProvider = null)
        : base(options, options?.Loss ?? GradientLoss.CrossEntropy, timeProvider)
    {
        _kernel = Options.TranslationInvariance ? new TranslationKernel(Options.KernelSize, Options.EffectiveKernelSigma) : null;
    }

    /// <summary>Starts a run: every iterate at its clean image, no momentum; nothing is evaluated yet.</summary>
    /// <inheritdoc />
    public override AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals)
    {
        SurrogatesOf(classifier);
        WhiteBoxChecks.Goals(Options.Loss, goals, Options.AttackName);
        return NewState(classifier, cleanImages, goals);
    }

    /// <inheritdoc />
    protected override Slice BeginSlice(AttackState state, IClassifier classifier)
    {
        RequireImages<TransferImageState>(state);
        return new TransferSlice(this, state, classifier, SurrogatesOf(classifier), state.Images.Count(i => i.Status == ImageAttackStatus.Running));
    }

    /// <summary>Gets the surrogates the engine handed over with the target, or says plainly what this attack needs.</summary>
    private IReadOnlyList<IGradientModel> SurrogatesOf(IClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        if (classifier is not ISurrogateModels { Surrogates.Count: > 0 } guided)
        {
            throw new ArgumentException(
                $"{Options.AttackName} crafts on the gradients of surrogate models, and this model comes without any. Name one or more surrogates (--surrogate: a preset, an .onnx file or a .json spec), or use an attack that needs none such as square.",
                nameof(classifier));
        }

        foreach (IGradientModel surrogate in guided.Surrogates)
        {
            if (surrogate.InputHeight != classifier.InputHeight || surrogate.InputWidth != classifier.InputWidth || surrogate.Channels != classifier.Channels || surrogate.NumClasses != classifier.NumClasses)
            {
                throw new ArgumentException(
                    $"A surrogate takes {surrogate.Channels}x{surrogate.InputHeight}x{surrogate.InputWidth} images with {surrogate.NumClasses} classes and the target {classifier.Channels}x{classifier.InputHeight}x{classifier.InputWidth} with {classifier.NumClasses}; load surrogates on the target's grid and classes.",
                    nameof(classifier));
            }
        }

        return guided.Surrogates;
    }

    private sealed class TransferSlice : Slice
    {
        private readonly TransferAttack _attack;
        private readonly AttackState _state;
        private readonly IClassifier _target;
        private readonly IReadOnlyList<IGradientModel> _surrogates;
        private readonly GradientBuffer _gradients;
        private readonly QueryBuffer _queries;
        private readonly float[] _mean;
        private readonly float[] _scratch;
        private readonly (AxisMap Rows, AxisMap Columns)?[] _diversity;
        private readonly List<int> _finishing;

        public TransferSlice(TransferAttack attack, AttackState state, IClassifier target, IReadOnlyList<IGradientModel> surrogates, int capacity)
        {
            _attack = attack;
            _state = state;
            _target = target;
            _surrogates = surrogates;
            _gradients = new GradientBuffer(state.ImageLength, target.NumClasses, capacity);
            _queries = new QueryBuffer(state.ImageLength, target.NumClasses, capacity);
            _mean = ArrayPool<float>.Shared.Rent(Math.Max(capacity, 1) * state.ImageLength);
            _scratch = ArrayPool<float>.Shared.Rent(state.ImageLength);
            _diversity = new (AxisMap, AxisMap)?[Math.Max(capacity, 1)];
            _finishing = new List<int>(capacity);
        }

        public override long Iterate(IReadOnlyList<int> active)
        {
            TransferOptions options = _attack.Options;
            int length = _state.ImageLength;
            bool targeted = _state.Images[active[0]].Goal.IsTargeted;
            for (int slot = 0; slot < active.Count; slot++)
            {
                var image = (TransferImageState)_state.Images[active[slot]];
                _diversity[slot] = options.InputDiversity
                    ? InputDiversity.Draw(image.Random, _state.Height, _state.Width, options.DiversityProbability, options.DiversityScale)
                    : null;
                Span<float> input = _gradients.Points.Image(slot);
                if (_diversity[slot] is var (rows, columns))
                {
                    AxisMap.Apply(rows, columns, image.Point, _state.Channels, input);
                }
                else
                {
                    image.Point.CopyTo(input);
                }

                _gradients.SetGoal(slot, image.Goal.TrueClass, image.Goal.TargetClass ?? -1);
            }

            // The ensemble: the mean of the surrogates' losses, so the mean of their gradients.
            Span<float> mean = _mean.AsSpan(0, active.Count * length);
            mean.Clear();
            GradientLoss loss = GradientLossMath.ForGoal(options.Loss, targeted);
            foreach (IGradientModel surrogate in _surrogates)
            {
                _gradients.Evaluate(surrogate, active.Count, loss);
                for (int slot = 0; slot < active.Count; slot++)
                {
                    ReadOnlySpan<float> gradient = _gradients.Gradient(slot);
                    Span<float> sum = mean.Slice(slot * length, length);
                    for (int v = 0; v < length; v++)
                    {
                        sum[v] += gradient[v];
                    }
                }
            }

            _finishing.Clear();
            for (int slot = 0; slot < active.Count; slot++)
            {
                var image = (TransferImageState)_state.Images[active[slot]];
                image.GradientEvaluations += _surrogates.Count;
                image.Iterations++;
                Span<float> gradient = mean.Slice(slot * length, length);
                if (_diversity[slot] is var (rows, columns))
                {
                    gradient.CopyTo(_scratch);
                    AxisMap.ApplyTransposed(rows, columns, _scratch.AsSpan(0, length), _state.Channels, gradient);
                }

                _attack._kernel?.Smooth(gradient, _state.Channels, _state.Height, _state.Width, _scratch);
                Accumulate(image.Momentum, gradient, options.Momentum);
                _attack.Ascend(image.Clean, image.Point, image.Momentum, options.EffectiveStepSize, image.Point);
                if (image.Iterations >= options.Iterations)
                {
                    _finishing.Add(active[slot]);
                }
            }

            // Like the other gradient attacks, the slice budget counts each gradient evaluation as work done.
            return (_finishing.Count == 0 ? 0 : QueryTarget()) + ((long)active.Count * _surrogates.Count);
        }

        protected override void Release()
        {
            _gradients.Dispose();
            _queries.Dispose();
            ArrayPool<float>.Shared.Return(_mean);
            ArrayPool<float>.Shared.Return(_scratch);
        }

        /// <summary>g = mu g + grad / ||grad||_1 (the 1/S of the mean cancels in the normalization).</summary>
        private static void Accumulate(float[] momentum, ReadOnlySpan<float> gradient, double mu)
        {
            double l1 = 0;
            foreach (float v in gradient)
            {
                l1 += Math.Abs(v);
            }

            double scale = 1 / (l1 + 1e-12);
            for (int v = 0; v < momentum.Length; v++)
            {
                momentum[v] = (float)((mu * momentum[v]) + (scale * gradient[v]));
            }
        }

        /// <summary>The one query per image: its final iterate on the 8-bit grid inside the ball, all in one call to the target.</summary>
        private long QueryTarget()
        {
            TransferOptions options = _attack.Options;
            for (int k = 0; k < _finishing.Count; k++)
            {
                var image = (TransferImageState)_state.Images[_finishing[k]];
                Span<float> slot = _queries.Image(k);
                image.Point.CopyTo(slot);
                PixelGrid.Project(image.Clean, slot, options.Norm, options.Epsilon);
            }

            long spent = _queries.Predict(_target, _finishing.Count);
            for (int k = 0; k < _finishing.Count; k++)
            {
                var image = (TransferImageState)_state.Images[_finishing[k]];
                ReadOnlySpan<float> logits = _queries.Logits(k);
                image.Queries++;
                _attack.SetBest(image, _queries.Image(k), logits, _attack.Loss.Evaluate(logits, image.Goal));
                image.Status = _attack.Criterion.IsAdversarial(logits, image.Goal) ? ImageAttackStatus.Succeeded : ImageAttackStatus.Exhausted;
            }

            return spent;
        }
    }
}
