using AttackCore.Models;

namespace AttackCore.Attacks;

/// <summary>
/// The losses of the Square Attack and GFCS papers (their reference code's <c>margin_loss</c> and cross-entropy): untargeted, the margin <c>logit_y - max_{k != y} logit_k</c>;
/// targeted, the cross-entropy of the target class <c>-log softmax(logits)_t</c>, with margin
/// <c>max_{k != t} logit_k - logit_t</c>.
/// </summary>
public sealed class MarginLoss : IAttackLoss
{
    /// <summary>Gets the shared instance.</summary>
    public static MarginLoss Instance { get; } = new();

    /// <inheritdoc />
    public LossValue Evaluate(ReadOnlySpan<float> logits, AttackGoal goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        double margin = goal.Margin(logits);
        return goal.IsTargeted
            ? new LossValue(LogitMath.LogSumExp(logits) - logits[goal.LossClass], margin)
            : new LossValue(margin, margin);
    }
}
