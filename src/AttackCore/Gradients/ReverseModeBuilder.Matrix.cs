using AttackCore.Gradients.Onnx;

namespace AttackCore.Gradients;

/// <summary>Gradient rules of matrix products and softmax.</summary>
internal sealed partial class ReverseModeBuilder
{
    private void AddMatrixRules(Dictionary<string, Func<NodeProto, string?[], string?[]>> r)
    {
        r["Gemm"] = GemmGradient;
        r["MatMul"] = MatMulGradient;

        // y = softmax(x): dx = y * (g - sum(g * y)) along the axis.
        r["Softmax"] = (n, g) =>
        {
            string y = n.Output[0];
            string dot = w.Op("ReduceSum", [w.Op("Mul", [g[0]!, y]), w.Int64s(SoftmaxAxis(n))], Attr.Int("keepdims", 1));
            return [w.Op("Mul", [y, w.Op("Sub", [g[0]!, dot])])];
        };

        // y = log softmax(x): dx = g - exp(y) * sum(g) along the axis.
        r["LogSoftmax"] = (n, g) =>
        {
            string total = w.Op("ReduceSum", [g[0]!, w.Int64s(SoftmaxAxis(n))], Attr.Int("keepdims", 1));
            return [w.Op("Sub", [g[0]!, w.Op("Mul", [w.Op("Exp", [n.Output[0]]), total])])];
        };
    }

    /// <summary>The softmax axis; the graph is at opset 13 or later (see <see cref="OpsetNormalizer"/>), where one axis is normalized and -1 is the default.</summary>
    private static long SoftmaxAxis(NodeProto node) => Attr.GetInt(node, "axis", -1);

    private string?[] GemmGradient(NodeProto node, string?[] g)
    {
        // Y = alpha A' B' + beta C with A' = transA ? A^T : A and B' = transB ? B^T : B.
        // dA' = alpha g B'^T, dB' = alpha A'^T g; transposed back when the input was transposed.
        string a = node.Input[0], b = node.Input[1], grad = g[0]!;
        bool transA = Attr.GetInt(node, "transA", 0) != 0, transB = Attr.GetInt(node, "transB", 0) != 0;
        float alpha = Attr.GetFloat(node, "alpha", 1f), beta = Attr.GetFloat(node, "beta", 1f);
        string? da = null, db = null, dc = null;
        if (Need(node, 0))
        {
            da = transA
                ? w.Op("Gemm", [b, grad], Attr.Float("alpha", alpha), Attr.Int("transA", transB ? 1 : 0), Attr.Int("transB", 1))
                : w.Op("Gemm", [grad, b], Attr.Float("alpha", alpha), Attr.Int("transB", transB ? 0 : 1));
        }

        if (Need(node, 1))
        {
            db = transB
                ? w.Op("Gemm", [grad, a], Attr.Float("alpha", alpha), Attr.Int("transA", 1), Attr.Int("transB", transA ? 1 : 0))
                : w.Op("Gemm", [a, grad], Attr.Float("alpha", alpha), Attr.Int("transA", transA ? 0 : 1));
        }

        if (Need(node, 2))
        {
            dc = Unbroadcast(w.Op("Mul", [grad, Const(node.Output[0], beta)]), node, node.Input[2]);
        }

        return [da, db, dc];
    }

    private string?[] MatMulGradient(NodeProto node, string?[] g)
    {
        string a = node.Input[0], b = node.Input[1], grad = g[0]!;
        long[] ya = Dims(a), yb = Dims(b), y = Dims(node.Output[0]);
        if (ya.Length < 2 || yb.Length < 2)
        {
            throw Refuse(node, "MatMul with a 1-D operand is not supported for gradients; only operands of rank 2 or more.");
        }

        // dA = g B^T and dB = A^T g over the (broadcast) batch dimensions, then summed back to each operand's shape.
        string? da = null, db = null;
        if (Need(node, 0))
        {
            da = Unbroadcast(w.Op("MatMul", [grad, SwapLastTwo(b)]), [.. y[..^2], ya[^2], ya[^1]], a);
        }

        if (Need(node, 1))
        {
            db = Unbroadcast(w.Op("MatMul", [SwapLastTwo(a), grad]), [.. y[..^2], yb[^2], yb[^1]], b);
        }

        return [da, db];
    }

    private string SwapLastTwo(string tensor)
    {
        int rank = Fact(tensor).Rank;
        long[] perm = [.. Enumerable.Range(0, rank).Select(i => (long)i)];
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return w.Op("Transpose", [tensor], Attr.Ints("perm", perm));
    }
}
