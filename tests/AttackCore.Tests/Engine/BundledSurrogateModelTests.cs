using System.Security.Cryptography;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Engine;

/// <summary>The second bundled Fashion-MNIST model (models/fashion-mnist-strided), the surrogate of the bundled CNN in the GFCS and transfer tests.</summary>
public class BundledSurrogateModelTests
{
    private static string Root => RepoPaths.RepoRoot ?? throw new InvalidOperationException("Run the tests from a checkout: Serverless.sln was not found above the test folder.");

    private static ModelSpec Spec(string folder) => ModelSpecLoader.Load(Path.Combine(Root, "models", folder, "model.json"));

    [Fact]
    public void Spec_StridedModel_MatchesItsFileAndTheBundledModelsInputButIsAnotherNetwork()
    {
        ModelSpec sut = Spec("fashion-mnist-strided");
        ModelSpec bundled = Spec("fashion-mnist-cnn");

        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(sut.OnnxPath!)));
        Assert.Equal(sut.Sha256, sha);
        Assert.NotEqual(bundled.Sha256, sha);
        Assert.Equal((bundled.InputSize, bundled.Channels, bundled.ChannelOrder, bundled.Scaling, bundled.NumClasses), (sut.InputSize, sut.Channels, sut.ChannelOrder, sut.Scaling, sut.NumClasses));
        Assert.Equal(LabelSet.Resolve(bundled), LabelSet.Resolve(sut));
        Assert.InRange(new FileInfo(sut.OnnxPath!).Length, 100_000, 1_000_000);
    }

    [Fact]
    public void Predict_SampleImages_ClassifiesNearlyAllAndGivesGradients()
    {
        ModelSpec spec = Spec("fashion-mnist-strided");
        var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
        using var sut = new OnnxClassifier(spec, cpu);
        using var cache = new TempFolder();
        using var gradients = new OnnxGradientModel(spec, cpu, cache.Path);
        string[] files = [.. Directory.GetFiles(Path.Combine(Root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal)];
        var logits = new float[10];

        int correct = 0;
        foreach (string file in files)
        {
            float[] image = PreparedImage.Load(Path.GetFileName(file), File.ReadAllBytes(file), sut.Spec).Clean;
            sut.Predict(image, 1, logits);
            string slug = Path.GetFileNameWithoutExtension(file)[5..];
            int label = sut.Labels.Select((l, i) => (Slug: string.Concat(l.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-')).Replace("--", "-", StringComparison.Ordinal), i)).Single(p => p.Slug == slug).i;
            correct += LogitMath.ArgMax(logits) == label ? 1 : 0;
        }

        // 90.64 % on the 10,000 test images; the 12 samples are test images the bundled CNN classifies correctly.
        Assert.True(correct >= 10, $"{correct} of {files.Length} samples classified correctly");
        Assert.Equal(1, gradients.Channels);
        Assert.Contains(GradientLoss.Margin, gradients.SupportedLosses);
    }
}
