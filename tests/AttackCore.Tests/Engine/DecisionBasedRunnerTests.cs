using System.Globalization;
using AttackCore.Attacks;
using AttackCore.Attacks.HopSkipJump;
using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Engine;

/// <summary>A decision-based attack through the runner: label-only access, and targeted runs that start from another image of the batch.</summary>
public class DecisionBasedRunnerTests
{
    private static readonly ModelInfo Model = new()
    {
        Name = "linear-test",
        Sha256 = new string('0', 64),
        Provider = "test",
        InputSize = 8,
        NumClasses = 10,
        Preprocessing = "none",
    };

    private static List<PreparedImage> Images(int count) =>
        Enumerable.Range(0, count).Select(i => PreparedImage.Load($"img{i}.png", RandomPng(40 + i), CropRecipe.ShortSide(8, 8))).ToList();

    private static byte[] RandomPng(int seed)
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(8, 8);
        for (int y = 0; y < 8; y++)
        {
            for (int x = 0; x < 8; x++)
            {
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            }
        }

        return PngCodec.Encode(image);
    }

    [Fact]
    public void Run_TargetedHopSkipJump_StartsFromAnImageOfTheTargetAndReachesIt()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        List<PreparedImage> images = Images(8);
        int[] tops = images.Select(i => model.Top1(i.Clean)).ToArray();
        // A target that noise images (about mid-gray on average) do not fall into.
        int noiseClass = model.Top1(Enumerable.Repeat(0.5f, 3 * 8 * 8).ToArray());
        int example = Array.FindIndex(tops, t => t != noiseClass);
        int target = tops[example];
        int victim = Array.FindIndex(tops, t => t != target);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest
        {
            // One noise try only: without a start image the targeted attack has next to no chance.
            Attack = new HopSkipJumpOptions { Norm = NormKind.L2, Epsilon = 3, MaxQueries = 4000, InitEvals = 20, InitSize = 1 },
            Target = target.ToString(CultureInfo.InvariantCulture),
        };

        IReadOnlyList<ImageResult> results = sut.Run(images, request);
        ImageResult alone = sut.Run([images[victim]], request)[0];

        Assert.Equal(OutcomeStatus.AlreadyMisclassified, results[example].Report.Outcome.Status);
        AttackReport report = results[victim].Report;
        Assert.Equal("hopskipjump", report.Attack.Name);
        Assert.True(report.Outcome.Success, report.Outcome.Message);
        Assert.Equal(target, report.Adversarial!.Top5[0].Index);
        Assert.Equal(target, model.Top1(PreparedImage.Load("x.png", results[victim].AdversarialPng!, CropRecipe.ShortSide(8, 8)).Clean));
        Assert.InRange(report.Perturbation!.L2, 0, 3 + 1e-6);
        Assert.False(alone.Report.Outcome.Success, "without an image of the target in the batch the one noise try should not reach it");
        Assert.StartsWith("No starting image", alone.Report.Outcome.Message, StringComparison.Ordinal);
        Assert.Contains("Add an image of the target class", alone.Report.Outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_HopSkipJump_SeesOnlyLabels()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attack = new HopSkipJumpOptions { Norm = NormKind.L2, Epsilon = 3, MaxQueries = 1500, InitEvals = 20 } };

        IReadOnlyList<ImageResult> results = sut.Run(Images(2), request);

        // Every trace point of a decision-based run carries 0/1 confidences: it never saw a probability.
        Assert.All(results, r =>
        {
            Assert.True(r.Report.Outcome.Success, r.Report.Outcome.Message);
            Assert.All(r.Report.Trace, p => Assert.True(p.TrueConfidence is 0.0 or 1.0, $"confidence {p.TrueConfidence}"));
        });
    }
}
