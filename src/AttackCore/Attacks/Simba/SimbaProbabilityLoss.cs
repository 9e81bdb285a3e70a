using AttackCore.Models;

namespace AttackCore.Attacks.Simba;

/// <summary>
/// The SimBA paper's loss: untargeted, the softmax probability of the true class (to decrease); targeted, the
/// probability of the target class (to increase). The margin is the logit gap, <see cref="AttackGoal.Margin"/>.
/// </summary>
/// <remarks>
/// The value returned is the logarithm of that probability (untargeted <c>log p_y</c>, targeted <c>-log p_t</c>):
/// the logarithm is increasing, so every accept-or-reject decision is the paper's, but it keeps telling candidates
/// apart where a confident model's probability rounds to exactly 1 (a logit gap above about 37), computed with
/// <c>log1p</c> for that reason.
/// </remarks>
public sealed class SimbaProbabilityLoss : IAttackLoss
{
    /// <summary>Gets the shared instance.</summary>
    public static SimbaProbabilityLoss Instance { get; } = new();

    /// <inheritdoc />
    public LossValue Evaluate(ReadOnlySpan<float> logits, AttackGoal goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        int c = goal.LossClass;
        double others = LogitMath.MaxExcept(logits, c);
        double logProbability = LogProbability(logits, c, others);
        return goal.IsTargeted
            ? new LossValue(-logProbability, others - logits[c])
            : new LossValue(logProbability, logits[c] - others);
    }

    /// <summary>
    /// <c>log softmax(logits)_c</c>. When class c leads, it is <c>-log1p(sum_{k != c} exp(l_k - l_c))</c>, which stays
    /// exact where the probability is within rounding of 1 (the plain <c>l_c - logsumexp</c> would give 0 there).
    /// </summary>
    private static double LogProbability(ReadOnlySpan<float> logits, int c, double others)
    {
        if (logits[c] < others)
        {
            return logits[c] - LogitMath.LogSumExp(logits);
        }

        double sum = 0;
        for (int k = 0; k < logits.Length; k++)
        {
            if (k != c)
            {
                sum += Math.Exp(logits[k] - (double)logits[c]);
            }
        }

        // log1p(sum) to a few ulps (Kahan's trick: the rounding of 1 + sum cancels in log(u) / (u - 1)).
        double u = 1 + sum;
        return u == 1 ? -sum : -(Math.Log(u) * sum / (u - 1));
    }
}
