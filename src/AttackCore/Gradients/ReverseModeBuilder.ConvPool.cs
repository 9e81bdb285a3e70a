using AttackCore.Gradients.Onnx;

namespace AttackCore.Gradients;

/// <summary>Gradient rules of convolutions and pooling.</summary>
internal sealed partial class ReverseModeBuilder
{
    private void AddConvPoolRules(Dictionary<string, Func<NodeProto, string?[], string?[]>> r)
    {
        r["Conv"] = ConvGradient;
        r["MaxPool"] = MaxPoolGradient;
        r["AveragePool"] = AveragePoolGradient;
        r["GlobalAveragePool"] = (n, g) =>
        {
            string x = n.Input[0];
            double count = Dims(x).Skip(2).Aggregate(1.0, (p, d) => p * d);
            return [w.Op("Expand", [w.Op("Div", [g[0]!, Const(x, count)]), ShapeOf(x, batch: 1)])];
        };
    }

    private string?[] ConvGradient(NodeProto node, string?[] g)
    {
        // The input gradient of a convolution is the transposed convolution of the output gradient with the same
        // weights, strides, dilations and groups (the weight layout [M, C/group, k...] is what ConvTranspose reads).
        string x = node.Input[0], weights = node.Input[1];
        int spatial = Fact(x).Rank - 2;
        long[] kernel = Attr.GetInts(node, "kernel_shape") ?? Dims(weights)[2..];
        long[] strides = Attr.GetInts(node, "strides") ?? Ones(spatial);
        long[] dilations = Attr.GetInts(node, "dilations") ?? Ones(spatial);
        if (UnitStrideInputGradient(node, g[0]!, kernel, strides, dilations) is string unitStride)
        {
            return [unitStride];
        }

        var (pads, outputPadding) = TransposeGeometry(node, kernel, strides, dilations);
        return
        [
            w.Op(
                "ConvTranspose",
                [g[0]!, weights],
                Attr.Ints("strides", strides),
                Attr.Ints("dilations", dilations),
                Attr.Ints("pads", pads),
                Attr.Ints("output_padding", outputPadding),
                Attr.Int("group", Attr.GetInt(node, "group", 1))),
        ];
    }

    /// <summary>
    /// The input gradient of a convolution with stride 1 as a plain Conv of the output gradient, which ONNX Runtime runs
    /// in its blocked (NCHWc) layout like the forward convolutions, where ConvTranspose is a slower unblocked kernel:
    /// dx[i] = sum_k W[k] dy[i + p - k d], a correlation with the spatially flipped filters whose input and output
    /// channels are swapped within each group, padded (k - 1) d - p_begin before and what makes the input's size after.
    /// <see langword="null"/> (use ConvTranspose) for a stride above 1, or when a pad would be negative. A strided
    /// depthwise gradient could be the same Conv over the output gradient interleaved with zeros, but ONNX Runtime's
    /// Pad on that six-dimensional view cost several times the grouped ConvTranspose (measured on MobileNet V2).
    /// </summary>
    private string? UnitStrideInputGradient(NodeProto node, string dy, long[] kernel, long[] strides, long[] dilations)
    {
        if (strides.Any(s => s != 1) || UnitStrideTransposePads(node, kernel, dilations) is not { } pads)
        {
            return null;
        }

        string weights = node.Input[1];
        long group = Attr.GetInt(node, "group", 1);
        long[] wd = Dims(weights);
        int spatial = kernel.Length;

        // [M, C/group, k...] -> [C, M/group, k...]: within each group the filter of output m over input c becomes the
        // filter of output c over input m. A depthwise layer (one input channel per group, one filter each) is its own swap.
        long inPerGroup = wd[1], outPerGroup = wd[0] / group;
        long[] tail = wd[2..];
        string swapped = weights;
        if (group == 1)
        {
            swapped = w.Op("Transpose", [weights], Attr.Ints("perm", [1, 0, .. Enumerable.Range(2, spatial).Select(i => (long)i)]));
        }
        else if (inPerGroup != 1 || outPerGroup != 1)
        {
            string split = w.Op("Reshape", [weights, w.Int64s([group, outPerGroup, inPerGroup, .. tail])]);
            string transposed = w.Op("Transpose", [split], Attr.Ints("perm", [0, 2, 1, .. Enumerable.Range(3, spatial).Select(i => (long)i)]));
            swapped = w.Op("Reshape", [transposed, w.Int64s([group * inPerGroup, outPerGroup, .. tail])]);
        }

        string filters = swapped;
        if (kernel.Any(k => k > 1))
        {
            long[] axes = [.. Enumerable.Range(2, spatial).Select(i => (long)i)];
            filters = w.Op("Slice", [swapped, w.Int64s([.. axes.Select(_ => -1L)]), w.Int64s([.. axes.Select(_ => long.MinValue)]), w.Int64s(axes), w.Int64s([.. axes.Select(_ => -1L)])]);
        }

        return w.Op("Conv", [dy, filters], Attr.Ints("dilations", dilations), Attr.Ints("pads", pads), Attr.Ints("strides", Ones(spatial)), Attr.Int("group", group));
    }

