namespace AttackCore.Imaging;

/// <summary>
/// A linear map of an image along one axis (out[i] = sum_k w[i, k] in[k]), kept sparse: bilinear resampling has at
/// most two weights per output. Two maps (rows, then columns) make a separable resize Y = R_y X R_x^T per plane,
/// whose reverse pass is the transposed maps: dX = R_y^T dY R_x.
/// </summary>
internal sealed class AxisMap
{
    private readonly (int Source, double Weight)[][] _rows;

    private AxisMap(int inputSize, (int Source, double Weight)[][] rows)
    {
        InputSize = inputSize;
        _rows = rows;
    }

    /// <summary>Gets the length of the axis the map reads.</summary>
    public int InputSize { get; }

    /// <summary>Gets the length of the axis the map writes.</summary>
    public int OutputSize => _rows.Length;

    /// <summary>
    /// Bilinear resampling from <paramref name="inputSize"/> to <paramref name="outputSize"/> samples as PyTorch's
    /// <c>F.interpolate(mode="bilinear", align_corners=False, antialias=False)</c> computes it: output i reads the
    /// source position (i + 0.5) in / out - 0.5, clamped at 0 below, between its two neighbours (the last one repeated
    /// at the edge).
    /// </summary>
    /// <param name="inputSize">The source length (at least 1).</param>
    /// <param name="outputSize">The target length (at least 1).</param>
    /// <returns>The map.</returns>
    public static AxisMap Bilinear(int inputSize, int outputSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputSize);
        double scale = (double)inputSize / outputSize;
        var rows = new (int, double)[outputSize][];
        for (int i = 0; i < outputSize; i++)
        {
            double source = Math.Max(((i + 0.5) * scale) - 0.5, 0);
            int low = Math.Min((int)source, inputSize - 1);
            int high = Math.Min(low + 1, inputSize - 1);
            double lambda = source - low;
            rows[i] = high == low || lambda == 0 ? [(low, 1.0)] : [(low, 1 - lambda), (high, lambda)];
        }

        return new AxisMap(inputSize, rows);
    }

    /// <summary>Zero padding: <paramref name="before"/> zeros, the input, then zeros up to <paramref name="outputSize"/>.</summary>
    /// <param name="inputSize">The source length.</param>
    /// <param name="outputSize">The padded length (at least <paramref name="inputSize"/> + <paramref name="before"/>).</param>
    /// <param name="before">The zeros in front.</param>
    /// <returns>The map.</returns>
    public static AxisMap Pad(int inputSize, int outputSize, int before)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(before);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSize, inputSize + before);
        var rows = new (int, double)[outputSize][];
        for (int i = 0; i < outputSize; i++)
        {
            int source = i - before;
            rows[i] = source >= 0 && source < inputSize ? [(source, 1.0)] : [];
        }

        return new AxisMap(inputSize, rows);
    }

    /// <summary>The map that applies this one, then <paramref name="next"/>.</summary>
    /// <param name="next">A map whose input is this map's output.</param>
    /// <returns>The composed map (weights multiplied out, zero weights dropped).</returns>
    public AxisMap Then(AxisMap next)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (next.InputSize != OutputSize)
        {
            throw new ArgumentException($"The next map reads {next.InputSize} samples; this one writes {OutputSize}.", nameof(next));
        }

        var rows = new (int, double)[next.OutputSize][];
        var dense = new double[InputSize];
        for (int i = 0; i < rows.Length; i++)
        {
            Array.Clear(dense);
            foreach ((int middle, double outer) in next._rows[i])
            {
                foreach ((int source, double inner) in _rows[middle])
                {
                    dense[source] += outer * inner;
                }
            }

            rows[i] = [.. dense.Select((w, k) => (k, w)).Where(p => p.w != 0)];
        }

        return new AxisMap(InputSize, rows);
    }

    /// <summary>The map as a dense row-major OutputSize x InputSize matrix.</summary>
    /// <returns>The weights.</returns>
    public double[] ToDense()
    {
        var dense = new double[OutputSize * InputSize];
        for (int i = 0; i < _rows.Length; i++)
        {
            foreach ((int source, double weight) in _rows[i])
            {
                dense[(i * InputSize) + source] = weight;
            }
        }

        return dense;
    }

    /// <summary>
    /// Resamples every plane of a planar image: rows through <paramref name="rows"/>, columns through
    /// <paramref name="columns"/> (Y = R_y X R_x^T).
    /// </summary>
    /// <param name="rows">The map of the vertical axis.</param>
    /// <param name="columns">The map of the horizontal axis.</param>
    /// <param name="source">channels x rows.InputSize x columns.InputSize values.</param>
    /// <param name="channels">The planes.</param>
    /// <param name="destination">Receives channels x rows.OutputSize x columns.OutputSize values.</param>
    public static void Apply(AxisMap rows, AxisMap columns, ReadOnlySpan<float> source, int channels, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(columns);
        int inH = rows.InputSize, inW = columns.InputSize, outH = rows.OutputSize, outW = columns.OutputSize;
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> plane = source.Slice(c * inH * inW, inH * inW);
            Span<float> target = destination.Slice(c * outH * outW, outH * outW);
            for (int i = 0; i < outH; i++)
            {
                for (int j = 0; j < outW; j++)
                {
                    double sum = 0;
                    foreach ((int y, double wy) in rows._rows[i])
                    {
                        ReadOnlySpan<float> line = plane.Slice(y * inW, inW);
                        double inner = 0;
                        foreach ((int x, double wx) in columns._rows[j])
                        {
                            inner += wx * line[x];
                        }

                        sum += wy * inner;
                    }

                    target[(i * outW) + j] = (float)sum;
                }
            }
        }
    }

    /// <summary>
    /// The reverse pass of <see cref="Apply"/>: the gradient with respect to its source from the gradient with respect
    /// to its destination (dX = R_y^T dY R_x).
    /// </summary>
    /// <param name="rows">The map of the vertical axis, as given to <see cref="Apply"/>.</param>
    /// <param name="columns">The map of the horizontal axis.</param>
    /// <param name="gradient">channels x rows.OutputSize x columns.OutputSize values.</param>
    /// <param name="channels">The planes.</param>
    /// <param name="destination">Receives channels x rows.InputSize x columns.InputSize values (overwritten).</param>
    public static void ApplyTransposed(AxisMap rows, AxisMap columns, ReadOnlySpan<float> gradient, int channels, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(columns);
        int inH = rows.InputSize, inW = columns.InputSize, outH = rows.OutputSize, outW = columns.OutputSize;
        destination[..(channels * inH * inW)].Clear();
        for (int c = 0; c < channels; c++)
        {
            ReadOnlySpan<float> plane = gradient.Slice(c * outH * outW, outH * outW);
            Span<float> target = destination.Slice(c * inH * inW, inH * inW);
            for (int i = 0; i < outH; i++)
            {
                for (int j = 0; j < outW; j++)
                {
                    float g = plane[(i * outW) + j];
                    if (g == 0)
                    {
                        continue;
                    }

                    foreach ((int y, double wy) in rows._rows[i])
                    {
                        foreach ((int x, double wx) in columns._rows[j])
                        {
                            target[(y * inW) + x] += (float)(g * wy * wx);
                        }
                    }
                }
            }
        }
    }
}
