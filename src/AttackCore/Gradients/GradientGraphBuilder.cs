using System.Globalization;
using AttackCore.Gradients.Onnx;
using AttackCore.Models;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace AttackCore.Gradients;

/// <summary>The derived graph of one classifier and what was decided while building it.</summary>
/// <param name="Model">The serialized derived ModelProto.</param>
/// <param name="Losses">The losses in the graph, in the order of the <see cref="GradientGraphBuilder.LossWeightsName"/> input.</param>
internal sealed record DerivedGraph(byte[] Model, IReadOnlyList<GradientLoss> Losses);

/// <summary>
/// Builds the derived graph of a classifier: [0, 1] CHW pixels in the attack's space (RGB, or one gray plane for a
/// grayscale model, <see cref="ModelSpec.AttackChannels"/>); for a surrogate on another grid, a bilinear resize from
/// that grid to the model's input; the model's preprocessing, the model, every supported loss; logits, the selected
/// loss and d loss / d pixels out (see <see cref="ReverseModeBuilder"/>).
/// </summary>
internal static class GradientGraphBuilder
{
    /// <summary>Bump when the derived graph changes for the same inputs: it keys the disk cache.</summary>
    public const int Version = 9;

    public const string PixelsName = "advaudit_pixels";
    public const string LabelsName = "advaudit_labels";
    public const string TargetsName = "advaudit_targets";
    public const string LossWeightsName = "advaudit_loss_weights";

    /// <summary>The per-image logit weights of the weighted-logit loss (sum_k w_k z_k), [batch, classes]; the loss after every <see cref="GradientLoss"/> in <see cref="LossWeightsName"/>.</summary>
    public const string LogitWeightsName = "advaudit_logit_weights";
    public const string LogitsName = "advaudit_logits";
    public const string LossName = "advaudit_loss";
    public const string GradientName = "advaudit_pixel_gradient";

    /// <summary>The metadata key saying whether the derived graph takes batches ("true") or one image per run ("false": the model hard-codes a batch of 1).</summary>
    public const string BatchingKey = "advaudit.gradient.batching";

    /// <summary>The suffix of the seed input given to each output by <see cref="BuildVectorJacobian"/>.</summary>
    public const string SeedSuffix = "__seed";

    /// <summary>The suffix of the gradient output of each input made by <see cref="BuildVectorJacobian"/>.</summary>
    public const string GradientSuffix = "__grad";

    private const float ProbabilityFloor = 1e-30f;

    /// <summary>The losses a model with <paramref name="numClasses"/> classes supports (DLR needs the third and fourth largest logits).</summary>
    public static IReadOnlyList<GradientLoss> LossesFor(int numClasses) =>
        [.. Enum.GetValues<GradientLoss>().Where(l => l switch
        {
            GradientLoss.Dlr => numClasses >= 3,
            GradientLoss.TargetedDlr => numClasses >= 4,
            _ => numClasses >= 2,
        })];

    /// <summary>Builds the derived graph of a classifier.</summary>
    /// <param name="modelBytes">The ONNX file as read from disk.</param>
    /// <param name="spec">The spec (input and output names, preprocessing, channels, classes).</param>
    /// <param name="pixelGrid">
    /// The height and width of the pixels the graph takes when they differ from the model's input (a surrogate on the
    /// target's grid): they are resized bilinearly to the model's input inside the graph; <see langword="null"/> takes
    /// the model's own input size.
    /// </param>
    /// <exception cref="GradientNotSupportedException">The graph cannot be differentiated.</exception>
    public static DerivedGraph BuildForClassifier(byte[] modelBytes, ModelSpec spec, (int Height, int Width)? pixelGrid = null)
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        ArgumentNullException.ThrowIfNull(spec);
        spec = ModelSpecLoader.ResolveChannels(spec, OnnxModelEditor.ReadInputs(modelBytes));
        var grid = pixelGrid ?? (spec.InputSize, spec.InputSize);
        var symbolic = OnnxModelEditor.MakeBatchDimensionSymbolic(modelBytes);
        DerivedGraph? batched;
        try
        {
            batched = Compose(symbolic, spec, grid, probeBatch: 2);
        }
        catch (OnnxRuntimeException)
        {
            batched = null;
        }

