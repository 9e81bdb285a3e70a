using Google.Protobuf;

namespace AttackCore.Models;

/// <summary>One dimension of an ONNX tensor shape: a fixed size, a symbolic name, or unknown.</summary>
/// <param name="Value">The fixed size, or <see langword="null"/> when the dimension is not fixed.</param>
/// <param name="Param">The symbolic name (for example <c>batch</c>), or <see langword="null"/>.</param>
public readonly record struct OnnxDimension(long? Value, string? Param)
{
    /// <inheritdoc/>
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Param ?? "?";
}

/// <summary>Name and shape of one graph input or output as declared in the ONNX file.</summary>
/// <param name="Name">The tensor name.</param>
/// <param name="Dims">The declared dimensions; empty when the file declares no shape.</param>
public sealed record OnnxTensorInfo(string Name, IReadOnlyList<OnnxDimension> Dims);

/// <summary>
/// Small, dependency-free edits of ONNX files at the protobuf wire level (no generated ONNX classes).
/// </summary>
/// <remarks>
/// The ONNX Model Zoo exports fix the batch dimension to 1, which forces one <c>Run</c> per image.
/// <see cref="MakeBatchDimensionSymbolic"/> rewrites the declared first dimension of the graph inputs and
/// outputs to the symbolic <c>batch</c> and drops <c>GraphProto.value_info</c> so that ONNX Runtime infers
/// intermediate shapes again. Every field it does not touch (weights included) is copied byte for byte.
/// It cannot fix nodes that hard-code the batch (a <c>Reshape</c> to <c>[1, -1]</c>); callers must verify
/// batched and unbatched runs agree, as <see cref="OnnxClassifier"/> does.
/// </remarks>
public static class OnnxModelEditor
{
    /// <summary>The symbolic name given to rewritten batch dimensions.</summary>
    public const string BatchDimensionName = "batch";

    // Field numbers from onnx.proto3.
    private const int ModelGraph = 7;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;
    private const int GraphValueInfo = 13;
    private const int ValueInfoName = 1;
    private const int ValueInfoType = 2;
    private const int TypeTensor = 1;
    private const int TensorShape = 2;
    private const int ShapeDim = 1;
    private const int DimValue = 1;
    private const int DimParam = 2;

    /// <summary>
    /// Returns a copy of <paramref name="model"/> (a serialized ModelProto) whose graph inputs and outputs have
    /// a symbolic first dimension where they had a fixed 1, and without <c>value_info</c> when anything changed.
    /// </summary>
    /// <param name="model">The ONNX file's bytes; not modified.</param>
    /// <returns>The edited model, or <paramref name="model"/> itself when no input or output had a fixed batch of 1.</returns>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a valid protobuf message.</exception>
    public static byte[] MakeBatchDimensionSymbolic(byte[] model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var changed = false;
        var result = RewriteMessage(model, (field, payload) =>
            field == ModelGraph ? RewriteGraph(payload, ref changed) : null);
        return changed ? result : model;
    }

    /// <summary>Reads the names and declared shapes of the graph inputs (initializers listed as inputs included).</summary>
    /// <param name="model">The ONNX file's bytes.</param>
    /// <returns>The inputs in declaration order.</returns>
    public static IReadOnlyList<OnnxTensorInfo> ReadInputs(byte[] model) => ReadValueInfos(model, GraphInput);

    /// <summary>Reads the names and declared shapes of the graph outputs.</summary>
    /// <param name="model">The ONNX file's bytes.</param>
    /// <returns>The outputs in declaration order.</returns>
    public static IReadOnlyList<OnnxTensorInfo> ReadOutputs(byte[] model) => ReadValueInfos(model, GraphOutput);

    private static List<OnnxTensorInfo> ReadValueInfos(byte[] model, int graphField)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = new List<OnnxTensorInfo>();
        foreach (var graph in Fields(ByteString.CopyFrom(model), ModelGraph))
        {
            foreach (var valueInfo in Fields(graph, graphField))
            {
                string name = string.Empty;
                var dims = new List<OnnxDimension>();
                var input = valueInfo.CreateCodedInput();
                uint tag;
                while ((tag = input.ReadTag()) != 0)
                {
                    int field = WireFormat.GetTagFieldNumber(tag);
                    if (field == ValueInfoName && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                    {
                        name = input.ReadString();
                    }
                    else if (field == ValueInfoType && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                    {
                        foreach (var tensor in Fields(input.ReadBytes(), TypeTensor))
                        {
                            foreach (var shape in Fields(tensor, TensorShape))
                            {
                                foreach (var dim in Fields(shape, ShapeDim))
                                {
                                    dims.Add(ReadDimension(dim));
                                }
                            }
                        }
                    }
                    else
                    {
                        input.SkipLastField();
                    }
                }

                result.Add(new OnnxTensorInfo(name, dims));
            }
        }

        return result;
    }

    private static OnnxDimension ReadDimension(ByteString dim)
    {
        long? value = null;
        string? param = null;
        var input = dim.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            var wire = WireFormat.GetTagWireType(tag);
            if (field == DimValue && wire == WireFormat.WireType.Varint)
            {
                value = input.ReadInt64();
                param = null;
            }
            else if (field == DimParam && wire == WireFormat.WireType.LengthDelimited)
            {
                param = input.ReadString();
                value = null;
            }
            else
            {
                input.SkipLastField();
            }
        }

        return new OnnxDimension(value, param);
    }

