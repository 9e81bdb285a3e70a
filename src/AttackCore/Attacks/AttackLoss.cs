using AttackCore.Models;

namespace AttackCore.Attacks;

/// <summary>A loss value to minimize and the margin that says how far the image is from fooling the model.</summary>
/// <param name="Loss">The value the attack minimizes; a candidate is kept only when it is strictly lower.</param>
/// <param name="Margin">Positive while the model still resists; zero or below once it is fooled.</param>
public readonly record struct LossValue(double Loss, double Margin);

/// <summary>Turns one image's logits into a loss for the attack to minimize (ART's <c>loss</c> strategy).</summary>
public interface IAttackLoss
{
    /// <summary>Evaluates one image.</summary>
    /// <param name="logits">The model's scores for the image.</param>
    /// <param name="goal">What the attack wants for this image.</param>
    /// <returns>The loss and the margin.</returns>
    LossValue Evaluate(ReadOnlySpan<float> logits, AttackGoal goal);
}

/// <summary>Decides whether a classification counts as fooled (ART's <c>adv_criterion</c>).</summary>
public interface IAdversarialCriterion
{
    /// <summary>Says whether <paramref name="logits"/> achieve the goal.</summary>
    /// <param name="logits">The model's scores for the image.</param>
    /// <param name="goal">What the attack wants for this image.</param>
    /// <returns><see langword="true"/> when the image is adversarial.</returns>
    bool IsAdversarial(ReadOnlySpan<float> logits, AttackGoal goal);
}

/// <summary>Untargeted: the top-1 class is no longer the true class. Targeted: the top-1 class is the target.</summary>
public sealed class TopOneCriterion : IAdversarialCriterion
{
    /// <summary>Gets the shared instance.</summary>
    public static TopOneCriterion Instance { get; } = new();

    /// <inheritdoc />
    public bool IsAdversarial(ReadOnlySpan<float> logits, AttackGoal goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        int top = LogitMath.ArgMax(logits);
        return goal.TargetClass is int t ? top == t : top != goal.TrueClass;
    }
}
