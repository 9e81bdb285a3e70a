using AttackCore.Models;
using AttackCore.Reporting;

namespace AttackCore.Engine;

/// <summary>Turns one row of scores into the ranked classes a report shows.</summary>
public static class ClassRanking
{
    /// <summary>Gets the <paramref name="k"/> highest-scoring classes, best first, with softmax probabilities.</summary>
    /// <param name="logits">One image's scores (logits or log-probabilities).</param>
    /// <param name="labels">The label of each class index (at least as many as <paramref name="logits"/>).</param>
    /// <param name="k">How many classes to return; fewer when there are fewer classes.</param>
    /// <returns>The classes, highest score first; ties go to the lower index, so the order is deterministic.</returns>
    public static IReadOnlyList<ClassScore> Top(ReadOnlySpan<float> logits, IReadOnlyList<string> labels, int k)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        double logSum = LogitMath.LogSumExp(logits);
        float[] scores = logits.ToArray();
        int[] order = Enumerable.Range(0, scores.Length).ToArray();
        Array.Sort(order, (a, b) => scores[b].CompareTo(scores[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return [.. order.Take(k).Select(i => new ClassScore { Index = i, Label = labels[i], Probability = Math.Exp(scores[i] - logSum), Logit = scores[i] })];
    }
}
