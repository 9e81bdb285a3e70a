using Google.Protobuf;

namespace AttackCore.Tests.TestSupport;

/// <summary>Writes tiny ONNX models (opset 13, IR 7) as raw protobuf, so tests need no model files.</summary>
internal static class TinyOnnx
{
    /// <summary>input [dims] -> Flatten -> output [N, features]: shows exactly what the model receives.</summary>
    public static byte[] Flatten(long?[] inputDims)
    {
        long features = inputDims.Skip(1).Aggregate(1L, (a, d) => a * d!.Value);
        var g = new Graph();
        g.Input("input", inputDims);
        g.Node("Flatten", ["input"], ["output"]);
        g.Output("output", [inputDims[0], features]);
        return g.ToModel();
    }

    /// <summary>
    /// input [batch, 3, 2, 2] -> Flatten (or a Reshape hard-coded to [1, 12]) -> MatMul weights [12, K] -> optional Softmax.
    /// </summary>
    public static byte[] MatMul(long? batch, float[,] weights, bool softmax = false, bool hardCodedReshape = false, bool withValueInfo = false, bool withUnknownField = false)
    {
        int k = weights.GetLength(1);
        var g = new Graph();
        g.Input("input", [batch, 3, 2, 2]);
        var flat = new float[weights.Length];
        Buffer.BlockCopy(weights, 0, flat, 0, flat.Length * sizeof(float));
        g.FloatInitializer("w", [12, k], flat);
        if (hardCodedReshape)
        {
            g.Int64Initializer("shape", [2], [1, 12]);
            g.Node("Reshape", ["input", "shape"], ["flat"]);
        }
        else
        {
            g.Node("Flatten", ["input"], ["flat"]);
        }

        g.Node("MatMul", ["flat", "w"], [softmax ? "scores" : "output"]);
        if (softmax)
        {
            g.Node("Softmax", ["scores"], ["output"]);
        }

        g.Output("output", [batch, k]);
        if (withValueInfo)
        {
            g.ValueInfo("flat", [batch, 12]);
        }

        if (withUnknownField)
        {
            g.UnknownVarint(99, 4242);
        }

        return g.ToModel();
    }

    private sealed class Graph
    {
        private readonly List<(int Field, byte[] Payload)> fields = [];
        private readonly List<(int Field, ulong Value)> varints = [];

        public void Input(string name, long?[] dims) => fields.Add((11, ValueInfoBytes(name, dims)));

        public void Output(string name, long?[] dims) => fields.Add((12, ValueInfoBytes(name, dims)));

        public void ValueInfo(string name, long?[] dims) => fields.Add((13, ValueInfoBytes(name, dims)));

        public void UnknownVarint(int field, ulong value) => varints.Add((field, value));

        public void Node(string op, string[] inputs, string[] outputs) => fields.Add((1, Message(o =>
        {
            foreach (var i in inputs)
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited);
                o.WriteString(i);
            }

            foreach (var x in outputs)
            {
                o.WriteTag(2, WireFormat.WireType.LengthDelimited);
                o.WriteString(x);
            }

            o.WriteTag(4, WireFormat.WireType.LengthDelimited);
            o.WriteString(op);
        })));

        public void FloatInitializer(string name, long[] dims, float[] values)
        {
            var raw = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
            fields.Add((5, Tensor(name, dims, 1, raw)));
        }

        public void Int64Initializer(string name, long[] dims, long[] values)
        {
            var raw = new byte[values.Length * 8];
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
            fields.Add((5, Tensor(name, dims, 7, raw)));
        }

        public byte[] ToModel()
        {
            var graph = Message(o =>
            {
                foreach (var (field, payload) in fields.Where(f => f.Field == 1))
                {
                    WriteBytes(o, field, payload);
                }

                o.WriteTag(2, WireFormat.WireType.LengthDelimited);
                o.WriteString("tiny");
                foreach (var (field, payload) in fields.Where(f => f.Field != 1))
                {
                    WriteBytes(o, field, payload);
                }

                foreach (var (field, value) in varints)
                {
                    o.WriteTag(field, WireFormat.WireType.Varint);
                    o.WriteUInt64(value);
                }
            });
            return Message(o =>
            {
                o.WriteTag(1, WireFormat.WireType.Varint);
                o.WriteInt64(7);
                o.WriteTag(2, WireFormat.WireType.LengthDelimited);
                o.WriteString("TinyOnnx");
                WriteBytes(o, 7, graph);
                WriteBytes(o, 8, Message(x =>
                {
                    x.WriteTag(1, WireFormat.WireType.LengthDelimited);
                    x.WriteString(string.Empty);
                    x.WriteTag(2, WireFormat.WireType.Varint);
                    x.WriteInt64(13);
                }));
            });
        }

        private static byte[] Tensor(string name, long[] dims, int dataType, byte[] raw) => Message(o =>
        {
            foreach (var d in dims)
            {
                o.WriteTag(1, WireFormat.WireType.Varint);
                o.WriteInt64(d);
            }

            o.WriteTag(2, WireFormat.WireType.Varint);
            o.WriteInt32(dataType);
            o.WriteTag(8, WireFormat.WireType.LengthDelimited);
            o.WriteString(name);
            WriteBytes(o, 9, raw);
        });

        private static byte[] ValueInfoBytes(string name, long?[] dims)
        {
            var shape = Message(o =>
            {
                foreach (var d in dims)
                {
                    WriteBytes(o, 1, Message(x =>
                    {
                        if (d is { } value)
                        {
                            x.WriteTag(1, WireFormat.WireType.Varint);
                            x.WriteInt64(value);
                        }
                        else
                        {
                            x.WriteTag(2, WireFormat.WireType.LengthDelimited);
                            x.WriteString("N");
                        }
                    }));
                }
            });
            var tensorType = Message(o =>
            {
                o.WriteTag(1, WireFormat.WireType.Varint);
                o.WriteInt32(1);
                WriteBytes(o, 2, shape);
            });
            var type = Message(o => WriteBytes(o, 1, tensorType));
            return Message(o =>
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited);
                o.WriteString(name);
                WriteBytes(o, 2, type);
            });
        }

        private static void WriteBytes(CodedOutputStream o, int field, byte[] payload)
        {
            o.WriteTag(field, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(payload));
        }

        private static byte[] Message(Action<CodedOutputStream> write)
        {
            using var stream = new MemoryStream();
            var output = new CodedOutputStream(stream, leaveOpen: true);
            write(output);
            output.Flush();
            return stream.ToArray();
        }
    }
}
