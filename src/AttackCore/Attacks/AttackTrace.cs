using AttackCore.Models;

namespace AttackCore.Attacks;

/// <summary>Records an image's progress points (the start and every improvement), thinned to a capacity.</summary>
internal static class AttackTrace
{
    /// <summary>
    /// Adds a point for <paramref name="image"/> at its current query count: the loss and margin of the new best,
    /// the softmax confidence of the true class, and of the strongest other class (the target when targeted).
    /// </summary>
    /// <param name="image">The image; its model calls so far (queries plus gradient evaluations) are the point's position.</param>
    /// <param name="logits">The model's scores for the new best image.</param>
    /// <param name="value">The loss and margin of the new best image.</param>
    /// <param name="capacity">The most points kept; when full, every other point after the first is dropped.</param>
    public static void Record(AttackImageState image, ReadOnlySpan<float> logits, LossValue value, int capacity)
    {
        ArgumentNullException.ThrowIfNull(image);
        double logSum = LogitMath.LogSumExp(logits);
        int trueClass = image.Goal.TrueClass;
        int winner = image.Goal.TargetClass ?? -1;
        if (winner < 0)
        {
            winner = trueClass == 0 ? 1 : 0;
            for (int k = 0; k < logits.Length; k++)
            {
                if (k != trueClass && logits[k] > logits[winner])
                {
                    winner = k;
                }
            }
        }

        Add(image, new AttackTracePoint(
            image.Queries + image.GradientEvaluations,
            value.Loss,
            value.Margin,
            Math.Exp(logits[trueClass] - logSum),
            Math.Exp(logits[winner] - logSum),
            winner), capacity);
    }

    /// <summary>Adds <paramref name="point"/> to the image's trace, thinning it first when it is full.</summary>
    /// <param name="image">The image.</param>
    /// <param name="point">The point.</param>
    /// <param name="capacity">The most points kept.</param>
    public static void Add(AttackImageState image, AttackTracePoint point, int capacity)
    {
        ArgumentNullException.ThrowIfNull(image);
        List<AttackTracePoint> trace = image.Trace;
        if (trace.Count >= capacity)
        {
            // Keep the first point and every other later one, so the trace covers the whole run at half the density.
            int kept = 1;
            for (int k = 2; k < trace.Count; k += 2)
            {
                trace[kept++] = trace[k];
            }

            trace.RemoveRange(kept, trace.Count - kept);
        }

        trace.Add(point);
    }
}
