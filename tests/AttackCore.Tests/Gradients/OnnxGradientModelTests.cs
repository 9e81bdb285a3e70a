using System.Text.Json;
using AttackCore.Gradients;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Gradients;

/// <summary>The gradient model's contract on the bundled Fashion-MNIST CNN: same logits as the classifier, losses as documented, cache reuse, argument checks.</summary>
public class OnnxGradientModelTests
{
    private static readonly JsonSerializerOptions FixtureJson = new() { PropertyNameCaseInsensitive = true };

    internal static ModelSpec FashionSpec() =>
        ModelSpecLoader.Load(RepoPaths.FromRoot(Path.Combine("models", "fashion-mnist-cnn", "model.json"))!);

    internal static float[] RandomImages(int count, int size, int seed, int channels = 3)
    {
        var random = new Random(seed);
        var images = new float[count * channels * size * size];
        for (int i = 0; i < images.Length; i++)
        {
            images[i] = random.NextSingle();
        }

        return images;
    }

    [Fact]
    public void ComputeGradients_FashionMnist_LogitsEqualClassifier()
    {
        using var cache = new TempFolder();
        var spec = FashionSpec();
        var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
        using var classifier = new OnnxClassifier(spec, cpu);
        using var sut = new OnnxGradientModel(spec, cpu, cache.Path);
        const int count = 3;
        var images = RandomImages(count, 28, 7, channels: 1);
        var expected = new float[count * 10];
        classifier.Predict(images, count, expected);

        var logits = new float[count * 10];
        var losses = new float[count];
        var gradients = new float[images.Length];
        sut.ComputeGradients(images, count, GradientLoss.CrossEntropy, [0, 1, 2], [], logits, losses, gradients);

        Assert.Equal(expected, logits, (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1f, Math.Abs(a)));
        Assert.Contains(gradients, g => g != 0f);
    }

    public static TheoryData<string, TensorLayout, ChannelOrder, InputScaling, OutputKind> PreprocessingCases() => new()
    {
        { "classifier_nhwc.onnx", TensorLayout.Nhwc, ChannelOrder.Bgr, InputScaling.MeanStd, OutputKind.Logits },
        { "classifier_nhwc.onnx", TensorLayout.Nhwc, ChannelOrder.Rgb, InputScaling.MinusOneToOne, OutputKind.Logits },
        { "../linear_3x8x8_4_softmax.onnx", TensorLayout.Nchw, ChannelOrder.Bgr, InputScaling.MeanStd, OutputKind.Probabilities },
        { "../linear_3x8x8_4.onnx", TensorLayout.Nchw, ChannelOrder.Rgb, InputScaling.ZeroToOne, OutputKind.Logits },
    };

    /// <summary>
    /// The preprocessing inside the derived graph (layout, channel order, scaling, probabilities to log-probabilities)
    /// gives the classifier's logits, and the pixel gradient through it matches central differences of the loss.
    /// </summary>
    private static ModelSpec LinearSpec() => new()
    {
        Name = "linear",
        OnnxPath = Path.Combine(AppContext.BaseDirectory, "TestModels", "linear_3x8x8_4.onnx"),
        LabelsPath = Path.Combine(AppContext.BaseDirectory, "TestModels", "labels4.txt"),
        InputSize = 8,
        NumClasses = 4,
        Scaling = InputScaling.MinusOneToOne,
    };

