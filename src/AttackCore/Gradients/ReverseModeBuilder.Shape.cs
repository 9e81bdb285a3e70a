using AttackCore.Gradients.Onnx;

namespace AttackCore.Gradients;

/// <summary>Gradient rules of operators that move, select, split or reduce elements.</summary>
internal sealed partial class ReverseModeBuilder
{
    private void AddShapeRules(Dictionary<string, Func<NodeProto, string?[], string?[]>> r)
    {
        // Pure re-indexing of the same elements in the same order: the gradient takes the input's shape back.
        foreach (var op in new[] { "Reshape", "Flatten", "Squeeze", "Unsqueeze" })
        {
            r[op] = (n, g) => [ReshapeLike(g[0]!, n.Input[0])];
        }

        r["Transpose"] = (n, g) =>
        {
            long[] perm = Attr.GetInts(n, "perm") ?? [.. Enumerable.Range(0, Fact(n.Input[0]).Rank).Reverse().Select(i => (long)i)];
            var inverse = new long[perm.Length];
            for (int i = 0; i < perm.Length; i++)
            {
                inverse[perm[i]] = i;
            }

            return [w.Op("Transpose", [g[0]!], Attr.Ints("perm", inverse))];
        };
        r["Expand"] = (n, g) => [Unbroadcast(g[0]!, n, n.Input[0])];
        r["Concat"] = ConcatGradient;
        r["Split"] = SplitGradient;
        r["Slice"] = (n, g) => [ScatterBack(n.Input[0], g[0]!, (positions, _) => w.Op("Slice", [positions, .. n.Input.Skip(1)]))];
        r["Gather"] = (n, g) => [ScatterBack(n.Input[0], g[0]!, (positions, _) => w.Op("Gather", [positions, n.Input[1]], Attr.Int("axis", Attr.GetInt(n, "axis", 0))))];
        r["GatherElements"] = (n, g) => [ScatterBack(n.Input[0], g[0]!, (positions, _) => w.Op("GatherElements", [positions, n.Input[1]], Attr.Int("axis", Attr.GetInt(n, "axis", 0))))];
        r["Pad"] = PadGradient;
        r["ReduceMean"] = (n, g) => [ReduceGradient(n, g[0]!, mean: true)];
        r["ReduceSum"] = (n, g) => [ReduceGradient(n, g[0]!, mean: false)];
    }

    private string?[] ConcatGradient(NodeProto node, string?[] g)
    {
        int rank = Fact(node.Output[0]).Rank;
        long axis = Attr.GetInt(node, "axis", 0);
        axis = axis < 0 ? axis + rank : axis;

        // The sizes along the axis are constants when they are fixed, else read at run time (the axis may be the batch).
        string sizes = axis > 0 && node.Input.All(i => Fact(i).BatchLeading)
            ? w.Int64s([.. node.Input.Select(i => Dims(i)[axis])])
            : w.Op("Concat", node.Input.Select(i => w.Op("Shape", [i], Attr.Int("start", axis), Attr.Int("end", axis + 1))), Attr.Int("axis", 0));
        var parts = w.OpMulti("Split", [g[0]!, sizes], node.Input.Count, Attr.Int("axis", axis));
        return [.. parts.Select((p, i) => Need(node, i) ? p : null)];
    }

    private string?[] SplitGradient(NodeProto node, string?[] g)
    {
        // Outputs nobody differentiates contribute zeros of their own shape.
        var parts = node.Output.Select((o, i) => g[i] ?? w.ZerosLike(o, ElemType(node.Input[0])));
        return [w.Op("Concat", parts, Attr.Int("axis", Attr.GetInt(node, "axis", 0)))];
    }

    private string?[] PadGradient(NodeProto node, string?[] g)
    {
        string mode = Attr.GetString(node, "mode", "constant");
        string x = node.Input[0];
        if (mode == "constant" && ConstInts(node, 1) is { } pads && pads.All(p => p >= 0))
        {
            // Constant padding only adds positions: the gradient is the output gradient with them cut off.
            int rank = Fact(x).Rank;
            long[] axes = node.Input.Count > 3 && node.Input[3].Length > 0 ? Normalize(ConstInts(node, 3)!, rank) : [.. Enumerable.Range(0, rank).Select(i => (long)i)];
            int n = axes.Length;
            return [w.Op("Slice", [g[0]!, w.Int64s(pads[..n]), w.Int64s([.. pads[n..].Select(p => p > 0 ? -p : long.MaxValue)]), w.Int64s(axes)])];
        }

        // Otherwise padded positions read the value "size", one past the last element, so their gradient lands in the
        // dropped slot; reflect and edge modes repeat real positions, whose gradients then accumulate.
        return
        [
            ScatterBack(x, g[0]!, (positions, size) =>
            {
                var inputs = new List<string> { positions, node.Input[1], mode == "constant" ? size : string.Empty };
                if (node.Input.Count > 3)
                {
                    inputs.Add(node.Input[3]);
                }

                return w.Op("Pad", inputs, Attr.String("mode", mode));
            }),
        ];
    }

    private string ReduceGradient(NodeProto node, string grad, bool mean)
    {
        string x = node.Input[0];
        int rank = Fact(x).Rank;

        // ReduceSum takes its axes as an input from opset 13, ReduceMean from opset 18.
        bool axesAsInput = !mean || opset >= 18;
        long[]? axes = axesAsInput ? ConstInts(node, 1) : Attr.GetInts(node, "axes");
        if (axes is null or { Length: 0 })
        {
            if (Attr.GetInt(node, "noop_with_empty_axes", 0) != 0)
            {
                return grad;
            }

            axes = [.. Enumerable.Range(0, rank).Select(i => (long)i)];
        }

        axes = Normalize(axes, rank);
        string kept = Attr.GetInt(node, "keepdims", 1) != 0 ? grad : w.Op("Unsqueeze", [grad, w.Int64s(axes)]);
        string spread = w.Op("Expand", [kept, ShapeOf(x, batch: 1)]);
        if (!mean)
        {
            return spread;
        }

        // The count of averaged elements, at run time (it includes the batch when the batch axis is reduced).
        string count = w.Op("Cast", [w.Op("Div", [w.Op("Size", [x]), w.Op("Size", [node.Output[0]])])], Attr.Int("to", ElemType(x)));
        return w.Op("Div", [spread, count]);
    }
}
