using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Engine;

public class AttackRunnerTests
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

    private static byte[] RandomPng(int size, int seed)
    {
        var random = new Random(seed);
        using var image = new Image<Rgb24>(size, size);
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            }
        }

        return PngCodec.Encode(image);
    }

    private static List<PreparedImage> Images(int count) =>
        Enumerable.Range(0, count).Select(i => PreparedImage.Load($"img{i}.png", RandomPng(8, 40 + i), 8, 8)).ToList();

    [Fact]
    public void Run_Untargeted_ReportsVerifiedSuccessWithinBudget()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 0.1, MaxQueries = 2000 } };

        IReadOnlyList<ImageResult> results = sut.Run(Images(4), request);

        Assert.Equal(4, results.Count);
        foreach (ImageResult result in results)
        {
            AttackReport report = result.Report;
            Assert.Equal(OutcomeStatus.Fooled, report.Outcome.Status);
            Assert.True(report.Adversarial!.Verified);
            Assert.NotEqual(report.Clean.TrueClass.Index, report.Adversarial.Top5[0].Index);
            Assert.InRange(report.Outcome.Queries, 1, 2000);
            Assert.Equal(10, report.Outcome.MinimizeQueries);
            Assert.Equal(1, report.Outcome.VerificationQueries);
            Assert.NotNull(report.Outcome.EpsStar);
            Assert.True(report.Outcome.EpsStar <= 0.1 + 1e-9);
            Assert.Equal(report.Perturbation!.LInf, report.Outcome.EpsStar!.Value, 9);
            Assert.NotEmpty(report.Trace);

            // The written PNG, read back and classified again, is what the report shows.
            using Image<Rgb24> reread = PngCodec.Decode(result.AdversarialPng!);
            var tensor = new float[3 * 8 * 8];
            TensorImage.WriteChw(reread, tensor);
            Assert.Equal(report.Adversarial.Top5[0].Index, model.Top1(tensor));
        }
    }

    [Fact]
    public void Run_WithoutMinimize_LeavesEpsStarEmpty()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 0.1, MaxQueries = 2000 }, Minimize = false };

        ImageResult result = sut.Run(Images(1), request)[0];

        Assert.Null(result.Report.Outcome.EpsStar);
        Assert.Equal(0, result.Report.Outcome.MinimizeQueries);
    }

    [Fact]
    public void Run_TooSmallBudget_ReportsNotFooledWithBestAttempt()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 1 / 255.0, MaxQueries = 3 } };

        ImageResult result = sut.Run(Images(1), request)[0];

        Assert.Equal(OutcomeStatus.NotFooled, result.Report.Outcome.Status);
        Assert.False(result.Report.Adversarial!.Verified);
        Assert.Equal(3, result.Report.Outcome.Queries);
        Assert.Contains("3 queries", result.Report.Outcome.Message, StringComparison.Ordinal);
        Assert.NotNull(result.AdversarialPng);
    }

    [Fact]
    public void Run_TargetAlreadyTop1_ReportsAlreadyMisclassifiedWithoutQueries()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        List<PreparedImage> images = Images(1);
        int top = model.Top1(images[0].Clean);
        var request = new AttackRequest { Target = top.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        ImageResult result = sut.Run(images, request)[0];

        Assert.Equal(OutcomeStatus.AlreadyMisclassified, result.Report.Outcome.Status);
        Assert.Equal(0, result.Report.Outcome.Queries);
        Assert.Null(result.AdversarialPng);
        Assert.Equal(images[0].CleanPng, result.CleanPng);
    }

    [Fact]
    public void Run_Targeted_ReachesTargetAndReportsIt()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 0.2, MaxQueries = 3000 }, Target = "class 4" };

        foreach (ImageResult result in sut.Run(Images(3), request))
        {
            if (result.Report.Outcome.Status == OutcomeStatus.AlreadyMisclassified)
            {
                continue;
            }

            Assert.Equal(OutcomeStatus.Fooled, result.Report.Outcome.Status);
            Assert.Equal(4, result.Report.Attack.TargetClass!.Index);
            Assert.Equal(4, result.Report.Adversarial!.Top5[0].Index);
            Assert.Equal("cross-entropy", result.Report.Attack.Options["loss"]);
        }
    }

    [Fact]
    public void BeginAdvanceFinish_SlicedBatch_EqualsRun()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 0.03, MaxQueries = 500, Seed = 4 } };
        IReadOnlyList<ImageResult> whole = sut.Run(Images(3), request);

        AttackBatch batch = sut.Begin(Images(3), request);
        while (!sut.Advance(batch, StepBudget.Iterations(3)))
        {
            AttackState copy = AttackStateSerializer.FromBytes(AttackStateSerializer.ToBytes(batch.State!));
            batch = new AttackBatch(batch.Request, batch.Jobs, copy) { AttackMs = batch.AttackMs };
        }

        IReadOnlyList<ImageResult> sliced = sut.Finish(batch);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(whole[i].AdversarialPng, sliced[i].AdversarialPng);
            Assert.Equal(whole[i].Report.Outcome, sliced[i].Report.Outcome);
        }
    }

    [Fact]
    public void Begin_UnknownTarget_ThrowsNamingChoices()
    {
        var sut = new AttackRunner(new LinearClassifier(8, 10, seed: 7), Model);

        var ex = Assert.Throws<ArgumentException>(() => sut.Begin(Images(1), new AttackRequest { Target = "toaster" }));
        Assert.Contains("least-likely", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_JsonAndHtml_RoundTrip()
    {
        var sut = new AttackRunner(new LinearClassifier(8, 10, seed: 7), Model);
        ImageResult result = sut.Run(Images(1), new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 0.1, MaxQueries = 500 } })[0];

        AttackReport back = ReportJson.Deserialize(result.ReportJsonText());
        Assert.Equal(result.Report.Outcome, back.Outcome);
        Assert.Contains("adversarial.png", result.ReportHtmlText(), StringComparison.Ordinal);
    }
}
