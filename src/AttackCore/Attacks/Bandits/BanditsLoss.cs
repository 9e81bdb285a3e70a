namespace AttackCore.Attacks.Bandits;

/// <summary>
/// The Bandits reference's loss, the cross-entropy, as a value to minimize: untargeted, minus the cross-entropy of
/// the true class (<c>logit_y - logsumexp(logits)</c>, so minimizing it raises the true class's cross-entropy as the
/// reference does); targeted, the cross-entropy of the target (<c>logsumexp(logits) - logit_t</c>). The margin is
/// <c>logit_y - max_{k != y} logit_k</c> untargeted and <c>max_{k != t} logit_k - logit_t</c> targeted.
/// </summary>
public sealed class BanditsLoss : IAttackLoss
{
    /// <summary>Gets the shared instance.</summary>
    public static BanditsLoss Instance { get; } = new();

    /// <inheritdoc />
    public LossValue Evaluate(ReadOnlySpan<float> logits, AttackGoal goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        int c = goal.LossClass;
        double others = SquareAttackLoss.MaxExcept(logits, c);
        double crossEntropy = SquareAttackLoss.LogSumExp(logits) - logits[c];
        return goal.IsTargeted
            ? new LossValue(crossEntropy, others - logits[c])
            : new LossValue(-crossEntropy, logits[c] - others);
    }
}
