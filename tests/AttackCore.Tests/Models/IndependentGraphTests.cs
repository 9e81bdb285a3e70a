using System.Text.Json;
using AttackCore.Models;

namespace AttackCore.Tests.Models;

/// <summary>
/// The classifier against ONNX files written by another producer (onnx.helper in Python, see
/// TestModels/README.md), so the C# graph writer used elsewhere is not checking itself.
/// </summary>
public class IndependentGraphTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestModels");

    private static ModelSpec Spec(string file, string output = "logits", OutputKind kind = OutputKind.Logits) => new()
    {
        Name = Path.GetFileNameWithoutExtension(file),
        OnnxPath = Path.Combine(Folder, file),
        OutputName = output,
        InputSize = 8,
        Scaling = InputScaling.ZeroToOne,
        NumClasses = 4,
        Output = kind,
        LabelsPath = Path.Combine(Folder, "labels4.txt"),
    };

    private static (double[][] W, double[] B) Weights()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "linear_3x8x8_4.weights.json")));
        double[][] w = doc.RootElement.GetProperty("W").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        double[] b = doc.RootElement.GetProperty("B").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return (w, b);
    }

    private static float[] Images(int count)
    {
        var random = new Random(3);
        return Enumerable.Range(0, count * 192).Select(_ => random.Next(256) / 255f).ToArray();
    }

    private static double[] Expected(float[] images, int n)
    {
        (double[][] w, double[] b) = Weights();
        var logits = new double[4];
        for (int k = 0; k < 4; k++)
        {
            logits[k] = b[k];
            for (int i = 0; i < 192; i++)
            {
                logits[k] += images[(n * 192) + i] * w[i][k];
            }
        }

        return logits;
    }

    [Theory]
    [InlineData("linear_3x8x8_4.onnx")]
    [InlineData("linear_3x8x8_4_batch1.onnx")]
    public void Predict_PythonWrittenLinearGraph_MatchesHandComputedLogits(string file)
    {
        using var sut = new OnnxClassifier(Spec(file), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        float[] images = Images(3);
        var logits = new float[12];

        sut.Predict(images, 3, logits);

        Assert.True(sut.SupportsBatching);
        for (int n = 0; n < 3; n++)
        {
            double[] expected = Expected(images, n);
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(expected[k], logits[(n * 4) + k], 4);
            }
        }
    }

    [Fact]
    public void Predict_PythonWrittenSoftmaxGraph_ReturnsLogProbabilities()
    {
        using var sut = new OnnxClassifier(Spec("linear_3x8x8_4_softmax.onnx", "probs", OutputKind.Probabilities), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        float[] images = Images(1);
        var logits = new float[4];

        sut.Predict(images, 1, logits);

        double[] expected = Expected(images, 0);
        double logSum = Math.Log(expected.Sum(Math.Exp));
        for (int k = 0; k < 4; k++)
        {
            Assert.Equal(expected[k] - logSum, logits[k], 4);
        }
    }

    [Fact]
    public void Predict_HardCodedBatchReshape_FallsBackToOneAtATime()
    {
        using var sut = new OnnxClassifier(Spec("reshape_batch1_3x8x8_4.onnx"), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        float[] images = Images(3);
        var logits = new float[12];

        sut.Predict(images, 3, logits);

        Assert.False(sut.SupportsBatching);
        for (int n = 0; n < 3; n++)
        {
            double[] expected = Expected(images, n);
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(expected[k], logits[(n * 4) + k], 4);
            }
        }
    }
}
