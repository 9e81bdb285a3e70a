using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Tests.Engine;

public class AttackPlanTests
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

    // A first attack too weak to fool anything (3 queries at one 8-bit step), then one that fools every image.
    private static readonly SquareAttackOptions Weak = new() { Epsilon = 1 / 255.0, MaxQueries = 3, Seed = 1 };
    private static readonly SquareAttackOptions Strong = new() { Epsilon = 0.1, MaxQueries = 2000, Seed = 2 };

    private static List<PreparedImage> Images(int count) =>
        Enumerable.Range(0, count).Select(i => PreparedImage.Load($"img{i}.png", RandomPng(8, 40 + i), CropRecipe.ShortSide(8, 8))).ToList();

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

    [Fact]
    public void Run_FirstSuccessPlan_RunsLaterAttacksOnlyOnUnfooledImagesAndWritesTheSuccess()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attacks = [Weak, Strong] };

        IReadOnlyList<ImageResult> results = sut.Run(Images(4), request);

        foreach (ImageResult result in results)
        {
            AttackReport report = result.Report;
            Assert.True(report.Outcome.Success);
            IReadOnlyList<AttemptSummary> attempts = report.Attempts;
            Assert.InRange(attempts.Count, 1, 2);
            Assert.Single(attempts, a => a.Written);
            AttemptSummary written = attempts.Single(a => a.Written);
            Assert.True(written.Success);
            Assert.Equal(written.Attack, report.Attack);
            Assert.Equal(written.Queries, report.Outcome.Queries);
            Assert.Equal(attempts.Sum(a => a.Queries), report.Outcome.PlanQueries);
            if (attempts.Count == 2)
            {
                // The first attack failed: its 3 queries are spent and listed, and the second one's image is written.
                Assert.False(attempts[0].Success);
                Assert.Equal(3, attempts[0].Queries);
                Assert.Equal(0.1, report.Attack.Eps);
            }

            Assert.Equal("square,square", report.Attack.Options["plan"]);
        }

        Assert.Contains(results, r => r.Report.Attempts.Count == 2);
        Assert.Equal(Verify(model, results), results.Select(r => r.Report.Adversarial!.Top5[0].Index));
    }

    [Fact]
    public void Run_AllPlan_RunsEveryAttackOnEveryImageAndWritesTheFirstSuccess()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attacks = [Strong, Strong with { Seed = 5 }], PlanMode = PlanMode.All };

        IReadOnlyList<ImageResult> results = sut.Run(Images(3), request);

        foreach (ImageResult result in results)
        {
            IReadOnlyList<AttemptSummary> attempts = result.Report.Attempts;
            Assert.Equal(2, attempts.Count);
            Assert.All(attempts, a => Assert.True(a.Success));
            Assert.True(attempts[0].Written);
            Assert.False(attempts[1].Written);
            Assert.Equal(2L, attempts[0].Attack.Seed);
            Assert.Equal(5L, attempts[1].Attack.Seed);
        }
    }

    [Fact]
    public void BeginAdvanceFinish_SlicedAndSavedAcrossAttacks_EqualsRun()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attacks = [Weak, Strong with { Epsilon = 0.03, MaxQueries = 500 }] };
        IReadOnlyList<ImageResult> whole = sut.Run(Images(3), request);

        AttackBatch batch = sut.Begin(Images(3), request);
        int stagesSeen = 0;
        while (!sut.Advance(batch, StepBudget.Iterations(2)))
        {
            stagesSeen = Math.Max(stagesSeen, batch.Stage);
            batch = AttackBatchSerializer.FromBytes(AttackBatchSerializer.ToBytes(batch));
        }

        IReadOnlyList<ImageResult> sliced = sut.Finish(AttackBatchSerializer.FromBytes(AttackBatchSerializer.ToBytes(batch)));
        Assert.Equal(1, stagesSeen);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(whole[i].AdversarialPng, sliced[i].AdversarialPng);
            Assert.Equal(whole[i].Report.Outcome, sliced[i].Report.Outcome);
            Assert.Equal(whole[i].Report.Attempts.Select(a => (a.Queries, a.Success)), sliced[i].Report.Attempts.Select(a => (a.Queries, a.Success)));
        }
    }

    [Fact]
    public void ToBytes_RunningBatch_KeepsEachImagesShareOfTheTime()
    {
        var sut = new AttackRunner(new LinearClassifier(8, 10, seed: 7), Model);
        AttackBatch batch = sut.Begin(Images(3), new AttackRequest { Attacks = [Strong with { Epsilon = 0.03, MaxQueries = 500 }] });
        sut.Advance(batch, StepBudget.Iterations(2));
        batch.ImageAttackMs = [1.5, 2.25, 3.125];

        AttackBatch copy = AttackBatchSerializer.FromBytes(AttackBatchSerializer.ToBytes(batch));

        Assert.Equal([1.5, 2.25, 3.125], copy.ImageAttackMs);
        Assert.Equal(batch.AttackMs, copy.AttackMs);
    }

    [Fact]
    public void Finish_StoppedDuringFirstAttack_ReportsOneStoppedAttemptAndSkipsTheRest()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attacks = [Strong with { Epsilon = 0.01, MaxQueries = 5000 }, Strong] };
        AttackBatch batch = sut.Begin(Images(2), request);
        sut.Advance(batch, StepBudget.Iterations(1));

        IReadOnlyList<ImageResult> results = sut.Finish(batch);

        Assert.All(results, r => Assert.Single(r.Report.Attempts));
        Assert.Contains(results, r => r.Report.Outcome.Message == "The run was stopped before the attack finished.");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public void Validate_PlanOfWrongLength_ThrowsNamingAttacks(int count)
    {
        var sut = new AttackRequest { Attacks = Enumerable.Repeat<AttackOptions>(Strong, count).ToList() };

        var ex = Assert.Throws<ArgumentException>(sut.Validate);
        Assert.Equal("Attacks", ex.ParamName);
    }

    [Fact]
    public void Request_JsonRoundTrip_KeepsEachAttacksType()
    {
        var sut = new AttackRequest { Attacks = [Weak, Strong with { Norm = NormKind.L2, Epsilon = 3 }], PlanMode = PlanMode.All, Target = "random" };

        AttackRequest back = System.Text.Json.JsonSerializer.Deserialize<AttackRequest>(System.Text.Json.JsonSerializer.Serialize(sut))!;

        Assert.Equal(sut.Attacks, back.Attacks);
        Assert.Equal((PlanMode.All, "random"), (back.PlanMode, back.Target));
    }

    [Fact]
    public void FromBytes_NotABatch_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => AttackBatchSerializer.FromBytes([1, 2, 3, 4, 5, 6, 7, 8]));
    }

    /// <summary>Classifies every written adversarial PNG again, independently of the runner.</summary>
    private static IEnumerable<int> Verify(LinearClassifier model, IReadOnlyList<ImageResult> results) =>
        results.Select(r => model.Top1(PreparedImage.Load("x.png", r.AdversarialPng!, CropRecipe.ShortSide(8, 8)).Clean));
}
