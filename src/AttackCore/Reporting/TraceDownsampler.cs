namespace AttackCore.Reporting;

/// <summary>Thins a trace to a size a report can carry and a chart can draw.</summary>
public static class TraceDownsampler
{
    /// <summary>
    /// Keeps at most <paramref name="max"/> points: always the first and the last, and points evenly
    /// spaced by position in between, in their original order.
    /// </summary>
    /// <param name="points">The full trace, oldest first.</param>
    /// <param name="max">The most points to keep; at least 2.</param>
    /// <returns>A new list; a copy of <paramref name="points"/> when it already fits.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="max"/> is less than 2.</exception>
    public static IReadOnlyList<TracePoint> Downsample(IReadOnlyList<TracePoint> points, int max)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 2);

        var count = points.Count;
        if (count <= max)
        {
            return [.. points];
        }

        // Index i of the result takes source index round(i * (count - 1) / (max - 1)). Because
        // count > max the source step exceeds 1, so the indices are strictly increasing: no duplicates,
        // and i = 0 and i = max - 1 land exactly on the first and the last point.
        var result = new TracePoint[max];
        var step = (double)(count - 1) / (max - 1);
        for (var i = 0; i < max; i++)
        {
            result[i] = points[(int)Math.Round(i * step, MidpointRounding.AwayFromZero)];
        }

        result[max - 1] = points[count - 1];
        return result;
    }
}