    /// <summary>
    /// A surrogate on another grid (11 x 6, resized to its 8 x 8 input: down in height, up in width): its logits are the
    /// model's on the bilinear resize, its gradient is the resize's transpose applied to the model's own gradient, and
    /// it matches central differences.
    /// </summary>
    [Fact]
    public void ForPixelGrid_OtherSize_ResizesInsideTheGraphAndDifferentiatesTheResize()
    {
        using var cache = new TempFolder();
        var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
        using var own = new OnnxGradientModel(LinearSpec(), cpu, cache.Path);
        using var sut = OnnxGradientModel.ForPixelGrid(LinearSpec(), 11, 6, 3, cpu, cache.Path);
        var random = new Random(5);
        float[] image = [.. Enumerable.Range(0, 3 * 11 * 6).Select(_ => random.NextSingle())];
        var resized = new float[3 * 8 * 8];
        AxisMap rows = AxisMap.Bilinear(11, 8), columns = AxisMap.Bilinear(6, 8);
        AxisMap.Apply(rows, columns, image, 3, resized);
        float[] expectedLogits = new float[4], ownGradient = new float[resized.Length];
        own.ComputeGradients(resized, 1, GradientLoss.CrossEntropy, [1], [], expectedLogits, new float[1], ownGradient);
        var expectedGradient = new float[image.Length];
        AxisMap.ApplyTransposed(rows, columns, ownGradient, 3, expectedGradient);

        float[] logits = new float[4], gradient = new float[image.Length];
        sut.ComputeGradients(image, 1, GradientLoss.CrossEntropy, [1], [], logits, new float[1], gradient);

        Assert.Equal((11, 6), (sut.InputHeight, sut.InputWidth));
        Assert.NotEqual(own.CachePath, sut.CachePath);
        Assert.Equal(expectedLogits, logits, (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1f, Math.Abs(a)));
        Assert.Equal(expectedGradient, gradient, (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1e-2f, Math.Abs(a)));
        for (int probe = 0; probe < 6; probe++)
        {
            int at = random.Next(image.Length);
            double numeric = CentralDifference(sut, image, at, 1e-2f, GradientLoss.CrossEntropy, 1, 4);
            Assert.True(Math.Abs(numeric - gradient[at]) <= 2e-3 * Math.Max(1e-2, Math.Abs(numeric)), $"pixel {at}: finite differences {numeric:R}, gradient {gradient[at]:R}");
        }
    }

    [Fact]
    public void ForPixelGrid_GraySurrogateForAnRgbTarget_ThrowsNamingBothChannelCounts()
    {
        using var cache = new TempFolder();

        var ex = Assert.Throws<ModelSpecException>(() => OnnxGradientModel.ForPixelGrid(FashionSpec(), 28, 28, 3, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu }, cache.Path));