        // The model hard-codes its batch of 1 somewhere (a Reshape to [1, -1]): differentiate it one image at a time.
        return batched ?? Compose(modelBytes, spec, grid, probeBatch: 1)
            ?? throw new ModelSpecException($"Model '{spec.Name}': one image does not give one row of {spec.NumClasses} logits.");
    }

    /// <summary>
    /// Builds the vector-Jacobian product of an arbitrary graph, for testing single operators: every float input
    /// X gets an output X__grad = sum over outputs Y of (Y__seed . dY/dX), each output Y a seed input Y__seed.
    /// </summary>
    /// <param name="modelBytes">The graph.</param>
    /// <param name="feeds">Values of every graph input for the shape probe (float or double inputs are differentiated).</param>
    public static byte[] BuildVectorJacobian(byte[] modelBytes, IReadOnlyList<ShapeProbe.Feed> feeds)
    {
        var model = ModelProto.Parser.ParseFrom(modelBytes);
        int opset = OpsetNormalizer.Normalize(model);
        var facts = ShapeProbe.Run(model, feeds);
        var graph = model.Graph;
        var wrt = feeds.Where(f => f.Values is float[] or double[]).Select(f => f.Name).ToList();
        var seeds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var output in graph.Output.ToList())
        {
            string seed = output.Name + SeedSuffix;
            graph.Input.Add(TensorInfo(seed, facts[output.Name].ElemType, null));
            seeds[output.Name] = seed;
        }

        var grads = new ReverseModeBuilder(graph, facts, opset).Build(wrt, seeds);
        foreach (var input in wrt)
        {
            graph.Node.Add(Identity(grads[input], input + GradientSuffix));
            graph.Output.Add(TensorInfo(input + GradientSuffix, facts[input].ElemType, null));
        }

        return model.ToByteArray();
    }

    /// <summary>Builds the derived graph, or returns <see langword="null"/> when the probe batch does not give one row of logits per image.</summary>
    private static DerivedGraph? Compose(byte[] modelBytes, ModelSpec spec, (int Height, int Width) grid, int probeBatch)
    {
        var model = ModelProto.Parser.ParseFrom(modelBytes);
        int opset = OpsetNormalizer.Normalize(model);
        var graph = model.Graph;
        var initializerNames = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var modelInput = graph.Input.FirstOrDefault(i => spec.InputName is null ? !initializerNames.Contains(i.Name) : i.Name == spec.InputName)
            ?? throw new ModelSpecException($"Model '{spec.Name}': input '{spec.InputName}' is not in the model.");
        var modelOutput = graph.Output.FirstOrDefault(o => spec.OutputName is null || o.Name == spec.OutputName)
            ?? throw new ModelSpecException($"Model '{spec.Name}': output '{spec.OutputName}' is not in the model.");
        var losses = LossesFor(spec.NumClasses);

        graph.Input.Remove(modelInput);

        // The model's own intermediate shapes may name its batch differently (or fix it); ONNX Runtime infers them
        // again from the pixels' "batch", the name the declared gradient shapes use too (see DeclareGradientShapes).
        graph.ValueInfo.Clear();
        long height = grid.Height, width = grid.Width, channels = spec.AttackChannels;
        graph.Input.Add(TensorInfo(PixelsName, (int)TensorProto.Types.DataType.Float, ["batch", channels, height, width]));
        graph.Input.Add(TensorInfo(LabelsName, (int)TensorProto.Types.DataType.Int64, ["batch"]));
        graph.Input.Add(TensorInfo(TargetsName, (int)TensorProto.Types.DataType.Int64, ["batch"]));
        graph.Input.Add(TensorInfo(LossWeightsName, (int)TensorProto.Types.DataType.Float, [losses.Count + 1]));
        graph.Input.Add(TensorInfo(LogitWeightsName, (int)TensorProto.Types.DataType.Float, ["batch", spec.NumClasses]));

        // The preprocessing nodes go first: the model's nodes consume their output.
        var writer = new GraphWriter(graph);
        int modelNodeCount = graph.Node.Count;
        EmitPreprocessing(writer, spec, grid, modelInput.Name);
        var preprocessing = graph.Node.Skip(modelNodeCount).ToList();
        for (int i = 0; i < preprocessing.Count; i++)
        {
            graph.Node.RemoveAt(graph.Node.Count - 1);
        }

        for (int i = preprocessing.Count - 1; i >= 0; i--)
        {
            graph.Node.Insert(0, preprocessing[i]);
        }

        string scores = modelOutput.Name;
        string logits = spec.Output == OutputKind.Probabilities
            ? writer.Op("Log", [writer.Op("Clip", [scores, writer.Scalar((int)TensorProto.Types.DataType.Float, ProbabilityFloor)])])
            : scores;
        graph.Node.Add(Identity(logits, LogitsName));
        EmitLosses(writer, losses);

        graph.Output.Clear();
        graph.Output.Add(TensorInfo(LogitsName, (int)TensorProto.Types.DataType.Float, ["batch", spec.NumClasses]));
        graph.Output.Add(TensorInfo(LossName, (int)TensorProto.Types.DataType.Float, ["batch"]));

        var facts = ShapeProbe.Run(model, ProbeFeeds(spec, grid, probeBatch, losses.Count));
        if (facts[LogitsName].ElemType != (int)TensorProto.Types.DataType.Float)
        {
            throw new ModelSpecException($"Model '{spec.Name}': output '{scores}' is not float32.");
        }

        if (facts[LogitsName].Shape is not [var rows, var columns] || rows != probeBatch || columns != spec.NumClasses)
        {
            return null;
        }

        // A second probe one image larger tells which dimensions are the batch.
        if (probeBatch > 1)
        {
            ShapeProbe.MarkBatchLeading(facts, ShapeProbe.Run(model, ProbeFeeds(spec, grid, probeBatch + 1, losses.Count)), probeBatch);
        }

        string seed = writer.Op("ConstantOfShape", [writer.Op("Shape", [LossName])], Attr.Tensor("value", GraphWriter.MakeTensor((int)TensorProto.Types.DataType.Float, [1], [1.0])));
        var reverse = new ReverseModeBuilder(graph, facts, opset);
        var grads = reverse.Build([PixelsName], new Dictionary<string, string> { [LossName] = seed });
        DeclareGradientShapes(graph, reverse.ShapedLike, facts);

        graph.Node.Add(Identity(grads[PixelsName], GradientName));
        graph.Output.Add(TensorInfo(GradientName, (int)TensorProto.Types.DataType.Float, ["batch", channels, height, width]));
        model.MetadataProps.Add(new StringStringEntryProto { Key = BatchingKey, Value = probeBatch > 1 ? "true" : "false" });
        return new DerivedGraph(model.ToByteArray(), losses);
    }

    /// <summary>
    /// Declares the shape of every gradient tensor whose forward tensor has the batch as its first dimension and fixed
    /// sizes elsewhere (<see cref="TensorFact.BatchLeading"/>). ONNX shape inference cannot follow the reverse pass
    /// (its reshapes take sizes read at run time), and without these shapes ONNX Runtime's CPU provider cannot prove
    /// that a gradient and the activation mask it is multiplied by have the same shape: it then converts both out of
    /// its blocked (NCHWc) layout for the product and back for the next convolution, at every layer.
    /// </summary>
    private static void DeclareGradientShapes(GraphProto graph, IReadOnlyDictionary<string, string> shapedLike, Dictionary<string, TensorFact> facts)
    {
        var declared = graph.ValueInfo.Select(v => v.Name).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var (gradient, forward) in shapedLike)
        {
            if (facts.TryGetValue(forward, out var fact) && fact.BatchLeading && declared.Add(gradient))
            {
                graph.ValueInfo.Add(TensorInfo(gradient, fact.ElemType, ["batch", .. fact.Shape.Skip(1).Cast<object>()]));
            }
        }
    }

    /// <summary>
    /// The model's input from attack pixels, exactly as <see cref="OnnxClassifier"/> computes it on the CPU: each model
    /// channel gathered from its plane (a gray plane feeds every channel of a three-channel gray model), then
    /// (x - subtract) * multiply per channel, in float32. Pixels on another grid are first resized to the model's
    /// input as PyTorch's bilinear interpolation does (align_corners false, no antialiasing), per plane
    /// Y = R_y X R_x^T: two MatMuls with constant interpolation matrices, which the reverse pass differentiates.
    /// </summary>
    private static void EmitPreprocessing(GraphWriter w, ModelSpec spec, (int Height, int Width) grid, string modelInput)
    {
        const int Float = (int)TensorProto.Types.DataType.Float;
        int channels = spec.InputChannels;
        var scaling = Enumerable.Range(0, channels).Select(c => OnnxClassifier.ChannelScaling(spec, c)).ToArray();
        string x = PixelsName;
        int size = spec.InputSize;
        if (grid.Height != size)
        {
            x = w.Op("MatMul", [w.Constant(Float, [size, grid.Height], Imaging.AxisMap.Bilinear(grid.Height, size).ToDense()), x]);
        }

        if (grid.Width != size)
        {
            // R_x^T: the dense map is size x width; its transpose has the width rows a row vector times it reads.
            double[] rx = Imaging.AxisMap.Bilinear(grid.Width, size).ToDense();
            double[] transposed = new double[rx.Length];
            for (int i = 0; i < size; i++)
            {
                for (int k = 0; k < grid.Width; k++)
                {
                    transposed[(k * size) + i] = rx[(i * grid.Width) + k];
                }
            }

            x = w.Op("MatMul", [x, w.Constant(Float, [grid.Width, size], transposed)]);
        }

        if (Enumerable.Range(0, channels).Any(c => scaling[c].Source != c))
        {
            x = w.Op("Gather", [x, w.Int64s([.. scaling.Select(s => (long)s.Source)])], Attr.Int("axis", 1));
        }

        if (scaling.Any(s => s.Subtract != 0f || s.Multiply != 1f))
        {
            x = w.Op("Sub", [x, w.Constant(Float, [1, channels, 1, 1], [.. scaling.Select(s => (double)s.Subtract)])]);
            x = w.Op("Mul", [x, w.Constant(Float, [1, channels, 1, 1], [.. scaling.Select(s => (double)s.Multiply)])]);
        }

        if (spec.Layout == TensorLayout.Nhwc)
        {
            x = w.Op("Transpose", [x], Attr.Ints("perm", [0, 2, 3, 1]));
        }

        w.Graph.Node.Add(Identity(x, modelInput));
    }

    /// <summary>
    /// Every supported loss as a [N, 1] column, then the weighted-logit loss sum_k W_ik z_ik (W fed per image, for
    /// <see cref="IGradientModel.ComputeLogitGradients"/>) as the last column; loss = sum_k weight_k loss_k: the caller
    /// selects one loss with a one-hot weight vector, so one graph (and one session) serves all losses. Values come from
    /// GatherElements at positions chosen by TopK, so the reverse pass sends gradients to the chosen logits, as
    /// PyTorch's sort does.
    /// </summary>
    private static void EmitLosses(GraphWriter w, IReadOnlyList<GradientLoss> losses)
    {
        const int Float = (int)TensorProto.Types.DataType.Float;
        string z = LogitsName;
        string y = w.Op("Unsqueeze", [LabelsName, w.Int64s(1)]);
        string t = w.Op("Unsqueeze", [TargetsName, w.Int64s(1)]);
        string At(string values, string indices) => w.Op("GatherElements", [values, indices], Attr.Int("axis", 1));
        string MaxOther(string excluded)
        {
            // Push the excluded class far down, pick the largest of the rest, and read its logit unchanged.
            string depth = w.Op("Shape", [z], Attr.Int("start", 1), Attr.Int("end", 2));
            string mask = w.Op("OneHot", [w.Op("Squeeze", [excluded, w.Int64s(1)]), depth, w.Constant(Float, [2], [0, 1e30])], Attr.Int("axis", -1));
            string best = w.OpMulti("TopK", [w.Op("Sub", [z, mask]), w.Int64s(1)], 2, Attr.Int("axis", 1))[1];
            return At(z, best);
        }

        string logSoftmax = w.Op("LogSoftmax", [z], Attr.Int("axis", 1));
        string zy = At(z, y), zt = At(z, t);
        string? sorted = null;
        string Sorted(int k)
        {
            sorted ??= At(z, w.OpMulti("TopK", [z, w.Int64s(losses.Contains(GradientLoss.TargetedDlr) ? 4 : 3)], 2, Attr.Int("axis", 1))[1]);
            return w.Op("Slice", [sorted, w.Int64s(k), w.Int64s(k + 1), w.Int64s(1)]);
        }

        string tiny = w.Scalar(Float, 1e-12);
        var columns = new List<string>();
        foreach (var loss in losses)
        {
            columns.Add(loss switch
            {
                GradientLoss.CrossEntropy => w.Op("Neg", [At(logSoftmax, y)]),
                GradientLoss.Margin => w.Op("Sub", [MaxOther(y), zy]),
                GradientLoss.Dlr => w.Op("Div", [w.Op("Sub", [MaxOther(y), zy]), w.Op("Add", [w.Op("Sub", [Sorted(0), Sorted(2)]), tiny])]),
                GradientLoss.TargetedCrossEntropy => At(logSoftmax, t),
                GradientLoss.TargetedMargin => w.Op("Sub", [zt, MaxOther(t)]),
                GradientLoss.TargetedDlr => w.Op(
                    "Div",
                    [
                        w.Op("Sub", [zt, zy]),
                        w.Op("Add", [w.Op("Sub", [Sorted(0), w.Op("Mul", [w.Op("Add", [Sorted(2), Sorted(3)]), w.Scalar(Float, 0.5)])]), tiny]),
                    ]),
                _ => throw new ArgumentOutOfRangeException(nameof(losses), loss, "Unknown loss."),
            });
        }

        columns.Add(w.Op("ReduceSum", [w.Op("Mul", [z, LogitWeightsName]), w.Int64s(1)], Attr.Int("keepdims", 1)));
        string stacked = w.Op("Concat", columns, Attr.Int("axis", 1));
        string weighted = w.Op("Mul", [stacked, LossWeightsName]);
        w.OpNamed("ReduceSum", [weighted, w.Int64s(1)], [LossName], Attr.Int("keepdims", 0));
    }

    private static List<ShapeProbe.Feed> ProbeFeeds(ModelSpec spec, (int Height, int Width) grid, int batch, int lossCount)
    {
        var random = new Random(20261201);
        long height = grid.Height, width = grid.Width, channels = spec.AttackChannels;
        var pixels = new float[batch * channels * height * width];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = random.NextSingle();
        }

        return
        [
            new(PixelsName, [batch, channels, height, width], pixels),
            new(LabelsName, [batch], Enumerable.Range(0, batch).Select(i => (long)(i % spec.NumClasses)).ToArray()),
            new(TargetsName, [batch], Enumerable.Range(0, batch).Select(i => (long)((i + 1) % spec.NumClasses)).ToArray()),
            new(LossWeightsName, [lossCount + 1], Enumerable.Repeat(1f, lossCount + 1).ToArray()),
            new(LogitWeightsName, [batch, spec.NumClasses], Enumerable.Range(0, batch * spec.NumClasses).Select(i => (float)((i % 3) - 1)).ToArray()),
        ];
    }

    private static NodeProto Identity(string input, string output)
    {
        var node = new NodeProto { OpType = "Identity", Name = output + "_identity" };
        node.Input.Add(input);
        node.Output.Add(output);
        return node;
    }

    /// <summary>A tensor ValueInfo; each dim is a size (long/int) or a symbolic name (string); no shape when <paramref name="dims"/> is null.</summary>
    private static ValueInfoProto TensorInfo(string name, int elemType, object[]? dims)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = elemType };
        if (dims is not null)
        {
            tensor.Shape = new TensorShapeProto();
            foreach (var dim in dims)
            {
                tensor.Shape.Dim.Add(dim is string param
                    ? new TensorShapeProto.Types.Dimension { DimParam = param }
                    : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(dim, CultureInfo.InvariantCulture) });
            }
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
