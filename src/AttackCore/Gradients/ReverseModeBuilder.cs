using System.Globalization;
using AttackCore.Gradients.Onnx;

namespace AttackCore.Gradients;

/// <summary>Element type and shape of one tensor, as observed by running the forward graph once (see <see cref="ShapeProbe"/>).</summary>
/// <param name="ElemType">The ONNX element type (<see cref="TensorProto.Types.DataType"/>).</param>
/// <param name="Shape">The dimensions seen in the probe run (the batch dimension shows the probe's batch).</param>
internal sealed record TensorFact(int ElemType, long[] Shape)
{
    /// <summary>Gets a value indicating whether the first dimension is the batch and every other dimension is fixed (seen in two probes of different batch sizes).</summary>
    public bool BatchLeading { get; init; }

    public bool IsFloat => ElemType is (int)TensorProto.Types.DataType.Float or (int)TensorProto.Types.DataType.Double;

    public int Rank => Shape.Length;
}

/// <summary>
/// Reverse-mode differentiation of an ONNX graph, emitted as standard ONNX nodes appended to the same graph.
/// </summary>
/// <remarks>
/// <para>
/// The forward nodes are in topological order (the ONNX spec requires it), so walking them backwards visits every
/// consumer of a tensor before its producer: by the time a node is reached, all contributions to its outputs'
/// gradients exist and are summed once. Only nodes on a path from a differentiated input to a seeded output get
/// backward nodes; constant and shape-only subgraphs (Shape, Size, and everything computed from weights) get none.
/// </para>
/// <para>
/// Refusal instead of silent zeros: a node on that path whose operator has no rule, or whose rule cannot
/// differentiate one of its pixel-dependent inputs, or an integer or boolean value computed from pixels that feeds
/// the loss (a Cast to int, a comparison) throws <see cref="GradientNotSupportedException"/> naming the node.
/// Integer outputs that only select positions (TopK and MaxPool indices, ArgMax) are piecewise constant and carry
/// no gradient, as in PyTorch.
/// </para>
/// <para>
/// Static facts (ranks, spatial sizes, broadcast axes, element types) come from a probe run; everything that
/// scales with the batch (sizes along the batch axis, element counts) is read at run time with Shape and Size, so
/// the derived graph works for any batch size.
/// </para>
/// </remarks>
internal sealed partial class ReverseModeBuilder
{
    private static readonly HashSet<string> StructuralIntegerOps = new(StringComparer.Ordinal) { "Shape", "Size", "TopK", "MaxPool", "ArgMax", "ArgMin" };

    private readonly GraphWriter w;
    private readonly IReadOnlyDictionary<string, TensorFact> facts;
    private readonly Dictionary<string, TensorProto> initializers;
    private readonly Dictionary<string, NodeProto> producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> readers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> contributions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> shapedLike = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<NodeProto, string?[], string?[]>> rules;
    private readonly int opset;
    private HashSet<string> dependent = new(StringComparer.Ordinal);

    public ReverseModeBuilder(GraphProto graph, IReadOnlyDictionary<string, TensorFact> facts, int opset)
    {
        w = new GraphWriter(graph);
        this.facts = facts;
        this.opset = opset;
        initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                producers[output] = node;
            }

