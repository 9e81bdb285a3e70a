using AttackCore.Gradients;
using AttackCore.Models;

namespace AttackCore.Attacks.Fgsm;

/// <summary>
/// The fast gradient sign method (Goodfellow, Shlens, Szegedy, "Explaining and Harnessing Adversarial Examples",
/// ICLR 2015): one step of eps along the sign of the loss gradient (L-inf), or of length eps along the unit gradient
/// (L2, the "fast gradient method"), from the clean image.
/// </summary>
/// <remarks>
/// One iteration: one gradient evaluation at the clean image, the step, and one forward query of the step's 8-bit
/// projection, which decides success. A targeted run climbs minus the target's cross-entropy.
/// </remarks>
public sealed class FgsmAttack : GradientAttack<FgsmOptions>
{
    /// <summary>Initializes a new instance of the <see cref="FgsmAttack"/> class.</summary>
    /// <param name="options">The options; checked here.</param>
    /// <param name="timeProvider">The clock for <see cref="StepBudget.MaxDuration"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public FgsmAttack(FgsmOptions options, TimeProvider? timeProvider = null)
        : base(options, options?.Loss ?? GradientLoss.CrossEntropy, timeProvider)
    {
    }

    /// <summary>Starts a run: nothing is evaluated yet (the one gradient evaluation is the first iteration).</summary>
    /// <inheritdoc />
    public override AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals)
    {
        GradientsOf(classifier);
        WhiteBoxChecks.Goals(Options.Loss, goals, Options.AttackName);
        return NewState(classifier, cleanImages, goals);
    }

    /// <inheritdoc />
    protected override Slice BeginSlice(AttackState state, IClassifier classifier) =>
        new FgsmSlice(this, state, classifier, GradientsOf(classifier), state.Images.Count(i => i.Status == ImageAttackStatus.Running));

    private sealed class FgsmSlice(FgsmAttack attack, AttackState state, IClassifier classifier, IGradientModel model, int capacity) : Slice
    {
        private readonly GradientBuffer _gradients = new(state.ImageLength, model.NumClasses, capacity);
        private readonly QueryBuffer _queries = new(state.ImageLength, model.NumClasses, capacity);

        public override long Iterate(IReadOnlyList<int> active)
        {
            bool targeted = state.Images[active[0]].Goal.IsTargeted;
            for (int slot = 0; slot < active.Count; slot++)
            {
                AttackImageState image = state.Images[active[slot]];
                image.Clean.CopyTo(_gradients.Points.Image(slot));
                _gradients.SetGoal(slot, image.Goal.TrueClass, image.Goal.TargetClass ?? -1);
            }

            _gradients.Evaluate(model, active.Count, GradientLossMath.ForGoal(attack.Options.Loss, targeted));
            for (int slot = 0; slot < active.Count; slot++)
            {
                AttackImageState image = state.Images[active[slot]];
                image.GradientEvaluations++;
                image.Iterations++;
                Span<float> step = _queries.Image(slot);
                attack.Ascend(image.Clean, image.Clean, _gradients.Gradient(slot), attack.Options.Epsilon, step);
                PixelGrid.Project(image.Clean, step, attack.Options.Norm, attack.Options.Epsilon);
            }

            // The one forward query: the step's 8-bit image decides.
            long queries = _queries.Predict(classifier, active.Count);
            for (int slot = 0; slot < active.Count; slot++)
            {
                AttackImageState image = state.Images[active[slot]];
                ReadOnlySpan<float> logits = _queries.Logits(slot);
                image.Queries++;
                attack.SetBest(image, _queries.Image(slot), logits, attack.Loss.Evaluate(logits, image.Goal));
                image.Status = attack.Criterion.IsAdversarial(logits, image.Goal) ? ImageAttackStatus.Succeeded : ImageAttackStatus.Exhausted;
            }

            return queries + active.Count;
        }

        protected override void Release()
        {
            _gradients.Dispose();
            _queries.Dispose();
        }
    }
}
