using AttackCore.Gradients.Onnx;

namespace AttackCore.Gradients;

/// <summary>Gradient rules of element-wise operators and activations.</summary>
/// <remarks>
/// Where a derivative is undefined at a point (Relu at 0, Clip at its bounds, the kinks of HardSigmoid and
/// HardSwish) the rule takes PyTorch's choice, so the whole-model comparison with autograd is exact.
/// </remarks>
internal sealed partial class ReverseModeBuilder
{
    private Dictionary<string, Func<NodeProto, string?[], string?[]>> CreateRules()
    {
        var r = new Dictionary<string, Func<NodeProto, string?[], string?[]>>(StringComparer.Ordinal)
        {
            ["Add"] = (n, g) => [Need(n, 0) ? Unbroadcast(g[0]!, n, n.Input[0]) : null, Need(n, 1) ? Unbroadcast(g[0]!, n, n.Input[1]) : null],
            ["Sub"] = (n, g) => [Need(n, 0) ? Unbroadcast(g[0]!, n, n.Input[0]) : null, Need(n, 1) ? Unbroadcast(w.Op("Neg", [g[0]!]), n, n.Input[1]) : null],
            ["Mul"] = (n, g) =>
            [
                Need(n, 0) ? Unbroadcast(w.Op("Mul", [g[0]!, n.Input[1]]), n, n.Input[0]) : null,
                Need(n, 1) ? Unbroadcast(w.Op("Mul", [g[0]!, n.Input[0]]), n, n.Input[1]) : null,
            ],

            // y = a / b: dy/da = 1 / b, dy/db = -a / b^2 = -y / b.
            ["Div"] = (n, g) =>
            [
                Need(n, 0) ? Unbroadcast(w.Op("Div", [g[0]!, n.Input[1]]), n, n.Input[0]) : null,
                Need(n, 1) ? Unbroadcast(w.Op("Neg", [w.Op("Div", [w.Op("Mul", [g[0]!, n.Output[0]]), n.Input[1]])]), n, n.Input[1]) : null,
            ],
            ["Neg"] = (_, g) => [w.Op("Neg", [g[0]!])],
            ["Identity"] = (_, g) => [g[0]],
            ["Dropout"] = DropoutGradient,
            ["Cast"] = (n, g) => [w.Op("Cast", [g[0]!], Attr.Int("to", ElemType(n.Input[0])))],

            ["Relu"] = ReluGradient,
            ["LeakyRelu"] = (n, g) =>
            [
                w.Op("Where", [w.Op("Greater", [n.Input[0], Zero(n.Input[0])]), g[0]!, w.Op("Mul", [g[0]!, Const(n.Input[0], Attr.GetFloat(n, "alpha", 0.01f))])]),
            ],
            ["Clip"] = ClipGradient,
            ["Sigmoid"] = (n, g) =>
            [
                w.Op("Mul", [g[0]!, w.Op("Mul", [n.Output[0], w.Op("Sub", [Const(n.Input[0], 1), n.Output[0]])])]),
            ],
            ["Tanh"] = (n, g) =>
            [
                w.Op("Mul", [g[0]!, w.Op("Sub", [Const(n.Input[0], 1), w.Op("Mul", [n.Output[0], n.Output[0]])])]),
            ],
            ["HardSigmoid"] = HardSigmoidGradient,
            ["HardSwish"] = HardSwishGradient,
            ["Exp"] = (n, g) => [w.Op("Mul", [g[0]!, n.Output[0]])],
            ["Log"] = (n, g) => [w.Op("Div", [g[0]!, n.Input[0]])],
            ["BatchNormalization"] = BatchNormalizationGradient,
            ["Sum"] = (n, g) => [.. n.Input.Select((input, i) => Need(n, i) ? Unbroadcast(g[0]!, n, input) : null)],
        };
        AddShapeRules(r);
        AddMatrixRules(r);
        AddConvPoolRules(r);
        return r;
    }

    private string?[] DropoutGradient(NodeProto node, string?[] g)
    {
        // Inference-mode Dropout is the identity. A training_mode input would make it random: refuse that.
        if (node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            var training = initializers.GetValueOrDefault(node.Input[2]);
            if (training is null || TensorValues.Int64s(training) is not [0])
            {
                throw Refuse(node, "Dropout with a training_mode input that is not the constant false is random; only inference Dropout is supported.");
            }
        }

        return [g[0]];
    }

