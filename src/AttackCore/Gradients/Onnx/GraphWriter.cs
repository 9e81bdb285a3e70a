using System.Globalization;
using Google.Protobuf;

namespace AttackCore.Gradients.Onnx;

/// <summary>
/// Appends nodes and constants to a <see cref="GraphProto"/> under fresh, collision-free names.
/// </summary>
/// <remarks>
/// Every tensor this writer creates is named <c>{prefix}{counter}_{hint}</c>; the prefix is checked against the
/// graph's existing names once, so emitted names can never shadow a tensor of the model.
/// </remarks>
internal sealed class GraphWriter
{
    private readonly GraphProto graph;
    private readonly string prefix;
    private readonly Dictionary<string, string> int64Constants = new(StringComparer.Ordinal);
    private int counter;

    public GraphWriter(GraphProto graph)
    {
        this.graph = graph;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            names.UnionWith(node.Output);
            names.UnionWith(node.Input);
        }

        names.UnionWith(graph.Initializer.Select(i => i.Name));
        names.UnionWith(graph.Input.Select(i => i.Name));
        string candidate = "grad";
        for (int i = 0; names.Any(n => n.StartsWith(candidate, StringComparison.Ordinal)); i++)
        {
            candidate = "grad" + i.ToString(CultureInfo.InvariantCulture) + "x";
        }

        prefix = candidate + "__";
    }

    public GraphProto Graph => graph;

    /// <summary>Returns a fresh tensor name carrying <paramref name="hint"/> for readability in a graph viewer.</summary>
    public string Fresh(string hint) => prefix + (counter++).ToString(CultureInfo.InvariantCulture) + "_" + hint;

    /// <summary>Appends one node with a single fresh output and returns that output's name.</summary>
    public string Op(string opType, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        OpMulti(opType, inputs, 1, attributes)[0];

    /// <summary>Appends one node with <paramref name="outputs"/> fresh outputs.</summary>
    public string[] OpMulti(string opType, IEnumerable<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Fresh(opType) };
        node.Input.AddRange(inputs);
        var names = new string[outputs];
        for (int i = 0; i < outputs; i++)
        {
            names[i] = Fresh(opType.ToLowerInvariant());
            node.Output.Add(names[i]);
        }

        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return names;
    }

    /// <summary>Appends a node whose outputs are given (used to produce a tensor under a chosen name).</summary>
    public void OpNamed(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Fresh(opType) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
    }

    /// <summary>An int64 1-D constant (shared: the same values give the same initializer).</summary>
    public string Int64s(params long[] values)
    {
        string key = string.Join(",", values);
        if (!int64Constants.TryGetValue(key, out var name))
        {
            name = Fresh("i64");
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            tensor.Dims.Add(values.Length);
            tensor.Int64Data.AddRange(values);
            graph.Initializer.Add(tensor);
            int64Constants[key] = name;
        }

        return name;
    }

    /// <summary>An int64 scalar (rank 0) constant.</summary>
    public string Int64Scalar(long value)
    {
        string key = "scalar:" + value.ToString(CultureInfo.InvariantCulture);
        if (!int64Constants.TryGetValue(key, out var name))
        {
            name = Fresh("i64s");
            var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
            tensor.Int64Data.Add(value);
            graph.Initializer.Add(tensor);
            int64Constants[key] = name;
        }

        return name;
    }

    /// <summary>A scalar constant of element type <paramref name="dataType"/> (float or double).</summary>
    public string Scalar(int dataType, double value) => Constant(dataType, [], [value]);

    /// <summary>A float or double constant of the given shape.</summary>
    public string Constant(int dataType, long[] dims, IReadOnlyList<double> values)
    {
        var tensor = MakeTensor(dataType, dims, values);
        tensor.Name = Fresh("c");
        graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Zeros shaped like <paramref name="likeTensor"/>, of element type <paramref name="dataType"/>.</summary>
    public string ZerosLike(string likeTensor, int dataType) =>
        Op("ConstantOfShape", [Op("Shape", [likeTensor])], Attr.Tensor("value", MakeTensor(dataType, [1], [0.0])));

    public static TensorProto MakeTensor(int dataType, long[] dims, IReadOnlyList<double> values)
    {
        var tensor = new TensorProto { DataType = dataType };
        tensor.Dims.AddRange(dims);
        if (dataType == (int)TensorProto.Types.DataType.Double)
        {
            tensor.DoubleData.AddRange(values);
        }
        else if (dataType == (int)TensorProto.Types.DataType.Float)
        {
            tensor.FloatData.AddRange(values.Select(v => (float)v));
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(dataType), dataType, "Only float and double constants are emitted.");
        }

        return tensor;
    }
}

/// <summary>Builds <see cref="AttributeProto"/> values.</summary>
internal static class Attr
{
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Tensor(string name, TensorProto value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };

    public static AttributeProto? Find(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    public static long GetInt(NodeProto node, string name, long fallback) => Find(node, name) is { } a ? a.I : fallback;

    public static float GetFloat(NodeProto node, string name, float fallback) => Find(node, name) is { } a ? a.F : fallback;

    public static string GetString(NodeProto node, string name, string fallback) => Find(node, name) is { } a ? a.S.ToStringUtf8() : fallback;

    public static long[]? GetInts(NodeProto node, string name) => Find(node, name) is { } a ? [.. a.Ints] : null;
}

/// <summary>Reads the values of small constant tensors, whichever field of <see cref="TensorProto"/> holds them.</summary>
internal static class TensorValues
{
    public static long[] Int64s(TensorProto tensor)
    {
        if (tensor.Int64Data.Count > 0)
        {
            return [.. tensor.Int64Data];
        }

        if (tensor.Int32Data.Count > 0)
        {
            return [.. tensor.Int32Data.Select(v => (long)v)];
        }

        var raw = tensor.RawData.Span;
        return tensor.DataType switch
        {
            (int)TensorProto.Types.DataType.Int64 => [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(raw).ToArray()],
            (int)TensorProto.Types.DataType.Int32 => [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (long)v)],
            _ => throw new InvalidOperationException($"Tensor '{tensor.Name}' is not an integer tensor."),
        };
    }

    public static double[] Doubles(TensorProto tensor)
    {
        if (tensor.FloatData.Count > 0)
        {
            return [.. tensor.FloatData.Select(v => (double)v)];
        }

        if (tensor.DoubleData.Count > 0)
        {
            return [.. tensor.DoubleData];
        }

        var raw = tensor.RawData.Span;
        return tensor.DataType switch
        {
            (int)TensorProto.Types.DataType.Float => [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray().Select(v => (double)v)],
            (int)TensorProto.Types.DataType.Double => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(raw).ToArray(),
            _ => [.. Int64s(tensor).Select(v => (double)v)],
        };
    }
}
