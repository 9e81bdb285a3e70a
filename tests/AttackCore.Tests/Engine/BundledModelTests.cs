using AttackCore.Attacks.Square;
using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Engine;

/// <summary>The whole engine on the project's own trained classifier (models/fashion-mnist-cnn) and its samples, so it runs anywhere.</summary>
public class BundledModelTests
{
    private static string Root => RepoPaths.RepoRoot ?? throw new InvalidOperationException("Run the tests from a checkout: Serverless.sln was not found above the test folder.");

    [Fact]
    public void Run_FashionMnistSamples_FoolsMostAndEveryClaimIsVerified()
    {
        ModelSpec spec = ModelSpecLoader.Load(Path.Combine(Root, "models", "fashion-mnist-cnn", "model.json"));
        using var classifier = new OnnxClassifier(spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        var sut = new AttackRunner(classifier, ModelDescription.From(classifier));
        string[] files = Directory.GetFiles(Path.Combine(Root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal).ToArray();
        var images = files.Select(f => PreparedImage.Load(Path.GetFileName(f), File.ReadAllBytes(f), classifier.Spec)).ToList();
        var request = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 0.1, MaxQueries = 3000 } };

        IReadOnlyList<ImageResult> results = sut.Run(images, request);

        Assert.Equal(1, classifier.Channels);
        Assert.Equal(12, results.Count);
        Assert.True(results.Count(r => r.Report.Outcome.Success) >= 10, "fewer than 10 of 12 samples fooled at L-inf 0.1");
        foreach (ImageResult result in results.Where(r => r.Report.Outcome.Success))
        {
            // Written as 8-bit grayscale PNG: IHDR's bit depth (byte 24) 8, colour type (byte 25) 0.
            Assert.Equal((byte)8, result.AdversarialPng![24]);
            Assert.Equal((byte)0, result.AdversarialPng[25]);
            Assert.Equal(1, result.Report.Model.Channels);
            using Image<Rgb24> adversarial = PngCodec.Decode(result.AdversarialPng);
            using Image<Rgb24> clean = PngCodec.Decode(result.CleanPng);
            var a = new float[28 * 28];
            var c = new float[28 * 28];
            TensorImage.WriteChw(adversarial, a);
            TensorImage.WriteChw(clean, c);
            var logits = new float[10];
            classifier.Predict(a, 1, logits);
            int top = AttackCore.Models.LogitMath.ArgMax(logits);
            Assert.NotEqual(result.Report.Clean.TrueClass.Index, top);
            Assert.Equal(result.Report.Adversarial!.Top5[0].Index, top);
            Assert.True(a.Zip(c).Max(p => Math.Abs(p.First - p.Second)) <= 0.1 + 1e-6);
            Assert.Equal(OutcomeStatus.Fooled, result.Report.Outcome.Status);
        }
    }
}
