using AttackCore.Models;

namespace AttackCore.Attacks;

/// <summary>
/// The cross-entropy as a value to minimize: untargeted, minus the cross-entropy of the true class
/// (<c>logit_y - logsumexp(logits)</c>, so minimizing it raises the true class's cross-entropy); targeted, the
/// cross-entropy of the target (<c>logsumexp(logits) - logit_t</c>). The margin is <see cref="AttackGoal.Margin"/>.
/// Bandits-TD's reference uses this loss.
/// </summary>
public sealed class CrossEntropyLoss : IAttackLoss
{
    /// <summary>Gets the shared instance.</summary>
    public static CrossEntropyLoss Instance { get; } = new();

    /// <inheritdoc />
    public LossValue Evaluate(ReadOnlySpan<float> logits, AttackGoal goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        double margin = goal.Margin(logits);
        double crossEntropy = LogitMath.LogSumExp(logits) - logits[goal.LossClass];
        return new LossValue(goal.IsTargeted ? crossEntropy : -crossEntropy, margin);
    }
}
