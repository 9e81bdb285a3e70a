using System.Text.Json;
using AttackCore.Gradients;
using Microsoft.ML.OnnxRuntime;

namespace AttackCore.Tests.Gradients;

/// <summary>
/// Every gradient rule against central finite differences, on the one-operator graphs of
/// scripts/make_gradient_test_graphs.py (TestModels/gradients, listed with their value kinds and tolerances in cases.json).
/// </summary>
/// <remarks>
/// For an output seed s and a direction v, the vector-Jacobian product J^T s dotted with v must equal
/// s . (f(x + h v) - f(x - h v)) / 2. Both sides use the same rounded x +- h v, so float32 rounding of the step does
/// not enter. The tolerance is relative to sum |s_j| |f_j(x + h v) - f_j(x - h v)|, the size of the terms summed.
/// </remarks>
public class ReverseModeBuilderTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestModels", "gradients");

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    private static readonly Lazy<List<GraphCase>> AllCases = new(() =>
        JsonSerializer.Deserialize<List<GraphCase>>(File.ReadAllText(Path.Combine(Folder, "cases.json")), JsonOptions)!);

    public static TheoryData<string> DifferentiableCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in AllCases.Value.Where(c => !c.Name.StartsWith("refuse_", StringComparison.Ordinal) && c.Name != "maxpool_ties"))
        {
            data.Add(c.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DifferentiableCases))]
    public void Build_OperatorGraph_MatchesFiniteDifferences(string name)
    {
        var graphCase = AllCases.Value.Single(c => c.Name == name);
        bool isDouble = graphCase.Dtype == "float64";
        var random = new Random(StableSeed(name));
        var inputs = graphCase.Inputs.ToDictionary(i => i.Name, i => Draw(i, random));
        byte[] original = File.ReadAllBytes(Path.Combine(Folder, graphCase.File));
        byte[] sut = GradientGraphBuilder.BuildVectorJacobian(original, [.. graphCase.Inputs.Select(i => Feed(i, inputs[i.Name], isDouble))]);

        using var forward = new InferenceSession(original);
        using var derived = new InferenceSession(sut);
        var outputs = forward.OutputNames.ToList();
        var clean = Run(forward, graphCase, inputs, isDouble, extra: null);
        var seeds = outputs.ToDictionary(o => o, o => clean[o].Values.Select(_ => (random.NextDouble() * 2) - 1).ToArray());
        var vjp = Run(derived, graphCase, inputs, isDouble, outputs.ToDictionary(o => o + GradientGraphBuilder.SeedSuffix, o => (seeds[o], clean[o].Shape)));

        // The derived graph keeps the forward values (the opset upgrade must not change them).
        foreach (var o in outputs)
        {
            Assert.Equal(clean[o].Values, vjp[o].Values, (a, b) => Math.Abs(a - b) <= 1e-6 * Math.Max(1, Math.Abs(a)));
        }

        double h = graphCase.Step;
        for (int direction = 0; direction < 3; direction++)
        {
            var plus = new Dictionary<string, double[]>();
            var minus = new Dictionary<string, double[]>();
            double analytic = 0;
            foreach (var input in graphCase.Inputs)
            {
                var x = inputs[input.Name];
                var grad = vjp[input.Name + GradientGraphBuilder.GradientSuffix].Values;
                var p = new double[x.Length];
                var m = new double[x.Length];
                for (int i = 0; i < x.Length; i++)
                {
                    double v = (random.NextDouble() * 2) - 1;
                    p[i] = Round(x[i] + (h * v), isDouble);
                    m[i] = Round(x[i] - (h * v), isDouble);
                    analytic += grad[i] * (p[i] - m[i]) / 2;
                }

                plus[input.Name] = p;
                minus[input.Name] = m;
            }

            var fp = Run(forward, graphCase, plus, isDouble, extra: null);
            var fm = Run(forward, graphCase, minus, isDouble, extra: null);
            double numeric = 0, scale = 0;
            foreach (var o in outputs)
            {
                for (int j = 0; j < seeds[o].Length; j++)
                {
                    double diff = (fp[o].Values[j] - fm[o].Values[j]) / 2;
                    numeric += seeds[o][j] * diff;
                    scale += Math.Abs(seeds[o][j] * diff);
                }
            }

            Assert.True(scale > 0, $"{name}: the direction changed no output");
            Assert.True(
                Math.Abs(numeric - analytic) <= graphCase.Tolerance * scale,
                $"{name}, direction {direction}: finite differences {numeric:R}, reverse pass {analytic:R}, relative error {Math.Abs(numeric - analytic) / scale:E2} > {graphCase.Tolerance:E1}");
        }
    }

    [Fact]
    public void Build_MaxPoolTies_GradientGoesToFirstMaximumOfEachWindow()
    {
        // 2x2 windows with stride 1 over a 4x4 input of only 0s and 1s: most windows hold several equal maxima.
        float[] x = [1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0];
        byte[] original = File.ReadAllBytes(Path.Combine(Folder, "maxpool_ties.onnx"));
        byte[] sut = GradientGraphBuilder.BuildVectorJacobian(original, [new ShapeProbe.Feed("X", [1, 1, 4, 4], x)]);
        float[] seed = [.. Enumerable.Range(1, 9).Select(i => (float)i)];

        using var session = new InferenceSession(sut);
        using var xv = OrtValue.CreateTensorValueFromMemory(x, [1, 1, 4, 4]);
        using var sv = OrtValue.CreateTensorValueFromMemory(seed, [1, 1, 3, 3]);
        using var results = session.Run(new RunOptions(), ["X", "Y" + GradientGraphBuilder.SeedSuffix], [xv, sv], ["X" + GradientGraphBuilder.GradientSuffix]);
        var gradient = results[0].GetTensorDataAsSpan<float>().ToArray();

        // PyTorch's max_pool2d (and ONNX Runtime's indices) keep the first maximum in row-major window order.
        var expected = new float[16];
        for (int oy = 0; oy < 3; oy++)
        {
            for (int ox = 0; ox < 3; ox++)
            {
                int best = -1;
                for (int dy = 0; dy < 2; dy++)
                {
                    for (int dx = 0; dx < 2; dx++)
                    {
                        int at = ((oy + dy) * 4) + ox + dx;
                        if (best < 0 || x[at] > x[best])
                        {
                            best = at;
                        }
                    }
                }

                expected[best] += seed[(oy * 3) + ox];
            }
        }

        Assert.Equal(expected, gradient);
    }

    [Fact]
    public void Build_UnsupportedOperator_ThrowsNamingOpAndNode()
    {
        var ex = Assert.Throws<GradientNotSupportedException>(() => BuildRefused("refuse_erf"));

        Assert.Equal("Erf", ex.OpType);
        Assert.Equal("the_erf", ex.NodeName);
        Assert.Contains("Erf", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the_erf", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_CastToIntegerOnThePath_ThrowsInsteadOfZeroGradient()
    {
        var ex = Assert.Throws<GradientNotSupportedException>(() => BuildRefused("refuse_cast_to_int"));

        Assert.Equal("Cast", ex.OpType);
        Assert.Equal("to_int", ex.NodeName);
    }

    [Fact]
    public void Build_OutputIndependentOfInput_ThrowsInsteadOfZeroGradient()
    {
        var ex = Assert.Throws<GradientNotSupportedException>(() => BuildRefused("refuse_shape_only"));

        Assert.Contains("do not depend on input 'X'", ex.Message, StringComparison.Ordinal);
    }

    private static byte[] BuildRefused(string name) =>
        GradientGraphBuilder.BuildVectorJacobian(File.ReadAllBytes(Path.Combine(Folder, name + ".onnx")), [new ShapeProbe.Feed("X", [2, 3], new float[6])]);

    private static int StableSeed(string name) => name.Aggregate(17, (h, c) => unchecked((h * 31) + c));

    private static double Round(double value, bool isDouble) => isDouble ? value : (float)value;

    private static double[] Draw(GraphInput input, Random random)
    {
        int n = (int)input.Shape.Aggregate(1L, (p, d) => p * d);
        var values = new double[n];
        if (input.Kind is "distinct" or "wide")
        {
            // An evenly spaced grid, shuffled and shifted off the kinks; neighbours are 2/n (8/n) apart.
            int[] order = [.. Enumerable.Range(0, n)];
            random.Shuffle(order);
            double span = input.Kind == "wide" ? 4 : 1;
            for (int i = 0; i < n; i++)
            {
                values[i] = span * (-1 + (2 * (order[i] + 0.5) / n) + 0.00371);
            }

            return values;
        }

        for (int i = 0; i < n; i++)
        {
            values[i] = input.Kind == "positive" ? 0.5 + (1.5 * random.NextDouble()) : (random.NextDouble() * 2) - 1;
        }

        return values;
    }

    private static ShapeProbe.Feed Feed(GraphInput input, double[] values, bool isDouble) =>
        new(input.Name, input.Shape, isDouble ? values : values.Select(v => (float)v).ToArray());

    /// <summary>Runs <paramref name="session"/> on the graph's inputs plus optional extra feeds; returns every output's values (as doubles) and shape.</summary>
    private static Dictionary<string, (double[] Values, long[] Shape)> Run(
        InferenceSession session, GraphCase graphCase, Dictionary<string, double[]> inputs, bool isDouble, Dictionary<string, (double[] Values, long[] Shape)>? extra)
    {
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var input in graphCase.Inputs)
            {
                names.Add(input.Name);
                values.Add(Tensor(inputs[input.Name], input.Shape, isDouble));
            }

            foreach (var (name, feed) in extra ?? [])
            {
                names.Add(name);
                values.Add(Tensor(feed.Values, feed.Shape, isDouble));
            }

            var outputNames = session.OutputNames.ToList();
            using var results = session.Run(new RunOptions(), names, values, outputNames);
            var dict = new Dictionary<string, (double[] Values, long[] Shape)>();
            for (int i = 0; i < outputNames.Count; i++)
            {
                double[] data = isDouble
                    ? results[i].GetTensorDataAsSpan<double>().ToArray()
                    : [.. results[i].GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v)];
                dict[outputNames[i]] = (data, results[i].GetTensorTypeAndShape().Shape);
            }

            return dict;
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    private static OrtValue Tensor(double[] values, long[] shape, bool isDouble) =>
        isDouble
            ? OrtValue.CreateTensorValueFromMemory(values.ToArray(), shape)
            : OrtValue.CreateTensorValueFromMemory(values.Select(v => (float)v).ToArray(), shape);

    private sealed record GraphInput(string Name, long[] Shape, string Kind);

    private sealed record GraphCase(string Name, string File, string Dtype, List<GraphInput> Inputs, double Tolerance, double Step);
}
