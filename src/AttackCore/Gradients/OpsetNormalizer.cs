using AttackCore.Gradients.Onnx;

namespace AttackCore.Gradients;

/// <summary>
/// Raises a model's default-domain opset to at least 16 (ScatterElements with reduction add, used by the reverse
/// pass, exists from 16), rewriting the forward nodes whose form or meaning changed on the way.
/// </summary>
/// <remarks>
/// Checked against the ONNX operator changelog from opset 11 to 16:
/// <list type="bullet">
/// <item>13 moved the axes of Squeeze, Unsqueeze and ReduceSum and the sizes of Split from attributes to inputs: rewritten.</item>
/// <item>13 changed Softmax, LogSoftmax and Hardmax from "flatten to 2-D at axis" to "one axis": rewritten as Flatten, the op on the last axis, Reshape back, which is the old meaning for any rank.</item>
/// <item>12 dropped Dropout's ratio attribute (inference ignores it): removed.</item>
/// <item>16 changed RoiAlign's default coordinate_transformation_mode: the old default is written out.</item>
/// <item>Everything else between 11 and 16 only widened types or added attributes whose defaults keep the old
/// behaviour (BatchNormalization 14/15 for inference, Reshape 14 allowzero, Shape 15 start/end, LeakyRelu 16, ...).</item>
/// </list>
/// Models at opset 16 or later are left as they are (the backward nodes use forms valid from 16 to 18 and later).
/// Opsets before 11 changed Clip, Pad, Slice and others too and are refused with a hint to convert them.
/// </remarks>
internal static class OpsetNormalizer
{
    /// <summary>The lowest default-domain opset the derived graph is built at.</summary>
    public const int MinimumOpset = 16;

    /// <summary>Normalizes <paramref name="model"/> in place and returns its default-domain opset afterwards.</summary>
    /// <exception cref="GradientNotSupportedException">The model's opset is older than 11, or a pre-13 model has control flow.</exception>
    public static int Normalize(ModelProto model)
    {
        var import = model.OpsetImport.FirstOrDefault(o => string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx");
        if (import is null)
        {
            import = new OperatorSetIdProto { Domain = string.Empty, Version = MinimumOpset };
            model.OpsetImport.Add(import);
        }

        long version = import.Version;
        if (version < 11)
        {
            throw new GradientNotSupportedException(
                $"The model uses ONNX opset {version}; gradients need opset 11 or later. Convert it first, e.g. with onnx.version_converter.convert_version(model, 13).");
        }

        if (version >= MinimumOpset)
        {
            return (int)version;
        }

        var graph = model.Graph;
        if (version < 13 && graph.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)))
        {
            throw new GradientNotSupportedException(
                $"The model uses ONNX opset {version} with control flow (If, Loop, Scan); convert it to opset 13 or later first.");
        }

        var writer = new GraphWriter(graph);
        var nodes = graph.Node.ToList();
        graph.Node.Clear();
        foreach (var node in nodes)
        {
            if (version < 13)
            {
                Upgrade12To13(node, writer);
            }

            if (version < 12 && node.OpType == "Dropout")
            {
                Remove(node, "ratio");
            }

            if (node.OpType == "RoiAlign" && Attr.Find(node, "coordinate_transformation_mode") is null)
            {
                node.Attribute.Add(Attr.String("coordinate_transformation_mode", "output_half_pixel"));
            }

            if (version < 13 && node.OpType is "Softmax" or "LogSoftmax" or "Hardmax")
            {
                // Old meaning: flatten to [prod(dims[:axis]), prod(dims[axis:])] and normalize each row.
                string input = node.Input[0], output = node.Output[0];
                long axis = Attr.GetInt(node, "axis", 1);
                string flat = writer.Fresh("flat");
                string rows = writer.Fresh("rows");
                graph.Node.Add(NewNode("Flatten", [input], [flat], Attr.Int("axis", axis)));
                graph.Node.Add(NewNode(node.OpType, [flat], [rows], Attr.Int("axis", -1)));
                string shape = writer.Fresh("shape");
                graph.Node.Add(NewNode("Shape", [input], [shape]));
                graph.Node.Add(NewNode("Reshape", [rows, shape], [output]));
                continue;
            }

            graph.Node.Add(node);
        }

        // Int64 constants made by the writer were appended as initializers; the node order above stays topological.
        import.Version = MinimumOpset;
        model.IrVersion = Math.Max(model.IrVersion, 8);
        return MinimumOpset;
    }

    private static void Upgrade12To13(NodeProto node, GraphWriter writer)
    {
        string? attribute = node.OpType switch
        {
            "Squeeze" or "Unsqueeze" or "ReduceSum" => "axes",
            "Split" => "split",
            _ => null,
        };
        if (attribute is null || Attr.GetInts(node, attribute) is not { } values)
        {
            return;
        }

        Remove(node, attribute);
        while (node.Input.Count < 1)
        {
            node.Input.Add(string.Empty);
        }

        node.Input.Insert(1, writer.Int64s(values));
    }

    private static void Remove(NodeProto node, string attribute)
    {
        var found = Attr.Find(node, attribute);
        if (found is not null)
        {
            node.Attribute.Remove(found);
        }
    }

    private static NodeProto NewNode(string opType, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = outputs[0] + "_node" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }
}