    private string?[] ReluGradient(NodeProto node, string?[] g)
    {
        // PyTorch's relu backward passes the gradient where the output is > 0. Read from the output, the mask leaves
        // the input to the Relu alone, so ONNX Runtime can still fuse a Conv with its Relu.
        string y = node.Output[0];
        return [StepMask(y, 0, above: true) is string mask ? w.Op("Mul", [g[0]!, mask]) : Masked(w.Op("Greater", [y, Zero(y)]), g[0]!, y)];
    }

    private string?[] ClipGradient(NodeProto node, string?[] g)
    {
        string x = node.Input[0], y = node.Output[0];
        string? min = node.Input.Count > 1 && node.Input[1].Length > 0 ? node.Input[1] : null;
        string? max = node.Input.Count > 2 && node.Input[2].Length > 0 ? node.Input[2] : null;
        if (min is null && max is null)
        {
            return [g[0]];
        }

        // The activation of a convolution layer (ReLU6 and Hardtanh export as Conv then Clip): PyTorch's hardtanh
        // backward passes the gradient where min < x < max, bounds excluded, which the output alone tells; reading
        // only the output lets ONNX Runtime fuse the Conv with its Clip, as in the forward model.
        double? lowBound = min is null ? null : ConstScalar(min), highBound = max is null ? null : ConstScalar(max);
        if (IsSoleOutputOfConv(x) && (min is null || lowBound is not null) && (max is null || highBound is not null))
        {
            string? low = lowBound is double lo ? StepMask(y, lo, above: true) : null;
            string? high = highBound is double hi ? StepMask(y, hi, above: false) : null;
            if ((min is null || low is not null) && (max is null || high is not null))
            {
                string masked = g[0]!;
                foreach (var mask in new[] { low, high }.OfType<string>())
                {
                    masked = w.Op("Mul", [masked, mask]);
                }

                return [masked];
            }
        }

        // Elsewhere PyTorch's clamp backward: the gradient passes where min <= x <= max (bounds included), exactly
        // where the output equals the input, so one Equal gives the mask (two comparisons and an And cost twice as much).
        return [Masked(w.Op("Equal", [x, y]), g[0]!, x)];
    }

    private string?[] HardSigmoidGradient(NodeProto node, string?[] g)
    {
        // y = max(0, min(1, alpha x + beta)); the slope alpha holds strictly inside (0, 1), as in PyTorch.
        string x = node.Input[0];
        float alpha = Attr.GetFloat(node, "alpha", 0.2f), beta = Attr.GetFloat(node, "beta", 0.5f);
        string t = w.Op("Add", [w.Op("Mul", [x, Const(x, alpha)]), Const(x, beta)]);
        string inside = w.Op("And", [w.Op("Greater", [t, Zero(x)]), w.Op("Less", [t, Const(x, 1)])]);
        return [Masked(inside, w.Op("Mul", [g[0]!, Const(x, alpha)]), x)];
    }

    private string?[] HardSwishGradient(NodeProto node, string?[] g)
    {
        // y = x * hardsigmoid(x) with alpha 1/6, beta 1/2. PyTorch: 0 for x < -3, g (x / 3 + 1/2) for x <= 3, else g.
        string x = node.Input[0];
        string middle = w.Op("Mul", [g[0]!, w.Op("Add", [w.Op("Div", [x, Const(x, 3)]), Const(x, 0.5)])]);
        string upper = w.Op("Where", [w.Op("LessOrEqual", [x, Const(x, 3)]), middle, g[0]!]);
        return [w.Op("Where", [w.Op("Less", [x, Const(x, -3)]), Zero(x), upper])];
    }

    private string?[] BatchNormalizationGradient(NodeProto node, string?[] g)
    {
        if (Attr.GetInt(node, "training_mode", 0) != 0 || node.Output.Skip(1).Any(o => o.Length > 0))
        {
            throw Refuse(node, "BatchNormalization in training mode (batch statistics) is not supported; only inference.");
        }

        // y = (x - mean) / sqrt(var + eps) * scale + bias: per channel, dy/dx = scale / sqrt(var + eps).
        string x = node.Input[0];
        string variance = node.Input[4];
        string factor = w.Op("Div", [node.Input[1], w.Op("Sqrt", [w.Op("Add", [variance, Const(variance, Attr.GetFloat(node, "epsilon", 1e-5f))])])]);
        long[] perChannel = [-1, .. Enumerable.Repeat(1L, Fact(x).Rank - 2)];
        return [w.Op("Mul", [g[0]!, w.Op("Reshape", [factor, w.Int64s(perChannel)])])];
    }
}