    /// <summary>
    /// The pads of a stride-1 Conv of the output gradient with flipped filters that lands exactly on the input's
    /// positions: (k - 1) d - p_begin before and what makes the input's size after; <see langword="null"/> when one is negative.
    /// </summary>
    private long[]? UnitStrideTransposePads(NodeProto node, long[] kernel, long[] dilations)
    {
        long[] xs = Dims(node.Input[0]), ys = Dims(node.Output[0]);
        int spatial = kernel.Length;
        long[] declared = DeclaredPads(node, kernel, Ones(spatial), dilations);
        var pads = new long[2 * spatial];
        for (int i = 0; i < spatial; i++)
        {
            long reach = (kernel[i] - 1) * dilations[i];
            long before = reach - declared[i];
            long after = xs[2 + i] + reach - before - ys[2 + i];
            if (before < 0 || after < 0)
            {
                return null;
            }

            (pads[i], pads[i + spatial]) = (before, after);
        }

        return pads;
    }

    private string?[] MaxPoolGradient(NodeProto node, string?[] g)
    {
        if (Attr.GetInt(node, "storage_order", 0) != 0)
        {
            throw Refuse(node, "MaxPool with storage_order 1 (column-major indices) is not supported.");
        }

        // The forward pool also reports where each maximum came from (flat positions in the input, one per window:
        // the first maximum in scan order, as PyTorch picks on ties); every window sends its gradient there and
        // overlapping windows that chose the same input accumulate.
        if (node.Output.Count < 2 || node.Output[1].Length == 0)
        {
            string indices = w.Fresh("maxpool_indices");
            if (node.Output.Count < 2)
            {
                node.Output.Add(indices);
            }
            else
            {
                node.Output[1] = indices;
            }
        }

        string x = node.Input[0];
        string size = w.Op("Reshape", [w.Op("Size", [x]), w.Int64s(1)]);
        string zeros = w.Op("ConstantOfShape", [size], Attr.Tensor("value", GraphWriter.MakeTensor(ElemType(x), [1], [0.0])));
        string flat = w.Op(
            "ScatterElements",
            [zeros, w.Op("Reshape", [node.Output[1], w.Int64s(-1)]), w.Op("Reshape", [g[0]!, w.Int64s(-1)])],
            Attr.Int("axis", 0),
            Attr.String("reduction", "add"));
        return [ReshapeLike(flat, x)];
    }

