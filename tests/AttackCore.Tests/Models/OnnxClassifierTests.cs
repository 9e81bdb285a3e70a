using AttackCore.Models;
using AttackCore.Tests.TestSupport;
using Xunit.Abstractions;

namespace AttackCore.Tests.Models;

public sealed class OnnxClassifierTests(ITestOutputHelper output) : IDisposable
{
    private static readonly OnnxClassifierOptions Cpu = new() { Provider = ExecutionProviderKind.Cpu };
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Predict_MeanStdNchw_ModelReceivesNormalizedPlanes()
    {
        var spec = Spec(TinyOnnx.Flatten([null, 3, 2, 2]), 12) with
        {
            Scaling = InputScaling.MeanStd,
            Mean = [0.5f, 0.25f, 0.125f],
            Std = [0.5f, 0.25f, 2f],
        };
        using var sut = new OnnxClassifier(spec, Cpu);
        var image = Image();

        var received = Predict(sut, image, 1);

        for (int c = 0; c < 3; c++)
        {
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal((image[(c * 4) + i] - spec.Mean[c]) / spec.Std[c], received[(c * 4) + i], 5);
            }
        }
    }

    [Theory]
    [InlineData("inception-v3", -0.6, -0.2, 0.2, false)]
    [InlineData("inception-v3-timm", -0.6, -0.2, 0.2, false)]
    [InlineData("inception-v3-torchhub", -1.2445415, -0.25, 0.8622222, false)]
    [InlineData("inception-v3-torchvision", -1.2445415, -0.25, 0.8622222, false)]
    [InlineData("inception-v3-keras", -0.6, -0.2, 0.2, true)]
    [InlineData("inception-v3-tfslim", -0.6, -0.2, 0.2, true)]
    [InlineData("mobilenet-v2", -0.6, -0.2, 0.2, false)]
    public void Predict_EachPreset_ModelReceivesHandComputedValues(string preset, double red, double green, double blue, bool nhwc)
    {
        // Pixels (R, G, B) = (0.2, 0.4, 0.6) everywhere. ImageNet mean/std: (0.2 - 0.485) / 0.229 = -1.2445415,
        // (0.4 - 0.456) / 0.224 = -0.25, (0.6 - 0.406) / 0.225 = 0.8622222; [-1, 1]: 2p - 1.
        Assert.True(ModelPresets.TryGet(preset, out ModelSpec? presetSpec));
        Assert.Equal(nhwc, presetSpec.Layout == TensorLayout.Nhwc);
        long?[] dims = nhwc ? [null, 2, 2, 3] : [null, 3, 2, 2];
        ModelSpec tiny = Spec(TinyOnnx.Flatten(dims), 12);
        var spec = presetSpec with
        {
            OnnxPath = tiny.OnnxPath,
            LabelsPath = tiny.LabelsPath,
            InputName = null,
            OutputName = null,
            InputSize = 2,
            ResizeTo = presetSpec.Crop == CropRule.ShortSide ? 2 : null, // the TF-slim rule takes no resizeTo
            NumClasses = 12,
            Output = OutputKind.Logits,
            Sha256 = null,
            DownloadUrl = null,
        };
        using var sut = new OnnxClassifier(spec, Cpu);
        float[] image = [.. Enumerable.Repeat(0.2f, 4), .. Enumerable.Repeat(0.4f, 4), .. Enumerable.Repeat(0.6f, 4)];

        var received = Predict(sut, image, 1);

        int step = nhwc ? 1 : 4;
        Assert.Equal(red, received[0], 5);
        Assert.Equal(green, received[step], 5);
        Assert.Equal(blue, received[2 * step], 5);
    }

    [Fact]
    public void Predict_MinusOneToOne_ModelReceivesTwiceMinusOne()
    {
        var spec = Spec(TinyOnnx.Flatten([null, 3, 2, 2]), 12) with { Scaling = InputScaling.MinusOneToOne };
        using var sut = new OnnxClassifier(spec, Cpu);
        var image = Image();

        var received = Predict(sut, image, 1);

        Assert.Equal(image.Select(v => (v * 2) - 1), received, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void Predict_BgrZeroToOne_ModelReceivesSwappedChannels()
    {
        var spec = Spec(TinyOnnx.Flatten([null, 3, 2, 2]), 12) with { Scaling = InputScaling.ZeroToOne, ChannelOrder = ChannelOrder.Bgr };
        using var sut = new OnnxClassifier(spec, Cpu);
        var image = Image();

        var received = Predict(sut, image, 1);

        Assert.Equal(image[8..12], received[0..4]);
        Assert.Equal(image[4..8], received[4..8]);
        Assert.Equal(image[0..4], received[8..12]);
    }

    [Fact]
    public void Predict_Nhwc_ModelReceivesInterleavedPixels()
    {
        var spec = Spec(TinyOnnx.Flatten([null, 2, 2, 3]), 12) with { Scaling = InputScaling.ZeroToOne, Layout = TensorLayout.Nhwc };
        using var sut = new OnnxClassifier(spec, Cpu);
        var image = Image();

        var received = Predict(sut, image, 1);

        for (int pixel = 0; pixel < 4; pixel++)
        {
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(image[(c * 4) + pixel], received[(pixel * 3) + c]);
            }
        }
    }

    [Fact]
    public void Predict_MatMul_EqualsHandComputedLogits()
    {
        var weights = Weights(3);
        using var sut = new OnnxClassifier(Spec(TinyOnnx.MatMul(null, weights), 3) with { Scaling = InputScaling.ZeroToOne }, Cpu);
        var images = Images(5);

        var logits = Predict(sut, images, 5);

        Assert.Equal(Expected(images, 5, weights), logits, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    [Fact]
    public void Predict_ProbabilitiesOutput_ReturnsLogProbabilities()
    {
        var weights = Weights(4);
        var spec = Spec(TinyOnnx.MatMul(null, weights, softmax: true), 4) with { Scaling = InputScaling.ZeroToOne, Output = OutputKind.Probabilities };
        using var sut = new OnnxClassifier(spec, Cpu);
        var images = Images(2);

        var logProbs = Predict(sut, images, 2);

        var logits = Expected(images, 2, weights);
        for (int n = 0; n < 2; n++)
        {
            var row = logits.AsSpan(n * 4, 4);
            float max = row.ToArray().Max();
            double logSum = max + Math.Log(row.ToArray().Sum(v => Math.Exp(v - max)));
            for (int k = 0; k < 4; k++)
            {
                Assert.Equal(row[k] - logSum, logProbs[(n * 4) + k], 4);
            }
        }
    }

    [Fact]
    public void Constructor_FixedBatchOne_RewritesAndBatchesWithSameResults()
    {
        var weights = Weights(3);
        var spec = Spec(TinyOnnx.MatMul(1, weights, withValueInfo: true), 3) with { Scaling = InputScaling.ZeroToOne };
        using var sut = new OnnxClassifier(spec, Cpu with { MaxBatch = 4, BatchBuckets = [1, 4] });
        var images = Images(7);

        var batched = Predict(sut, images, 7);

        Assert.True(sut.SupportsBatching);
        var single = new float[7 * 3];
        for (int i = 0; i < 7; i++)
        {
            sut.Predict(images.AsSpan(i * 12, 12), 1, single.AsSpan(i * 3, 3));
        }

        Assert.Equal(single, batched);
        Assert.Equal(Expected(images, 7, weights), batched, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    [Fact]
    public void Constructor_HardCodedReshape_FallsBackToOneImagePerRun()
    {
        var weights = Weights(3);
        var spec = Spec(TinyOnnx.MatMul(1, weights, hardCodedReshape: true), 3) with { Scaling = InputScaling.ZeroToOne };
        using var sut = new OnnxClassifier(spec, Cpu);
        var images = Images(3);

        var logits = Predict(sut, images, 3);

        Assert.False(sut.SupportsBatching);
        Assert.Equal(Expected(images, 3, weights), logits, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    [Fact]
    public void Constructor_MakeBatchSymbolicOff_FixedModelRunsOneAtATime()
    {
        var weights = Weights(2);
        var spec = Spec(TinyOnnx.MatMul(1, weights), 2) with { Scaling = InputScaling.ZeroToOne };
        using var sut = new OnnxClassifier(spec, Cpu with { MakeBatchSymbolic = false });
        var images = Images(2);

        var logits = Predict(sut, images, 2);

        Assert.False(sut.SupportsBatching);
        Assert.Equal(Expected(images, 2, weights), logits, (a, b) => Math.Abs(a - b) < 1e-4);
    }

    [Fact]
    public void Constructor_Auto_WithoutGpuFallsBackToCpuWithNote()
    {
        if (File.Exists("/dev/nvidia0"))
        {
            return; // A GPU machine takes the CUDA path; this test is about machines without one.
        }

        using var sut = new OnnxClassifier(Spec(TinyOnnx.MatMul(null, Weights(2)), 2), new OnnxClassifierOptions());

        output.WriteLine(sut.ProviderNote);
        Assert.Equal(OnnxClassifier.CpuProviderName, sut.ProviderName);
        Assert.StartsWith("CUDA unavailable: ", sut.ProviderNote, StringComparison.Ordinal);
        Assert.EndsWith("; using CPU", sut.ProviderNote, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_CudaExplicitWithoutGpu_ThrowsClearError()
    {
        if (File.Exists("/dev/nvidia0"))
        {
            return;
        }

        var ex = Assert.Throws<InvalidOperationException>(() =>
            new OnnxClassifier(Spec(TinyOnnx.MatMul(null, Weights(2)), 2), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cuda }));

        Assert.Contains("Provider=Cuda", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CUDA is unavailable", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_Metadata_ExposesNamesHashAndLabels()
    {
        var model = TinyOnnx.MatMul(null, Weights(2));
        using var sut = new OnnxClassifier(Spec(model, 2), Cpu);

        Assert.Equal("input", sut.InputName);
        Assert.Equal("output", sut.OutputName);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(model)), sut.ModelSha256);
        Assert.Equal(["c0", "c1"], sut.Labels);
        Assert.Equal(2, sut.InputHeight);
        Assert.Equal("CPU requested", sut.ProviderNote);
    }

    [Fact]
    public void Constructor_WrongSha256_ThrowsWithBothHashes()
    {
        var spec = Spec(TinyOnnx.MatMul(null, Weights(2)), 2) with { Sha256 = new string('a', 64) };

        var ex = Assert.Throws<ModelSpecException>(() => new OnnxClassifier(spec, Cpu));

        Assert.Contains(new string('a', 64), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InputSizeMismatch_ThrowsNamingShapes()
    {
        var spec = Spec(TinyOnnx.MatMul(null, Weights(2)), 2) with { InputSize = 3 };

        var ex = Assert.Throws<ModelSpecException>(() => new OnnxClassifier(spec, Cpu));

        Assert.Contains("inputSize", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_ConcurrentCalls_AllCorrect()
    {
        var weights = Weights(3);
        using var sut = new OnnxClassifier(Spec(TinyOnnx.MatMul(null, weights), 3) with { Scaling = InputScaling.ZeroToOne }, Cpu);
        var images = Images(4);
        var expected = Expected(images, 4, weights);

        Parallel.For(0, 64, _ =>
        {
            var logits = new float[12];
            sut.Predict(images, 4, logits);
            Assert.Equal(expected, logits, (a, b) => Math.Abs(a - b) < 1e-4);
        });
    }

    [Theory]
    [InlineData(4, new[] { 1, 4 })]
    [InlineData(8, new[] { 1, 8 })]
    [InlineData(32, new[] { 1, 8, 32 })]
    [InlineData(64, new[] { 1, 8, 32, 64 })]
    public void Options_DefaultBuckets_FitUnderMaxBatch(int maxBatch, int[] expected)
    {
        var sut = new OnnxClassifierOptions { MaxBatch = maxBatch };

        sut.Validate();
        Assert.Equal(expected, sut.EffectiveBatchBuckets);
    }

    [Fact]
    public void Options_InvalidBucket_ThrowsNamingOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => new OnnxClassifierOptions { MaxBatch = 8, BatchBuckets = [1, 16] }.Validate());

        Assert.Contains("BatchBuckets", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DescribeProviderError_MissingLibrary_NamesIt()
    {
        var ex = new InvalidOperationException("Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory");

        Assert.Equal("libcublasLt.so.13 not found", OnnxClassifier.DescribeProviderError(ex));
    }

    private static float[] Predict(OnnxClassifier sut, float[] images, int count)
    {
        var logits = new float[count * sut.NumClasses];
        sut.Predict(images, count, logits);
        return logits;
    }

    private static float[] Image() => [.. Enumerable.Range(0, 12).Select(i => i / 11f)];

    private static float[] Images(int count)
    {
        var random = new Random(7);
        return [.. Enumerable.Range(0, count * 12).Select(_ => random.NextSingle())];
    }

    private static float[,] Weights(int k)
    {
        var w = new float[12, k];
        for (int i = 0; i < 12; i++)
        {
            for (int j = 0; j < k; j++)
            {
                w[i, j] = ((i * 7) + (j * 3)) % 5 - 2 + (j * 0.5f);
            }
        }

        return w;
    }

    private static float[] Expected(float[] images, int count, float[,] w)
    {
        int k = w.GetLength(1);
        var result = new float[count * k];
        for (int n = 0; n < count; n++)
        {
            for (int j = 0; j < k; j++)
            {
                double sum = 0;
                for (int i = 0; i < 12; i++)
                {
                    sum += images[(n * 12) + i] * w[i, j];
                }

                result[(n * k) + j] = (float)sum;
            }
        }

        return result;
    }

    [Theory]
    [InlineData("text")]
    [InlineData("random")]
    [InlineData("truncated")]
    public void Constructor_FileThatIsNotAnOnnxModel_NamesTheFileInPlainWords(string kind)
    {
        byte[] model = TinyOnnx.Flatten([null, 3, 2, 2]);
        byte[] bytes = kind switch
        {
            "text" => "this is not a model\n"u8.ToArray(),
            "random" => RandomBytes(3000, seed: 5),
            _ => model[..(model.Length / 2)],
        };
        var spec = Spec(bytes, 12);

        var ex = Assert.Throws<ModelSpecException>(() => new OnnxClassifier(spec, Cpu));

        Assert.Contains($"'{spec.OnnxPath}' is not a valid ONNX model", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SkipLastField", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Protocol message", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ONNXRuntimeError", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.InnerException);
    }

    private static byte[] RandomBytes(int count, int seed)
    {
        byte[] bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private ModelSpec Spec(byte[] model, int classes)
    {
        var name = Guid.NewGuid().ToString("N");
        return new ModelSpec
        {
            Name = "tiny",
            OnnxPath = temp.Write(name + ".onnx", model),
            LabelsPath = temp.Write(name + ".txt", string.Join('\n', Enumerable.Range(0, classes).Select(i => $"c{i}"))),
            InputSize = 2,
            NumClasses = classes,
        };
    }
}
