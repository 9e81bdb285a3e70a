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

/// <summary>
/// The Square Attack paper's losses: untargeted, the margin <c>logit_y - max_{k != y} logit_k</c>;
/// targeted, the cross-entropy of the target class <c>-log softmax(logits)_t</c>, with margin
/// <c>max_{k != t} logit_k - logit_t</c>.
/// </summary>
public sealed class SquareAttackLoss : IAttackLoss
{
    /// <summary>Gets the shared instance.</summary>
    public static SquareAttackLoss Instance { get; } = new();

    /// <inheritdoc />
    public LossValue Evaluate(ReadOnlySpan<float> logits, AttackGoal goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        int c = goal.LossClass;
        double others = MaxExcept(logits, c);
        if (!goal.IsTargeted)
        {
            double margin = logits[c] - others;
            return new LossValue(margin, margin);
        }

        double crossEntropy = LogSumExp(logits) - logits[c];
        return new LossValue(crossEntropy, others - logits[c]);
    }

    internal static double MaxExcept(ReadOnlySpan<float> logits, int except)
    {
        double best = double.NegativeInfinity;
        for (int k = 0; k < logits.Length; k++)
        {
            if (k != except && logits[k] > best)
            {
                best = logits[k];
            }
        }

        return best;
    }

    internal static double LogSumExp(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        foreach (float v in logits)
        {
            sum += Math.Exp(v - max);
        }

        return max + Math.Log(sum);
    }
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
        int top = ArgMax(logits);
        return goal.TargetClass is int t ? top == t : top != goal.TrueClass;
    }

    /// <summary>Index of the largest value; the first one on ties.</summary>
    /// <param name="values">The scores.</param>
    /// <returns>The index.</returns>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++)
        {
            if (values[k] > values[best])
            {
                best = k;
            }
        }

        return best;
    }
}