    /// <summary>Enumerates the payloads of every length-delimited occurrence of <paramref name="field"/>.</summary>
    private static List<ByteString> Fields(ByteString message, int field)
    {
        var input = message.CreateCodedInput();
        var found = new List<ByteString>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    private static byte[]? RewriteGraph(ByteString graph, ref bool changed)
    {
        var graphChanged = false;
        var rewritten = RewriteMessage(graph, (field, payload) =>
            field is GraphInput or GraphOutput ? RewriteValueInfo(payload, ref graphChanged) : null);
        if (!graphChanged)
        {
            return null;
        }

        changed = true;

        // Intermediate shapes recorded with batch 1 would contradict the new symbolic batch: drop them all and
        // let ONNX Runtime's shape inference recompute them.
        return RewriteMessage(ByteString.CopyFrom(rewritten), (field, _) => field == GraphValueInfo ? [] : null, dropEmpty: true);
    }

    private static byte[]? RewriteValueInfo(ByteString valueInfo, ref bool changed)
    {
        var local = false;
        var result = RewriteMessage(valueInfo, (field, payload) =>
            field == ValueInfoType
                ? RewriteMessage(payload, (f1, tensor) =>
                    f1 == TypeTensor
                        ? RewriteMessage(tensor, (f2, shape) =>
                            f2 == TensorShape ? RewriteShape(shape, ref local) : null)
                        : null)
                : null);
        if (!local)
        {
            return null;
        }

        changed = true;
        return result;
    }

    private static byte[]? RewriteShape(ByteString shape, ref bool changed)
    {
        var seenFirst = false;
        var local = false;
        var result = RewriteMessage(shape, (field, dim) =>
        {
            if (field != ShapeDim || seenFirst)
            {
                return null;
            }

            seenFirst = true;
            var parsed = ReadDimension(dim);
            if (parsed.Value != 1)
            {
                return null;
            }

            local = true;
            return RewriteMessage(dim, (f, _) => f == DimValue ? [] : null, dropEmpty: true, append: WriteBatchParam);
        });
        if (!local)
        {
            return null;
        }

        changed = true;
        return result;
    }

    private static void WriteBatchParam(CodedOutputStream output)
    {
        output.WriteTag(DimParam, WireFormat.WireType.LengthDelimited);
        output.WriteString(BatchDimensionName);
    }

    private static byte[] RewriteMessage(byte[] message, Func<int, ByteString, byte[]?> rewrite) =>
        RewriteMessage(ByteString.CopyFrom(message), rewrite);

    /// <summary>
    /// Copies <paramref name="message"/> field by field. For each length-delimited field, <paramref name="rewrite"/>
    /// may return a replacement payload (an empty array with <paramref name="dropEmpty"/> removes the field, and
    /// any field of the wrong wire type for the rewrite is copied untouched); <see langword="null"/> copies the
    /// field's original bytes exactly, unknown fields included.
    /// </summary>
    private static byte[] RewriteMessage(
        ByteString message,
        Func<int, ByteString, byte[]?> rewrite,
        bool dropEmpty = false,
        Action<CodedOutputStream>? append = null)
    {
        var source = message.Span;
        using var buffer = new MemoryStream(message.Length + 16);
        var output = new CodedOutputStream(buffer, leaveOpen: true);
        var input = message.CreateCodedInput();
        while (true)
        {
            int start = checked((int)input.Position);
            uint tag = input.ReadTag();
            if (tag == 0)
            {
                break;
            }

            int field = WireFormat.GetTagFieldNumber(tag);
            if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                var payload = input.ReadBytes();
                var replacement = rewrite(field, payload);
                if (replacement is not null)
                {
                    if (replacement.Length == 0 && dropEmpty)
                    {
                        continue;
                    }

                    output.WriteTag(tag);
                    output.WriteBytes(ByteString.CopyFrom(replacement));
                    continue;
                }
            }
            else if (WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint && dropEmpty && rewrite(field, ByteString.Empty) is { Length: 0 })
            {
                // A scalar field the caller wants removed (dim_value).
                input.SkipLastField();
                continue;
            }
            else
            {
                input.SkipLastField();
            }

            int end = checked((int)input.Position);
            output.Flush();
            buffer.Write(source[start..end]);
        }

        append?.Invoke(output);
        output.Flush();
        return buffer.ToArray();
    }
}
