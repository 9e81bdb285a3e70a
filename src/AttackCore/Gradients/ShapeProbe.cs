using AttackCore.Gradients.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AttackCore.Gradients;

/// <summary>
/// Learns the element type and shape of every tensor of a forward graph by running it once on the CPU with every
/// node output exposed as a graph output.
/// </summary>
/// <remarks>
/// ONNX files rarely carry complete shape information, and the reverse pass needs ranks, spatial sizes and
/// broadcast axes when it is built. One real run gives them exactly, including what ONNX Runtime's own kernels
/// decide (pooling output sizes under ceil_mode, auto_pad). The probe batch must be at least 2 so that an axis that
/// broadcasts over the batch cannot be mistaken for the batch itself.
/// </remarks>
internal static class ShapeProbe
{
    /// <summary>A probe input: its name, shape and values (<c>float[]</c>, <c>double[]</c> or <c>long[]</c>).</summary>
    public sealed record Feed(string Name, long[] Shape, Array Values);

    public static Dictionary<string, TensorFact> Run(ModelProto model, IReadOnlyList<Feed> feeds)
    {
        var probe = model.Clone();
        var graph = probe.Graph;
        var declared = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                if (output.Length > 0 && declared.Add(output))
                {
                    graph.Output.Add(new ValueInfoProto { Name = output });
                }
            }
        }

        var facts = new Dictionary<string, TensorFact>(StringComparer.Ordinal);
        foreach (var initializer in model.Graph.Initializer)
        {
            facts[initializer.Name] = new TensorFact(initializer.DataType, [.. initializer.Dims]);
        }

        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        using var session = new InferenceSession(probe.ToByteArray(), options);
        var inputs = new List<OrtValue>();
        try
        {
            foreach (var feed in feeds)
            {
                inputs.Add(feed.Values switch
                {
                    float[] f => OrtValue.CreateTensorValueFromMemory(f, feed.Shape),
                    double[] d => OrtValue.CreateTensorValueFromMemory(d, feed.Shape),
                    long[] l => OrtValue.CreateTensorValueFromMemory(l, feed.Shape),
                    _ => throw new ArgumentException($"Probe input '{feed.Name}' must be float[], double[] or long[].", nameof(feeds)),
                });
                facts[feed.Name] = new TensorFact((int)ToOnnx(inputs[^1].GetTensorTypeAndShape().ElementDataType), feed.Shape);
            }

            var names = session.OutputMetadata.Where(m => m.Value.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR).Select(m => m.Key).ToList();
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, feeds.Select(f => f.Name).ToList(), inputs, names);
            for (int i = 0; i < names.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                facts[names[i]] = new TensorFact((int)ToOnnx(info.ElementDataType), info.Shape);
            }
        }
        finally
        {
            foreach (var input in inputs)
            {
                input.Dispose();
            }
        }

        return facts;
    }

    /// <summary>
    /// Marks <see cref="TensorFact.BatchLeading"/> on every fact of a probe at batch <paramref name="batch"/> whose
    /// tensor, in a second probe at <paramref name="batch"/> + 1 (<paramref name="larger"/>), grew only along its first dimension, by one.
    /// </summary>
    public static void MarkBatchLeading(Dictionary<string, TensorFact> facts, Dictionary<string, TensorFact> larger, int batch)
    {
        foreach (var (name, fact) in facts.ToList())
        {
            if (larger.TryGetValue(name, out var other) && fact.Rank > 0 && fact.Rank == other.Rank &&
                fact.Shape[0] == batch && other.Shape[0] == batch + 1 && fact.Shape.AsSpan(1).SequenceEqual(other.Shape.AsSpan(1)))
            {
                facts[name] = fact with { BatchLeading = true };
            }
        }
    }

    private static TensorProto.Types.DataType ToOnnx(TensorElementType type) => type switch
    {
        TensorElementType.Float => TensorProto.Types.DataType.Float,
        TensorElementType.Double => TensorProto.Types.DataType.Double,
        TensorElementType.Int64 => TensorProto.Types.DataType.Int64,
        TensorElementType.Int32 => TensorProto.Types.DataType.Int32,
        TensorElementType.Bool => TensorProto.Types.DataType.Bool,
        TensorElementType.UInt8 => TensorProto.Types.DataType.Uint8,
        TensorElementType.Int8 => TensorProto.Types.DataType.Int8,
        TensorElementType.Float16 => TensorProto.Types.DataType.Float16,
        _ => TensorProto.Types.DataType.Undefined,
    };
}