        Assert.Contains("gray (1 channel)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RGB (3 channels)", ex.Message, StringComparison.Ordinal);
    }

    [SharedModelFact("mobilenet_v1_0.5_160")]
    public void ForPixelGrid_MobileNetV1On224_LogitsEqualClassifierOnTheResizedImage()
    {
        using var cache = new TempFolder();
        var spec = SharedSpec("mobilenet_v1_0.5_160", 160);
        var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
        using var classifier = new OnnxClassifier(spec, cpu);
        using var sut = OnnxGradientModel.ForPixelGrid(spec, 224, 224, 3, cpu, cache.Path);
        var images = RandomImages(2, 224, 8);
        var resized = new float[2 * 3 * 160 * 160];
        AxisMap map = AxisMap.Bilinear(224, 160);
        AxisMap.Apply(map, map, images, 6, resized);
        var expected = new float[2 * 1001];
        classifier.Predict(resized, 2, expected);

        var logits = new float[2 * 1001];
        var gradients = new float[images.Length];
        sut.ComputeGradients(images, 2, GradientLoss.CrossEntropy, [1, 2], [], logits, new float[2], gradients);

        Assert.Equal(expected, logits, (a, b) => Math.Abs(a - b) <= 1e-3f * Math.Max(1f, Math.Abs(a)));
        Assert.Contains(gradients, g => g != 0f);
    }

    [Theory]
    [MemberData(nameof(PreprocessingCases))]
    public void ComputeGradients_Preprocessing_LogitsEqualClassifierAndGradientMatchesFiniteDifferences(
        string file, TensorLayout layout, ChannelOrder order, InputScaling scaling, OutputKind output)
    {
        using var cache = new TempFolder();
        var spec = new ModelSpec
        {
            Name = Path.GetFileNameWithoutExtension(file),
            OnnxPath = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "TestModels", "gradients", file)),
            LabelsPath = Path.Combine(AppContext.BaseDirectory, "TestModels", "labels4.txt"),
            InputSize = 8,
            NumClasses = 4,
            Layout = layout,
            ChannelOrder = order,
            Scaling = scaling,
            Mean = [0.3f, 0.5f, 0.6f],
            Std = [0.2f, 0.25f, 0.4f],
            Output = output,
        };
        var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
        using var classifier = new OnnxClassifier(spec, cpu);
        using var sut = new OnnxGradientModel(spec, cpu, cache.Path);
        const int n = 3 * 8 * 8;
        var image = RandomImages(1, 8, 3);
        var expected = new float[4];
        classifier.Predict(image, 1, expected);
        var logits = new float[4];
        var loss = new float[1];
        var gradient = new float[n];
        sut.ComputeGradients(image, 1, GradientLoss.CrossEntropy, [2], [], logits, loss, gradient);

        Assert.Equal(expected, logits, (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1f, Math.Abs(a)));

        // Central differences of the loss along single pixels of each channel (cross-entropy is smooth here).
        var random = new Random(9);
        for (int probe = 0; probe < 6; probe++)
        {
            int at = (probe % 3 * 64) + random.Next(64);
            double numeric = CentralDifference(sut, image, at, 1e-2f, GradientLoss.CrossEntropy, 2, 4);
            Assert.True(Math.Abs(numeric - gradient[at]) <= 2e-3 * Math.Max(1e-2, Math.Abs(numeric)), $"pixel {at}: finite differences {numeric:R}, gradient {gradient[at]:R}");
        }
    }

    public static TheoryData<string, TensorLayout, InputScaling> GrayCases() => new()
    {
        { "classifier_nhwc.onnx", TensorLayout.Nhwc, InputScaling.MeanStd },
        { "../linear_3x8x8_4.onnx", TensorLayout.Nchw, InputScaling.ZeroToOne },
    };

    /// <summary>
    /// A three-channel model declared gray takes one plane: the derived graph feeds it to every channel, its logits are
    /// the classifier's, its gradient matches central differences on the gray plane and equals the sum of the RGB
    /// model's three channel gradients at the replicated image (the chain rule through the replication).
    /// </summary>
    [Theory]
    [MemberData(nameof(GrayCases))]
    public void ComputeGradients_GrayOrderOnThreeChannelModel_OnePlaneGradientIsTheSumOverChannels(string file, TensorLayout layout, InputScaling scaling)
    {
        using var cache = new TempFolder();
        var rgbSpec = new ModelSpec
        {
            Name = Path.GetFileNameWithoutExtension(file),
            OnnxPath = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "TestModels", "gradients", file)),
            LabelsPath = Path.Combine(AppContext.BaseDirectory, "TestModels", "labels4.txt"),
            InputSize = 8,
            NumClasses = 4,
            Layout = layout,
            Scaling = scaling,
            Mean = [0.3f, 0.5f, 0.6f],
            Std = [0.2f, 0.25f, 0.4f],
        };
        var graySpec = rgbSpec with { ChannelOrder = ChannelOrder.Gray };
        var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
        using var classifier = new OnnxClassifier(graySpec, cpu);
        using var sut = new OnnxGradientModel(graySpec, cpu, cache.Path);
        using var rgb = new OnnxGradientModel(rgbSpec, cpu, cache.Path);
        const int n = 8 * 8;
        var image = RandomImages(1, 8, 3, channels: 1);
        var expected = new float[4];
        classifier.Predict(image, 1, expected);
        var logits = new float[4];
        var gradient = new float[n];
        sut.ComputeGradients(image, 1, GradientLoss.CrossEntropy, [2], [], logits, new float[1], gradient);
        var rgbGradient = new float[3 * n];
        rgb.ComputeGradients([.. image, .. image, .. image], 1, GradientLoss.CrossEntropy, [2], [], new float[4], new float[1], rgbGradient);

        Assert.Equal((1, 1), (classifier.Channels, sut.Channels));
        Assert.Equal(expected, logits, (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1f, Math.Abs(a)));
        for (int i = 0; i < n; i++)
        {
            float sum = rgbGradient[i] + rgbGradient[n + i] + rgbGradient[(2 * n) + i];
            Assert.True(Math.Abs(sum - gradient[i]) <= 1e-5f * Math.Max(1f, Math.Abs(sum)), $"pixel {i}: gray gradient {gradient[i]:R}, sum of RGB gradients {sum:R}");
        }

        var random = new Random(9);
        for (int probe = 0; probe < 6; probe++)
        {
            int at = random.Next(n);
            double numeric = CentralDifference(sut, image, at, 1e-2f, GradientLoss.CrossEntropy, 2, 4);
            Assert.True(Math.Abs(numeric - gradient[at]) <= 2e-3 * Math.Max(1e-2, Math.Abs(numeric)), $"pixel {at}: finite differences {numeric:R}, gradient {gradient[at]:R}");
        }
    }

    [Fact]
    public void ComputeGradients_OneChannelFashionMnist_TakesOnePlaneAndMatchesFiniteDifferencesOfTheMargin()
    {
        using var cache = new TempFolder();
        using var sut = new OnnxGradientModel(FashionSpec(), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu }, cache.Path);
        const int n = 28 * 28;
        float[] image = FixtureImage(3, 28, channels: 1);
        var gradient = new float[n];
        sut.ComputeGradients(image, 1, GradientLoss.Margin, [4], [], new float[10], new float[1], gradient);

        Assert.Equal(1, sut.Channels);
        Assert.Contains(gradient, g => g != 0f);

        // A piecewise-linear network: small steps along the gradient's largest entries stay inside one linear piece.
        foreach (int at in gradient.Select((g, i) => (g, i)).OrderByDescending(p => Math.Abs(p.g)).Take(5).Select(p => p.i))
        {
            double numeric = CentralDifference(sut, image, at, 1e-3f, GradientLoss.Margin, 4, 10);
            Assert.True(Math.Abs(numeric - gradient[at]) <= 2e-2 * Math.Max(1e-2, Math.Abs(numeric)), $"pixel {at}: finite differences {numeric:R}, gradient {gradient[at]:R}");
        }
    }

    [Fact]
    public void ComputeLogitGradients_FashionMnist_LossIsTheWeightedLogitSumAndGradientMatchesFiniteDifferences()
    {
        using var cache = new TempFolder();
        using var sut = new OnnxGradientModel(FashionSpec(), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu }, cache.Path);
        using var classifier = new OnnxClassifier(FashionSpec(), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        const int n = 28 * 28;
        float[] images = [.. FixtureImage(3, 28, channels: 1), .. FixtureImage(4, 28, channels: 1)];
        var random = new Random(5);
        float[] weights = [.. Enumerable.Range(0, 20).Select(_ => (random.NextSingle() * 2) - 1)];
        var logits = new float[20];
        var losses = new float[2];
        var gradients = new float[2 * n];

        sut.ComputeLogitGradients(images, 2, weights, logits, losses, gradients);

        var expectedLogits = new float[20];
        classifier.Predict(images, 2, expectedLogits);
        for (int i = 0; i < 2; i++)
        {
            double sum = 0;
            for (int k = 0; k < 10; k++)
            {
                Assert.Equal(expectedLogits[(i * 10) + k], logits[(i * 10) + k], 1e-4f);
                sum += weights[(i * 10) + k] * (double)logits[(i * 10) + k];
            }

            Assert.Equal(sum, losses[i], 1e-4);
        }

        // Image 1 alone gives its row of the batch: images are independent.
        var single = new float[n];
        sut.ComputeLogitGradients(images.AsSpan(n, n), 1, weights.AsSpan(10, 10), new float[10], new float[1], single);
        Assert.Equal(gradients.AsSpan(n, n).ToArray(), single, (a, b) => Math.Abs(a - b) <= 1e-5f);

        // A piecewise-linear network: small steps along the gradient's largest entries stay inside one linear piece.
        float[] image = images[..n];
        float[] w = weights[..10];
        foreach (int at in gradients[..n].Select((g, i) => (g, i)).OrderByDescending(p => Math.Abs(p.g)).Take(5).Select(p => p.i))
        {
            var plus = (float[])image.Clone();
            var minus = (float[])image.Clone();
            plus[at] += 1e-3f;
            minus[at] -= 1e-3f;
            float[] lp = new float[1], lm = new float[1];
            sut.ComputeLogitGradients(plus, 1, w, new float[10], lp, new float[n]);
            sut.ComputeLogitGradients(minus, 1, w, new float[10], lm, new float[n]);
            double numeric = (lp[0] - lm[0]) / (plus[at] - minus[at]);
            Assert.True(Math.Abs(numeric - gradients[at]) <= 2e-2 * Math.Max(1e-2, Math.Abs(numeric)), $"pixel {at}: finite differences {numeric:R}, gradient {gradients[at]:R}");
        }
    }

    [Fact]
    public void ComputeLogitGradients_NonFiniteWeight_ThrowsNamingWeights()
    {
        using var cache = new TempFolder();
        using var sut = new OnnxGradientModel(FashionSpec(), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu }, cache.Path);
        float[] weights = new float[10];
        weights[3] = float.NaN;

        var ex = Assert.Throws<ArgumentException>(() =>
            sut.ComputeLogitGradients(new float[28 * 28], 1, weights, new float[10], new float[1], new float[28 * 28]));

        Assert.Equal("weights", ex.ParamName);
    }

    [Fact]
    public void Constructor_ModelHardCodesBatchOfOne_RunsOneImagePerRunWithSameResults()
    {
        using var cache = new TempFolder();
        var spec = new ModelSpec
        {
            Name = "reshape-batch1",
            OnnxPath = Path.Combine(AppContext.BaseDirectory, "TestModels", "reshape_batch1_3x8x8_4.onnx"),
            LabelsPath = Path.Combine(AppContext.BaseDirectory, "TestModels", "labels4.txt"),
            InputSize = 8,
            NumClasses = 4,
        };
        var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
        using var classifier = new OnnxClassifier(spec, cpu);
        using var sut = new OnnxGradientModel(spec, cpu, cache.Path);
        const int n = 3 * 8 * 8;
        var images = RandomImages(2, 8, 4);
        var expected = new float[8];
        classifier.Predict(images, 2, expected);
        var logits = new float[8];
        var gradients = new float[2 * n];
        sut.ComputeGradients(images, 2, GradientLoss.Margin, [0, 3], [], logits, new float[2], gradients);
        var second = new float[n];
        sut.ComputeGradients(images.AsSpan(n), 1, GradientLoss.Margin, [3], [], new float[4], new float[1], second);

        Assert.False(sut.SupportsBatching);
        Assert.Equal(expected, logits, (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1f, Math.Abs(a)));
        Assert.Equal(second, gradients.AsSpan(n).ToArray());
        Assert.Contains(second, g => g != 0f);
    }

    [SharedModelFact("mobilenet_v2_1.0_224")]
    public void ComputeGradients_MobileNetV2_LogitsEqualClassifier()
    {
        using var cache = new TempFolder();
        var spec = SharedSpec("mobilenet_v2_1.0_224", 224);
        var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
        using var classifier = new OnnxClassifier(spec, cpu);
        using var sut = new OnnxGradientModel(spec, cpu, cache.Path);
        var images = RandomImages(2, 224, 21);
        var expected = new float[2 * 1001];
        classifier.Predict(images, 2, expected);
        var logits = new float[2 * 1001];
        sut.ComputeGradients(images, 2, GradientLoss.Margin, [1, 2], [], logits, new float[2], new float[images.Length]);

        Assert.Equal(expected, logits, (a, b) => Math.Abs(a - b) <= 1e-4f * Math.Max(1f, Math.Abs(a)));
    }

    [Theory]
    [InlineData(GradientLoss.CrossEntropy)]
    [InlineData(GradientLoss.Margin)]
    [InlineData(GradientLoss.Dlr)]
    [InlineData(GradientLoss.TargetedCrossEntropy)]
    [InlineData(GradientLoss.TargetedMargin)]
    [InlineData(GradientLoss.TargetedDlr)]
    public void ComputeGradients_EachLoss_ValueAsDocumentedAndGradientMatchesSingleImageRuns(GradientLoss loss)
    {
        using var cache = new TempFolder();
        using var sut = new OnnxGradientModel(FashionSpec(), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu }, cache.Path);
        const int count = 3, n = 28 * 28;
        var images = RandomImages(count, 28, 11, channels: 1);
        int[] labels = [4, 0, 9], targets = [1, 7, 2];
        var logits = new float[count * 10];
        var losses = new float[count];
        var gradients = new float[count * n];
        sut.ComputeGradients(images, count, loss, labels, targets, logits, losses, gradients);

        for (int i = 0; i < count; i++)
        {
            var z = logits.AsSpan(i * 10, 10).ToArray().Select(v => (double)v).ToArray();
            Assert.Equal(ExpectedLoss(loss, z, labels[i], targets[i]), losses[i], 1e-4 * Math.Max(1, Math.Abs(losses[i])));

            // Images in a batch are independent: one image alone gives the same gradient.
            var single = new float[n];
            sut.ComputeGradients(images.AsSpan(i * n, n), 1, loss, labels.AsSpan(i, 1), targets.AsSpan(i, 1), new float[10], new float[1], single);
            Assert.Equal(single, gradients.AsSpan(i * n, n).ToArray(), (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1f, Math.Abs(a)));
            Assert.Contains(single, g => g != 0f);
        }
    }

    [Fact]
    public void ComputeGradients_LabelOutOfRange_ThrowsNamingLabels()
    {
        using var cache = new TempFolder();
        using var sut = new OnnxGradientModel(FashionSpec(), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu }, cache.Path);
        var images = RandomImages(1, 28, 1, channels: 1);

        var ex = Assert.Throws<ArgumentException>(() =>
            sut.ComputeGradients(images, 1, GradientLoss.Margin, [10], [], new float[10], new float[1], new float[images.Length]));

        Assert.Equal("labels", ex.ParamName);
    }

    [Fact]
    public void ComputeGradients_TargetedLossWithoutTargets_Throws()
    {
        using var cache = new TempFolder();
        using var sut = new OnnxGradientModel(FashionSpec(), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu }, cache.Path);
        var images = RandomImages(1, 28, 1, channels: 1);

        var ex = Assert.Throws<ArgumentException>(() =>
            sut.ComputeGradients(images, 1, GradientLoss.TargetedDlr, [3], [], new float[10], new float[1], new float[images.Length]));

        Assert.Equal("targets", ex.ParamName);
    }

    [Fact]
    public void Constructor_SecondLoad_ReusesCachedDerivedGraph()
    {
        using var cache = new TempFolder();
        var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
        var images = RandomImages(2, 28, 5, channels: 1);
        float[] first = new float[images.Length], second = new float[images.Length];
        using (var sut = new OnnxGradientModel(FashionSpec(), cpu, cache.Path))
        {
            Assert.True(File.Exists(sut.CachePath));
            Assert.StartsWith(Path.Combine(cache.Path, sut.ModelSha256), sut.CachePath, StringComparison.Ordinal);
            Assert.True(sut.SupportsBatching);
            sut.ComputeGradients(images, 2, GradientLoss.Dlr, [1, 2], [], new float[20], new float[2], first);
        }

        var written = File.GetLastWriteTimeUtc(Directory.GetFiles(cache.Path).Single());
        using (var again = new OnnxGradientModel(FashionSpec(), cpu, cache.Path))
        {
            again.ComputeGradients(images, 2, GradientLoss.Dlr, [1, 2], [], new float[20], new float[2], second);
        }

        Assert.Equal(written, File.GetLastWriteTimeUtc(Directory.GetFiles(cache.Path).Single()));
        Assert.Equal(first, second);
    }

    [Fact]
    public void Constructor_ModelWithUnsupportedOp_ThrowsNamingOpAndNodeWhileClassifierStillLoads()
    {
        using var cache = new TempFolder();
        var spec = new ModelSpec
        {
            Name = "erf-head",
            OnnxPath = Path.Combine(AppContext.BaseDirectory, "TestModels", "gradients", "classifier_with_erf.onnx"),
            InputSize = 4,
            NumClasses = 4,
            LabelsPath = Path.Combine(AppContext.BaseDirectory, "TestModels", "labels4.txt"),
            Scaling = InputScaling.ZeroToOne,
        };
        var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };

        var ex = Assert.Throws<GradientNotSupportedException>(() => new OnnxGradientModel(spec, cpu, cache.Path));

        Assert.Equal("Erf", ex.OpType);
        Assert.Equal("head_erf", ex.NodeName);
        using var classifier = new OnnxClassifier(spec, cpu);
        classifier.Predict(new float[48], 1, new float[4]);
    }

    /// <summary>The losses as <see cref="GradientLoss"/> documents them, from the logits.</summary>
    private static double ExpectedLoss(GradientLoss loss, double[] z, int y, int t)
    {
        double MaxOther(int excluded) => z.Where((_, i) => i != excluded).Max();
        double logSumExp = Math.Log(z.Sum(Math.Exp));
        var sorted = z.OrderDescending().ToArray();
        return loss switch
        {
            GradientLoss.CrossEntropy => logSumExp - z[y],
            GradientLoss.Margin => MaxOther(y) - z[y],
            GradientLoss.Dlr => -(z[y] - MaxOther(y)) / (sorted[0] - sorted[2] + 1e-12),
            GradientLoss.TargetedCrossEntropy => z[t] - logSumExp,
            GradientLoss.TargetedMargin => z[t] - MaxOther(t),
            GradientLoss.TargetedDlr => -(z[y] - z[t]) / (sorted[0] - ((sorted[2] + sorted[3]) / 2) + 1e-12),
            _ => throw new ArgumentOutOfRangeException(nameof(loss)),
        };
    }

    [Fact]
    public void ComputeGradients_FashionMnist_MatchesPyTorchAutograd() => CompareWithAutograd(FashionSpec(), "fashion-mnist-cnn");

    [SharedModelFact("mobilenet_v1_0.5_160")]
    public void ComputeGradients_MobileNetV1_MatchesPyTorchAutograd() => CompareWithAutograd(SharedSpec("mobilenet_v1_0.5_160", 160), "mobilenet_v1_0.5_160");

    [SharedModelFact("mobilenet_v2_1.0_224")]
    public void ComputeGradients_MobileNetV2_MatchesPyTorchAutograd() => CompareWithAutograd(SharedSpec("mobilenet_v2_1.0_224", 224), "mobilenet_v2_1.0_224");

    internal static ModelSpec SharedSpec(string folder, int size)
    {
        var path = SharedModelFactAttribute.SharedModelPath(folder)!;
        return new ModelSpec
        {
            Name = folder,
            OnnxPath = Path.Combine(path, "model.onnx"),
            LabelsPath = Path.Combine(path, "labels.txt"),
            InputSize = size,
            Scaling = InputScaling.MinusOneToOne,
            NumClasses = 1001,
            BackgroundOffset = 1,
        };
    }

    /// <summary>The fixture images of scripts/make_gradient_fixtures.py: ramps plus 4x4 blocks of hashed noise, 8-bit values / 255 (a gray image is the first plane).</summary>
    internal static float[] FixtureImage(int seed, int size, int channels = 3)
    {
        var pixels = new float[channels * size * size];
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    long ramp = ((x * 97L) + (y * 57L) + (c * 71L) + (seed * 13L)) % 160;
                    uint noise = Mix((uint)((seed * 1000003L) + (c * 7919L) + (y / 4 * 131L) + (x / 4))) % 96;
                    pixels[(((c * size) + y) * size) + x] = (ramp + noise) / 255f;
                }
            }
        }

        return pixels;
    }

    private static uint Mix(uint a)
    {
        a ^= a >> 16;
        a *= 0x7FEB352D;
        a ^= a >> 15;
        a *= 0x846CA68B;
        a ^= a >> 16;
        return a;
    }

    /// <summary>
    /// Runs every fixture loss over all fixture images in one batched call and compares with PyTorch (float64 autograd
    /// on the same ONNX weights): logits, loss, and the gradient through 128 sampled entries, its L2 norm and a
    /// weighted checksum of all entries, each within a relative error of 1e-3.
    /// </summary>
    private static void CompareWithAutograd(ModelSpec spec, string fixtureName)
    {
        var fixture = JsonSerializer.Deserialize<AutogradFixture>(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestModels", "gradients", "fixtures", fixtureName + ".json")),
            FixtureJson)!;
        using var cache = new TempFolder();
        using var sut = new OnnxGradientModel(spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu }, cache.Path);
        Assert.Equal(fixture.Channels, sut.Channels);
        int count = fixture.Images.Count, size = fixture.InputSize, n = fixture.Channels * size * size, classes = spec.NumClasses;
        var images = new float[count * n];
        for (int i = 0; i < count; i++)
        {
            FixtureImage(fixture.Images[i].Seed, size, fixture.Channels).CopyTo(images, i * n);
        }

        int[] labels = [.. fixture.Images.Select(i => i.Label)];
        int[] targets = [.. fixture.Images.Select(i => i.Target)];
        double[] checksumWeights = [.. Enumerable.Range(0, n).Select(i => (double)((i * 7919L % 13) - 6))];
        foreach (var group in fixture.Cases.GroupBy(c => c.Loss))
        {
            var loss = Enum.Parse<GradientLoss>(group.Key);
            var logits = new float[count * classes];
            var losses = new float[count];
            var gradients = new float[count * n];
            sut.ComputeGradients(images, count, loss, labels, targets, logits, losses, gradients);

            foreach (var expected in group)
            {
                var image = fixture.Images[expected.Image];
                string what = $"{fixtureName}, image {expected.Image}, {loss}";
                var z = logits.AsSpan(expected.Image * classes, classes).ToArray();
                Assert.True(MaxRelative(z, image.Logits) <= 1e-4, $"{what}: logits differ from PyTorch by {MaxRelative(z, image.Logits):E2}");
                Assert.True(Math.Abs(losses[expected.Image] - expected.Value) <= 1e-3 * Math.Max(1, Math.Abs(expected.Value)), $"{what}: loss {losses[expected.Image]} vs PyTorch {expected.Value}");

                var g = gradients.AsSpan(expected.Image * n, n).ToArray();
                double norm = Math.Sqrt(g.Sum(v => (double)v * v));
                double checksum = g.Select((v, i) => v * checksumWeights[i]).Sum();
                double sampledError = Math.Sqrt(expected.Indices.Select((at, k) => Math.Pow(g[at] - expected.Values[k], 2)).Sum());
                double sampledNorm = Math.Sqrt(expected.Values.Sum(v => v * v));
                Assert.True(expected.Norm > 0, $"{what}: the PyTorch gradient is zero; the fixture cannot tell anything");
                Assert.True(Math.Abs(norm - expected.Norm) <= 1e-3 * expected.Norm, $"{what}: gradient norm {norm:R} vs PyTorch {expected.Norm:R}");
                Assert.True(sampledError <= 1e-3 * sampledNorm, $"{what}: sampled entries differ by {sampledError / sampledNorm:E2} (relative)");

                // sum_i w_i e_i for an error e has the size of |e| sqrt(mean w^2) = |e| sqrt(14).
                Assert.True(Math.Abs(checksum - expected.Checksum) <= 1e-3 * expected.Norm * Math.Sqrt(14), $"{what}: checksum {checksum:R} vs PyTorch {expected.Checksum:R}");
            }
        }
    }

    /// <summary>(loss(x + h e_at) - loss(x - h e_at)) / (the step actually taken in float32), for one image.</summary>
    private static double CentralDifference(OnnxGradientModel sut, float[] image, int at, float h, GradientLoss loss, int label, int classes)
    {
        var plus = (float[])image.Clone();
        var minus = (float[])image.Clone();
        plus[at] += h;
        minus[at] -= h;
        float[] lp = new float[1], lm = new float[1];
        sut.ComputeGradients(plus, 1, loss, [label], [], new float[classes], lp, new float[image.Length]);
        sut.ComputeGradients(minus, 1, loss, [label], [], new float[classes], lm, new float[image.Length]);
        return (lp[0] - lm[0]) / (plus[at] - minus[at]);
    }

    private static double MaxRelative(float[] actual, List<double> expected) =>
        actual.Select((a, i) => Math.Abs(a - expected[i]) / Math.Max(1, Math.Abs(expected[i]))).Max();

    private sealed record FixtureImageInfo(int Seed, int Label, int Target, List<double> Logits);

    private sealed record FixtureCase(int Image, string Loss, double Value, double Norm, double Checksum, List<int> Indices, List<double> Values);

    private sealed record AutogradFixture(string Model, int InputSize, List<FixtureImageInfo> Images, List<FixtureCase> Cases)
    {
        /// <summary>Gets the planes per image; fixtures made before gray models have none and are RGB.</summary>
        public int Channels { get; init; } = 3;
    }
}
