using AttackCore.Imaging;
using AttackCore.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCli.Tests.TestSupport;

/// <summary>
/// Re-checks the CLI's results independently of the engine: its own ONNX session on the shared model, and images
/// decoded from the written PNG files with ImageSharp.
/// </summary>
internal sealed class Verifier : IDisposable
{
    private readonly OnnxClassifier _classifier;

    public Verifier()
    {
        ModelPresets.TryGet(SharedAssets.Preset, out ModelSpec? preset);
        _classifier = new OnnxClassifier(
            preset! with { OnnxPath = SharedAssets.ModelPath },
            new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
    }

    public IReadOnlyList<string> Labels => _classifier.Labels;

    /// <summary>Classifies a PNG file as written (it must already be the model's input size) and returns the top-1 index.</summary>
    public int Top1(string pngPath)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(pngPath);
        Assert.Equal(_classifier.InputWidth, image.Width);
        Assert.Equal(_classifier.InputHeight, image.Height);
        var chw = new float[3 * image.Width * image.Height];
        TensorImage.WriteChw(image, chw);
        var logits = new float[_classifier.NumClasses];
        _classifier.Predict(chw, 1, logits);
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Returns the L-inf and L2 norms, in [0,1] pixel units, of the difference of two same-sized PNG files.</summary>
    public static (double LInf, double L2) Distance(string cleanPng, string adversarialPng)
    {
        using Image<Rgb24> clean = Image.Load<Rgb24>(cleanPng);
        using Image<Rgb24> adversarial = Image.Load<Rgb24>(adversarialPng);
        Assert.Equal(clean.Size(), adversarial.Size());
        int maxDiff = 0;
        long sumSquares = 0;
        for (int y = 0; y < clean.Height; y++)
        {
            for (int x = 0; x < clean.Width; x++)
            {
                Rgb24 a = clean[x, y];
                Rgb24 b = adversarial[x, y];
                foreach (int d in new[] { a.R - b.R, a.G - b.G, a.B - b.B })
                {
                    maxDiff = Math.Max(maxDiff, Math.Abs(d));
                    sumSquares += d * d;
                }
            }
        }

        return (maxDiff / 255.0, Math.Sqrt(sumSquares) / 255.0);
    }

    public void Dispose() => _classifier.Dispose();
}