    private string?[] AveragePoolGradient(NodeProto node, string?[] g)
    {
        if (Attr.GetInts(node, "dilations") is { } d && d.Any(v => v != 1))
        {
            throw Refuse(node, "AveragePool with dilations is not supported.");
        }

        // Each output is (sum of its window) / divisor. Spread g / divisor back over the windows with a transposed
        // convolution by a kernel of ones, one channel at a time (the channels are folded into the batch).
        string x = node.Input[0];
        long[] xs = Dims(x), ys = Dims(node.Output[0]);
        int spatial = xs.Length - 2;
        long[] kernel = Attr.GetInts(node, "kernel_shape")!;
        long[] strides = Attr.GetInts(node, "strides") ?? Ones(spatial);
        var (pads, outputPadding) = TransposeGeometry(node, kernel, strides, Ones(spatial));
        long[] declared = DeclaredPads(node, kernel, strides, Ones(spatial));
        bool includePad = Attr.GetInt(node, "count_include_pad", 0) != 0;

        var divisor = new double[ys[2..].Aggregate(1L, (p, v) => p * v)];
        Array.Fill(divisor, 1.0);
        long stride = divisor.Length;
        for (int axis = 0; axis < spatial; axis++)
        {
            long outSize = ys[2 + axis], inSize = xs[2 + axis], before = declared[axis], after = declared[axis + spatial];
            stride /= outSize;
            for (long i = 0; i < divisor.Length; i++)
            {
                long o = i / stride % outSize;
                long start = (o * strides[axis]) - before;
                long end = Math.Min(start + kernel[axis], inSize + after);
                long count = includePad ? end - start : Math.Min(end, inSize) - Math.Max(start, 0);
                divisor[i] *= count;
            }
        }

        // With stride 1 and the same divisor everywhere (no padding, or padding counted), the spread is a depthwise
        // Conv by a kernel of 1 / divisor, which ONNX Runtime runs in its blocked layout like the convolutions around it.
        if (strides.All(s => s == 1) && divisor.All(d => d == divisor[0]) && UnitStrideTransposePads(node, kernel, Ones(spatial)) is { } unitPads)
        {
            long channels = xs[1];
            long taps = kernel.Aggregate(1L, (p, v) => p * v);
            string average = w.Constant(ElemType(x), [channels, 1, .. kernel], Enumerable.Repeat(1.0 / divisor[0], (int)(channels * taps)).ToArray());
            return [w.Op("Conv", [g[0]!, average], Attr.Ints("pads", unitPads), Attr.Int("group", channels))];
        }

        string perWindow = w.Op("Div", [g[0]!, w.Constant(ElemType(x), ys[2..], divisor)]);
        string folded = w.Op("Reshape", [perWindow, w.Int64s([-1, 1, .. ys[2..]])]);
        string ones = w.Constant(ElemType(x), [1, 1, .. kernel], Enumerable.Repeat(1.0, (int)kernel.Aggregate(1L, (p, v) => p * v)).ToArray());
        string spread = w.Op("ConvTranspose", [folded, ones], Attr.Ints("strides", strides), Attr.Ints("pads", pads), Attr.Ints("output_padding", outputPadding));
        return [ReshapeLike(spread, x)];
    }

    private static long[] Ones(int count) => [.. Enumerable.Repeat(1L, count)];

    /// <summary>The node's pads as begin..., end..., with auto_pad resolved for the probed input size.</summary>
    private long[] DeclaredPads(NodeProto node, long[] kernel, long[] strides, long[] dilations)
    {
        long[] xs = Dims(node.Input[0]), ys = Dims(node.Output[0]);
        int spatial = kernel.Length;
        string autoPad = Attr.GetString(node, "auto_pad", "NOTSET");
        long[] pads = Attr.GetInts(node, "pads") ?? new long[2 * spatial];
        var result = new long[2 * spatial];
        for (int i = 0; i < spatial; i++)
        {
            long extent = ((kernel[i] - 1) * dilations[i]) + 1;
            long total = Math.Max(0, ((ys[2 + i] - 1) * strides[i]) + extent - xs[2 + i]);
            (result[i], result[i + spatial]) = autoPad switch
            {
                "SAME_UPPER" => (total / 2, total - (total / 2)),
                "SAME_LOWER" => (total - (total / 2), total / 2),
                "VALID" => (0L, 0L),
                _ => (pads[i], pads[i + spatial]),
            };
        }

        return result;
    }

    /// <summary>
    /// Pads and output padding for a ConvTranspose that maps an output gradient back onto exactly the input's
    /// positions: it spans s (o - 1) + extent positions of the padded input; the leading pads are cropped, and the
    /// end is cropped or extended (output_padding, less than the stride) to the input's size.
    /// </summary>
    private (long[] Pads, long[] OutputPadding) TransposeGeometry(NodeProto node, long[] kernel, long[] strides, long[] dilations)
    {
        long[] xs = Dims(node.Input[0]), ys = Dims(node.Output[0]);
        int spatial = kernel.Length;
        long[] pads = DeclaredPads(node, kernel, strides, dilations);
        var outputPadding = new long[spatial];
        for (int i = 0; i < spatial; i++)
        {
            long full = (strides[i] * (ys[2 + i] - 1)) + ((kernel[i] - 1) * dilations[i]) + 1;

            // Windows that run past the padded end (ceil_mode) see no input there: crop that part too.
            pads[i + spatial] = Math.Max(pads[i + spatial], full - pads[i] - xs[2 + i]);
            outputPadding[i] = xs[2 + i] - (full - pads[i] - pads[i + spatial]);
        }

        return (pads, outputPadding);
    }
}
