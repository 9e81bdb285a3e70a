using AttackCore.Gradients;
using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Gradients;

/// <summary>The gradient model's contract on the bundled Fashion-MNIST CNN: same logits as the classifier, losses as documented, cache reuse, argument checks.</summary>
public class OnnxGradientModelTests
{
    internal static ModelSpec FashionSpec() =>
        ModelSpecLoader.Load(RepoPaths.FromRoot(Path.Combine("models", "fashion-mnist-cnn", "model.json"))!);

    internal static float[] RandomImages(int count, int size, int seed)
    {
        var random = new Random(seed);
        var images = new float[count * 3 * size * size];
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
        var images = RandomImages(count, 28, 7);
        var expected = new float[count * 10];
        classifier.Predict(images, count, expected);

        var logits = new float[count * 10];
        var losses = new float[count];
        var gradients = new float[images.Length];
        sut.ComputeGradients(images, count, GradientLoss.CrossEntropy, [0, 1, 2], [], logits, losses, gradients);

        Assert.Equal(expected, logits, (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1f, Math.Abs(a)));
        Assert.Contains(gradients, g => g != 0f);
    }
}