            foreach (var input in node.Input)
            {
                readers[input] = readers.GetValueOrDefault(input) + 1;
            }
        }

        foreach (var output in graph.Output)
        {
            readers[output.Name] = readers.GetValueOrDefault(output.Name) + 1;
        }

        rules = CreateRules();
    }

    /// <summary>Gets the operator types that have a gradient rule.</summary>
    public IReadOnlyCollection<string> SupportedOps => rules.Keys;

    /// <summary>Gets, for each gradient tensor made by <see cref="Build"/>, the forward tensor whose shape it has.</summary>
    public IReadOnlyDictionary<string, string> ShapedLike => shapedLike;

    /// <summary>
    /// Appends the backward nodes and returns, for each name in <paramref name="wrt"/>, the tensor holding
    /// the sum over seeded outputs of seed . d output / d input.
    /// </summary>
    /// <param name="wrt">Graph inputs to differentiate with respect to (float or double).</param>
    /// <param name="seeds">For each output to differentiate, the tensor holding its incoming gradient (same shape).</param>
    /// <exception cref="GradientNotSupportedException">A node on the path cannot be differentiated, or an input does not reach any seeded output.</exception>
    public IReadOnlyDictionary<string, string> Build(IReadOnlyList<string> wrt, IReadOnlyDictionary<string, string> seeds)
    {
        var forward = w.Graph.Node.ToList();
        dependent = FindDependent(forward, wrt);
        var ancestors = FindAncestors(forward, seeds.Keys);
        var onPath = new List<NodeProto>();
        foreach (var node in forward)
        {
            if (!node.Input.Any(dependent.Contains))
            {
                continue;
            }

            CheckIntegerOutputs(node, ancestors);
            if (node.Output.Any(o => dependent.Contains(o) && ancestors.Contains(o)))
            {
                if (!IsStandardDomain(node) || !rules.ContainsKey(node.OpType))
                {
                    throw Refuse(node, $"no gradient rule for this operator{(IsStandardDomain(node) ? string.Empty : $" of domain '{node.Domain}'")}. Supported: {string.Join(", ", rules.Keys.Order(StringComparer.Ordinal))}.");
                }

                onPath.Add(node);
            }
        }

        foreach (var (output, seed) in seeds)
        {
            Contribute(output, seed);
        }

        for (int n = onPath.Count - 1; n >= 0; n--)
        {
            var node = onPath[n];
            var outGrads = node.Output.Select(o => dependent.Contains(o) ? Gradient(o) : null).ToArray();
            if (outGrads.All(g => g is null))
            {
                continue;
            }

            var inGrads = rules[node.OpType](node, outGrads);
            for (int i = 0; i < node.Input.Count; i++)
            {
                string input = node.Input[i];
                if (!dependent.Contains(input))
                {
                    continue;
                }

                string? grad = i < inGrads.Length ? inGrads[i] : null;
                if (grad is null)
                {
                    throw Refuse(node, Invariant($"input {i} ('{input}') depends on the pixels, but the gradient rule of {node.OpType} does not cover that input."));
                }

                Contribute(input, grad);
            }
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in wrt)
        {
            result[input] = Gradient(input)
                ?? throw new GradientNotSupportedException($"The graph's differentiated outputs do not depend on input '{input}': its gradient would be identically zero.");
        }

        return result;
    }

    /// <summary>Whether input <paramref name="index"/> of <paramref name="node"/> needs a gradient (it depends on the pixels).</summary>
    private bool Need(NodeProto node, int index) => index < node.Input.Count && dependent.Contains(node.Input[index]);

    private static bool IsStandardDomain(NodeProto node) => string.IsNullOrEmpty(node.Domain) || node.Domain == "ai.onnx";

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static GradientNotSupportedException Refuse(NodeProto node, string reason) =>
        new(node.OpType, string.IsNullOrEmpty(node.Name) ? $"(unnamed, output '{node.Output.FirstOrDefault()}')" : node.Name, reason);

    private HashSet<string> FindDependent(List<NodeProto> forward, IReadOnlyList<string> wrt)
    {
        var dependent = new HashSet<string>(wrt, StringComparer.Ordinal);
        foreach (var node in forward)
        {
            // Shape and Size read only the geometry, which the pixels' values do not change.
            if (node.OpType is "Shape" or "Size" || !node.Input.Any(dependent.Contains))
            {
                continue;
            }

            foreach (var output in node.Output)
            {
                if (output.Length > 0 && facts.TryGetValue(output, out var fact) && fact.IsFloat)
                {
                    dependent.Add(output);
                }
            }
        }

        return dependent;
    }

    private static HashSet<string> FindAncestors(List<NodeProto> forward, IEnumerable<string> outputs)
    {
        var ancestors = new HashSet<string>(outputs, StringComparer.Ordinal);
        for (int n = forward.Count - 1; n >= 0; n--)
        {
            if (forward[n].Output.Any(ancestors.Contains))
            {
                ancestors.UnionWith(forward[n].Input.Where(i => i.Length > 0));
            }
        }

        return ancestors;
    }

    /// <summary>Refuses a node that turns pixel values into integers or booleans that then influence the loss.</summary>
    private void CheckIntegerOutputs(NodeProto node, HashSet<string> ancestors)
    {
        if (StructuralIntegerOps.Contains(node.OpType))
        {
            return;
        }

        foreach (var output in node.Output)
        {
            if (output.Length > 0 && ancestors.Contains(output) && facts.TryGetValue(output, out var fact) && !fact.IsFloat)
            {
                throw Refuse(node, $"its output '{output}' ({(TensorProto.Types.DataType)fact.ElemType}) is computed from pixel values and influences the loss; its gradient is zero almost everywhere and the true sensitivity would be lost.");
            }
        }
    }

    private void Contribute(string tensor, string grad)
    {
        if (!contributions.TryGetValue(tensor, out var list))
        {
            list = [];
            contributions[tensor] = list;
        }

        list.Add(grad);
        shapedLike[grad] = tensor;
    }

    /// <summary>The summed gradient of <paramref name="tensor"/>, or <see langword="null"/> when nothing flowed into it.</summary>
    private string? Gradient(string tensor)
    {
        if (!contributions.TryGetValue(tensor, out var list) || list.Count == 0)
        {
            return null;
        }

        if (list.Count > 1)
        {
            // A tensor with several consumers: its gradient is the sum of what each consumer sends back.
            var sum = w.Op("Sum", list);
            list.Clear();
            list.Add(sum);
            shapedLike[sum] = tensor;
        }

        return list[0];
    }

    private TensorFact Fact(string tensor) =>
        facts.TryGetValue(tensor, out var fact) ? fact : throw new InvalidOperationException($"No probed shape for tensor '{tensor}'.");

    private int ElemType(string tensor) => Fact(tensor).ElemType;

    private long[] Dims(string tensor) => Fact(tensor).Shape;

    /// <summary>Reads an integer tensor that must be constant (an initializer or a Constant node), or <see langword="null"/> when the input is absent.</summary>
    private long[]? ConstInts(NodeProto node, int inputIndex)
    {
        if (inputIndex >= node.Input.Count || node.Input[inputIndex].Length == 0)
        {
            return null;
        }

        string name = node.Input[inputIndex];
        return TensorValues.Int64s(ConstantTensor(name) ?? throw Refuse(node, $"input '{name}' must be a constant to differentiate this node."));
    }

    /// <summary>The value behind <paramref name="name"/> when it is an initializer or the output of a Constant node, else <see langword="null"/>.</summary>
    private TensorProto? ConstantTensor(string name)
    {
        TensorProto? tensor = initializers.GetValueOrDefault(name);
        if (tensor is null && producers.TryGetValue(name, out var producer) && producer.OpType == "Constant")
        {
            tensor = Attr.Find(producer, "value")?.T;
        }

        return tensor;
    }

    /// <summary>The single value of a constant scalar (or one-element tensor), or <see langword="null"/> when <paramref name="name"/> is not one.</summary>
    private double? ConstScalar(string name) =>
        ConstantTensor(name) is { } tensor && tensor.Dims.Aggregate(1L, (p, d) => p * d) == 1 ? TensorValues.Doubles(tensor)[0] : null;

    private static long[] Normalize(long[] axes, int rank) => [.. axes.Select(a => a < 0 ? a + rank : a)];

    /// <summary>Sums <paramref name="grad"/> (shaped <paramref name="gradShape"/>) over the axes that broadcasting expanded, back to <paramref name="input"/>'s shape.</summary>
    private string Unbroadcast(string grad, long[] gradShape, string input)
    {
        long[] inputShape = Dims(input);
        if (gradShape.SequenceEqual(inputShape))
        {
            return grad;
        }

        int lead = gradShape.Length - inputShape.Length;
        var axes = new List<long>();
        for (int i = 0; i < gradShape.Length; i++)
        {
            if (i < lead || (inputShape[i - lead] == 1 && gradShape[i] != 1))
            {
                axes.Add(i);
            }
        }

        string reduced = axes.Count == 0 ? grad : w.Op("ReduceSum", [grad, w.Int64s([.. axes])], Attr.Int("keepdims", 1));
        return ReshapeLike(reduced, input);
    }

    private string Unbroadcast(string grad, NodeProto node, string input) => Unbroadcast(grad, Dims(node.Output[0]), input);

    /// <summary>
    /// The gradient of an op that only moves or repeats elements of <paramref name="x"/>: the same op applied to a
    /// tensor of flat positions says where each output element came from, and ScatterElements with reduction add
    /// sends every output gradient back there, accumulating repeats (opset 16+).
    /// </summary>
    /// <param name="x">The data input.</param>
    /// <param name="grad">The output's gradient.</param>
    /// <param name="applyToPositions">Applies the forward op to an int64 tensor shaped like <paramref name="x"/>; receives also the name of a scalar one past the last position, for padding values.</param>
    private string ScatterBack(string x, string grad, Func<string, string, string> applyToPositions)
    {
        string size = w.Op("Size", [x]);
        string positions = w.Op("Reshape", [w.Op("Range", [w.Int64Scalar(0), size, w.Int64Scalar(1)]), w.Op("Shape", [x])]);
        string mapped = applyToPositions(positions, size);

        // One extra slot past the end receives what padding values (position == size) collected; it is dropped.
        string slots = w.Op("Add", [size, w.Int64Scalar(1)]);
        string zeros = w.Op("ConstantOfShape", [w.Op("Reshape", [slots, w.Int64s(1)])], Attr.Tensor("value", GraphWriter.MakeTensor(ElemType(x), [1], [0.0])));
        string flat = w.Op(
            "ScatterElements",
            [zeros, w.Op("Reshape", [mapped, w.Int64s(-1)]), w.Op("Reshape", [grad, w.Int64s(-1)])],
            Attr.Int("axis", 0),
            Attr.String("reduction", "add"));
        string kept = w.Op("Slice", [flat, w.Int64s(0), w.Op("Reshape", [size, w.Int64s(1)])]);
        return ReshapeLike(kept, x);
    }

    private string ReshapeLike(string grad, string like) => w.Op("Reshape", [grad, ShapeOf(like, batch: -1)]);

    /// <summary>
    /// The shape of <paramref name="tensor"/> for Reshape or Expand: a constant with <paramref name="batch"/> (-1 for
    /// Reshape, 1 for Expand) in place of the batch when the other dimensions are fixed, else read at run time. Shape
    /// of a tensor in ONNX Runtime's blocked layout costs a full conversion back to NCHW; a constant costs nothing.
    /// </summary>
    private string ShapeOf(string tensor, long batch) =>
        Fact(tensor) is { BatchLeading: true } fact ? w.Int64s([batch, .. fact.Shape[1..]]) : w.Op("Shape", [tensor]);

    private string Zero(string like) => w.Scalar(ElemType(like), 0);

    private string Const(string like, double value) => w.Scalar(ElemType(like), value);

    /// <summary>
    /// g where the mask holds, else 0, as g times the mask cast to g's type: on the CPU provider a Cast and a Mul over a
    /// large activation cost a fraction of a broadcasting Where (measured on MobileNet V2's Relu6 gradients).
    /// </summary>
    private string Masked(string mask, string grad, string like) =>
        w.Op("Mul", [grad, w.Op("Cast", [mask], Attr.Int("to", ElemType(like)))]);

    /// <summary>Whether <paramref name="tensor"/> is the output of a Conv that nothing else in the forward graph reads.</summary>
    private bool IsSoleOutputOfConv(string tensor) =>
        producers.TryGetValue(tensor, out var producer) && producer.OpType == "Conv" && readers.GetValueOrDefault(tensor) == 1;

    /// <summary>
    /// The float mask [y &gt; bound] (<paramref name="above"/>) or [y &lt; bound] of an NCHW activation as
    /// Clip(s (y - bound), 0, 1) with s a power of two so large that every float at least 2^-120 (times the
    /// bound's magnitude) away from the bound maps to exactly 0 or 1; only values closer than that, below the
    /// normal float range, get a fraction. It is a 1 x 1 depthwise Conv followed by Clip, which ONNX Runtime's
    /// CPU provider fuses and runs in its blocked (NCHWc) layout, like the convolutions around it: a comparison,
    /// a Cast and a Mul cannot run in that layout, and the layout conversions at each such boundary cost more
    /// than the mask itself (measured on MobileNet V2 and the Inception_V3 graph). Where convolutions run in TF32
    /// (CUDA on recent GPUs), activations within TF32's rounding (about 1e-3 relative) of a nonzero bound count as at
    /// the bound, an error of the size TF32 already makes in the forward convolutions. <see langword="null"/> when the
    /// activation is not a float NCHW image tensor.
    /// </summary>
    private string? StepMask(string y, double bound, bool above)
    {
        if (ElemType(y) != (int)TensorProto.Types.DataType.Float || Dims(y) is not [_, long channels, _, _])
        {
            return null;
        }

        // s |bound| and s stay finite in float: s (y - bound) never overflows for finite bounds, and y * s saturates harmlessly.
        int exponent = 120 - (int)Math.Ceiling(Math.Log2(Math.Max(1, Math.Abs(bound))));
        double scale = Math.ScaleB(above ? 1 : -1, exponent);
        string weights = w.Constant(ElemType(y), [channels, 1, 1, 1], [.. Enumerable.Repeat(scale, (int)channels)]);
        string bias = w.Constant(ElemType(y), [channels], [.. Enumerable.Repeat(-scale * bound, (int)channels)]);
        string affine = w.Op("Conv", [y, weights, bias], Attr.Int("group", channels), Attr.Ints("kernel_shape", [1, 1]));
        return w.Op("Clip", [affine, Zero(y), Const(y, 1)]);
    }
}
