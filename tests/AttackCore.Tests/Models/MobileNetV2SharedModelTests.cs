using AttackCore.Models;
using AttackCore.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace AttackCore.Tests.Models;

/// <summary>End-to-end check of <see cref="OnnxClassifier"/> on a real pretrained model from ../shared/models.</summary>
public class MobileNetV2SharedModelTests
{
    private const string Folder = "mobilenet_v2_1.0_224";

    [SharedModelFact(Folder)]
    public void Predict_CatPhoto_EgyptianCat()
    {
        var folder = SharedModelFactAttribute.SharedModelPath(Folder)!;
        var spec = new ModelSpec
        {
            Name = "mobilenet-v2-shared",
            OnnxPath = Path.Combine(folder, "model.onnx"),
            LabelsPath = Path.Combine(folder, "labels.txt"),
            InputSize = 224,
            ResizeTo = 224,
            Scaling = InputScaling.MinusOneToOne,
            NumClasses = 1001,
            BackgroundOffset = 1,
        };
        var catPath = RepoPaths.FromRoot(Path.Combine("..", "shared", "images", "cat.png"))!;
        Assert.True(File.Exists(catPath), $"cat.png expected at {catPath}");
        using var sut = new OnnxClassifier(spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        var cat = LoadCenterCrop(catPath, 224);
        var images = new float[2 * cat.Length];
        cat.CopyTo(images, 0);
        cat.CopyTo(images, cat.Length);

        var logits = new float[2 * 1001];
        sut.Predict(images, 2, logits);

        int top = Array.IndexOf(logits, logits.AsSpan(0, 1001).ToArray().Max());
        Assert.Equal(286, top);
        Assert.Equal("Egyptian cat", sut.Labels[top]);
        Assert.Equal("background", sut.Labels[0]);
        Assert.Equal(logits.AsSpan(0, 1001).ToArray(), logits.AsSpan(1001).ToArray(), (a, b) => Math.Abs(a - b) < 1e-3);
    }

    /// <summary>Shortest side to <paramref name="size"/> (bilinear), center crop, RGB CHW in [0, 1]; kept local to the test.</summary>
    private static float[] LoadCenterCrop(string path, int size)
    {
        using var image = Image.Load<Rgb24>(path);
        double scale = (double)size / Math.Min(image.Width, image.Height);
        int width = Math.Max(size, (int)Math.Round(image.Width * scale));
        int height = Math.Max(size, (int)Math.Round(image.Height * scale));
        image.Mutate(x => x
            .Resize(width, height, KnownResamplers.Triangle)
            .Crop(new Rectangle((width - size) / 2, (height - size) / 2, size, size)));
        var result = new float[3 * size * size];
        int plane = size * size;
        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < size; y++)
            {
                var row = accessor.GetRowSpan(y);
                for (int x = 0; x < size; x++)
                {
                    int i = (y * size) + x;
                    result[i] = row[x].R / 255f;
                    result[plane + i] = row[x].G / 255f;
                    result[(2 * plane) + i] = row[x].B / 255f;
                }
            }
        });
        return result;
    }
}
