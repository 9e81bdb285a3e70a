using AttackCore.Gradients;
using AttackCore.Models;

namespace AttackCore.Attacks.Pgd;

/// <summary>
/// Projected gradient descent on the loss, here ascent (Madry, Makelov, Schmidt, Tsipras, Vladu, "Towards Deep Learning
/// Models Resistant to Adversarial Attacks", ICLR 2018): from a random point of the eps ball, repeat x = P(x + alpha
/// sign(grad)) for L-inf, or x = P(x + alpha grad / |grad|) for L2, where P projects onto the ball and [0,1].
/// </summary>
/// <remarks>
/// One iteration per running image: one gradient evaluation at the iterate, which also gives its logits; an iterate that
/// fools the model is checked on the 8-bit grid (one forward query) and ends the image when the check holds. Otherwise
/// the iterate takes its step. A restart evaluates <see cref="PgdOptions.Steps"/> + 1 points (the start, then after each
/// step), so the last step is judged too; then the next restart draws a fresh start, and after the last the image is
/// exhausted.
/// </remarks>
public sealed class PgdAttack : GradientAttack<PgdOptions>
{
    /// <summary>Initializes a new instance of the <see cref="PgdAttack"/> class.</summary>
    /// <param name="options">The options; checked here.</param>
    /// <param name="timeProvider">The clock for <see cref="StepBudget.MaxDuration"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public PgdAttack(PgdOptions options, TimeProvider? timeProvider = null)
        : base(options, options?.Loss ?? GradientLoss.CrossEntropy, timeProvider)
    {
    }

    /// <summary>Starts a run: each image's first start point is drawn; nothing is evaluated yet.</summary>
    /// <inheritdoc />
    public override AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals)
    {
        GradientsOf(classifier);
        WhiteBoxChecks.Goals(Options.Loss, goals, Options.AttackName);
        AttackState state = NewState(classifier, cleanImages, goals);
        foreach (PgdImageState image in state.Images.Cast<PgdImageState>())
        {
            Restart(image);
        }

        return state;
    }

    /// <inheritdoc />
    protected override Slice BeginSlice(AttackState state, IClassifier classifier)
    {
        RequireImages<PgdImageState>(state);

        return new PgdSlice(this, state, classifier, GradientsOf(classifier), state.Images.Count(i => i.Status == ImageAttackStatus.Running));
    }

    private void Restart(PgdImageState image)
    {
        image.StepInRestart = 0;
        if (Options.RandomStart)
        {
            RandomStart(image.Clean, image.Random, image.Point);
        }
        else
        {
            image.Clean.CopyTo(image.Point, 0);
        }
    }

    private sealed class PgdSlice(PgdAttack attack, AttackState state, IClassifier classifier, IGradientModel model, int capacity) : Slice
    {
        private readonly GradientBuffer _gradients = new(state.ImageLength, model.NumClasses, capacity);
        private readonly QueryBuffer _checks = new(state.ImageLength, model.NumClasses, capacity);
        private readonly List<int> _queue = new(capacity);

        public override long Iterate(IReadOnlyList<int> active)
        {
            PgdOptions options = attack.Options;
            bool targeted = state.Images[active[0]].Goal.IsTargeted;
            for (int slot = 0; slot < active.Count; slot++)
            {
                var image = (PgdImageState)state.Images[active[slot]];
                image.Point.CopyTo(_gradients.Points.Image(slot));
                _gradients.SetGoal(slot, image.Goal.TrueClass, image.Goal.TargetClass ?? -1);
            }

            _gradients.Evaluate(model, active.Count, GradientLossMath.ForGoal(options.Loss, targeted));
            for (int slot = 0; slot < active.Count; slot++)
            {
                var image = (PgdImageState)state.Images[active[slot]];
                image.GradientEvaluations++;
                image.Iterations++;
                attack.Judge(image, active[slot], image.Point, _gradients.Points.Logits(slot), _queue);
                if (image.StepInRestart < options.Steps)
                {
                    attack.Ascend(image.Clean, image.Point, _gradients.Gradient(slot), options.EffectiveStepSize, image.Point);
                    image.StepInRestart++;
                }
                else if (image.Restart + 1 < options.Restarts)
                {
                    image.Restart++;
                    attack.Restart(image);
                }
                else
                {
                    // The run's last point was just judged; only its 8-bit check can still save the image.
                    image.StepInRestart++;
                }
            }

            long queries = attack.RunGridChecks(state, classifier, _queue, _checks);
            foreach (int index in active)
            {
                var image = (PgdImageState)state.Images[index];
                if (image.Status == ImageAttackStatus.Running && image.StepInRestart > options.Steps)
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
        }
    }
}
