namespace AttackCore.Models;

/// <summary>
/// The arithmetic on one image's scores that every attack, loss and report shares: the top class, the best other
/// class, the log-sum-exp and softmax probabilities.
/// </summary>
public static class LogitMath
{
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

    /// <summary>The largest score of any class but <paramref name="except"/>.</summary>
    /// <param name="logits">The scores.</param>
    /// <param name="except">The class left out.</param>
    /// <returns>The value; negative infinity when no other class exists.</returns>
    public static double MaxExcept(ReadOnlySpan<float> logits, int except)
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

    /// <summary>The class with the largest score other than <paramref name="except"/>; the first on ties.</summary>
    /// <param name="logits">The scores.</param>
    /// <param name="except">The class left out.</param>
    /// <returns>The class; -1 when no other class exists.</returns>
    public static int ArgMaxExcept(ReadOnlySpan<float> logits, int except)
    {
        int best = -1;
        for (int k = 0; k < logits.Length; k++)
        {
            if (k != except && (best < 0 || logits[k] > logits[best]))
            {
                best = k;
            }
        }

        return best;
    }

    /// <summary><c>log sum_k exp(logits_k)</c>, shifted by the maximum so it neither overflows nor underflows.</summary>
    /// <param name="logits">The scores.</param>
    /// <returns>The value.</returns>
    public static double LogSumExp(ReadOnlySpan<float> logits)
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

    /// <summary>The softmax probability of class <paramref name="k"/>.</summary>
    /// <param name="logits">The scores.</param>
    /// <param name="k">The class.</param>
    /// <returns><c>exp(logits_k - logsumexp(logits))</c>.</returns>
    public static double Softmax(ReadOnlySpan<float> logits, int k) => Math.Exp(logits[k] - LogSumExp(logits));
}
