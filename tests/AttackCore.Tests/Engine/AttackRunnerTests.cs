using AttackCore.Attacks;
using AttackCore.Attacks.Apgd;
using AttackCore.Attacks.Bandits;
using AttackCore.Attacks.HopSkipJump;
using AttackCore.Attacks.Simba;
using AttackCore.Attacks.Square;
using AttackCore.Attacks.Transfer;
using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Models;
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
        Enumerable.Range(0, count).Select(i => PreparedImage.Load($"img{i}.png", RandomPng(8, 40 + i), CropRecipe.ShortSide(8, 8))).ToList();

    [Fact]
    public void Run_TransferOnSurrogates_ReportsOneTargetQueryAndSurrogateEvaluationsApart()
    {
        var target = new LinearClassifier(8, 10, seed: 7);
        LinearClassifier twin = new(8, 10, seed: 7), other = new(8, 10, seed: 8);
        var sut = new AttackRunner(target, Model, surrogates: [twin, other]);
        var request = new AttackRequest { Attack = new TransferOptions { Epsilon = 0.1, Iterations = 4 }, Minimize = false };

        IReadOnlyList<ImageResult> results = sut.Run(Images(4), request);

        Assert.Equal(0, target.GradientImages);
        Assert.All(results, r => Assert.Equal(1, r.Report.Outcome.Queries));
        Assert.All(results, r => Assert.Equal(8, r.Report.Outcome.SurrogateGradientEvaluations));
        Assert.All(results, r => Assert.Null(r.Report.Outcome.GradientEvaluations));
        Assert.All(results, r => Assert.Equal(["surrogate 1", "surrogate 2"], r.Report.Attack.Surrogates!.Select(s => s.Name)));
        Assert.Contains(results, r => r.Report.Outcome.Status == OutcomeStatus.Fooled);
        Assert.All(results.Where(r => r.Report.Outcome.Status == OutcomeStatus.NotFooled), r => Assert.Contains("surrogate gradient evaluations", r.Report.Outcome.Message, StringComparison.Ordinal));
        string html = ReportHtml.Render(results[0].Report);
        Assert.Contains("Surrogate gradient evaluations", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_TransferWithoutSurrogates_RefusedSayingHowToNameOne()
    {
        var sut = new AttackRunner(new LinearClassifier(8, 10, seed: 7), Model);

        var ex = Assert.Throws<ArgumentException>(() => sut.Run(Images(1), new AttackRequest { Attack = new TransferOptions() }));

        Assert.Contains("--surrogate", ex.Message, StringComparison.Ordinal);
    }

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
    public void CloseFinishedImages_EachImageWhenItIsDone_SameResultsAsClosingAtTheEnd()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 0.1, MaxQueries = 2000 } };
        List<ImageResult> atTheEnd = [.. sut.Run(Images(4), request)];

        AttackBatch batch = sut.Begin(Images(4), request);
        var early = new Dictionary<int, ImageResult>();
        while (!batch.IsAttackFinished)
        {
            sut.Advance(batch, new StepBudget(MaxIterations: 1));
            foreach (int job in sut.CloseFinishedImages(batch))
            {
                Assert.True(early.TryAdd(job, sut.ResultOf(batch, job)), $"job {job} closed twice");
            }
        }

        IReadOnlyList<ImageResult> finished = sut.Finish(batch);

        Assert.NotEmpty(early);   // some image was done before the others
        for (int i = 0; i < 4; i++)
        {
            AttackReport expected = atTheEnd[i].Report, actual = finished[i].Report;
            Assert.Equal((expected.Outcome.Status, expected.Outcome.Queries, expected.Outcome.EpsStar, expected.Outcome.MinimizeQueries), (actual.Outcome.Status, actual.Outcome.Queries, actual.Outcome.EpsStar, actual.Outcome.MinimizeQueries));
            Assert.Equal(atTheEnd[i].AdversarialPng, finished[i].AdversarialPng);
            Assert.Single(actual.Attempts);
            if (early.TryGetValue(i, out ImageResult? closed))
            {
                Assert.Equal(actual.Outcome, closed.Report.Outcome);   // what was written early is what the end reports
                Assert.Equal(finished[i].AdversarialPng, closed.AdversarialPng);
            }
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
            batch = new AttackBatch(batch.Request, batch.Jobs, copy) { AttackMs = batch.AttackMs, ImageAttackMs = batch.ImageAttackMs };
        }

        IReadOnlyList<ImageResult> sliced = sut.Finish(batch);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(whole[i].AdversarialPng, sliced[i].AdversarialPng);
            Assert.Equal(whole[i].Report.Outcome, sliced[i].Report.Outcome);
        }
    }

    /// <summary>A clock whose every reading is one millisecond after the previous one.</summary>
    private sealed class TickingTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, TimeSpan.TicksPerMillisecond);
    }

    [Fact]
    public void Run_Batch_ChargesEachImageItsShareOfTheAttackTime()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model, timeProvider: new TickingTime());
        var request = new AttackRequest { Attack = new SquareAttackOptions { Epsilon = 0.03, MaxQueries = 300, Seed = 4 } };

        IReadOnlyList<ImageResult> results = sut.Run(Images(4), request);

        // Each image's time follows its own queries, not the batch's: the image that stopped first was charged least.
        var byQueries = results.Select(r => r.Report).OrderBy(r => r.Outcome.Queries).ToList();
        Assert.True(byQueries[0].Outcome.Queries < byQueries[^1].Outcome.Queries, "the test needs images that stop at different times");
        Assert.True(byQueries[0].Timings.AttackMs < byQueries[^1].Timings.AttackMs);
        Assert.All(byQueries, r => Assert.Equal(r.Timings.AttackMs, r.Attempts.Single().AttackMs, 9));
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

    public static TheoryData<string> RetryAttacks => new() { "simba-dct", "bandits-td", "hopskipjump" };

    /// <summary>
    /// The verification-retry path: the PNG check of the first success is made to fail once, so the runner sends the
    /// attack on. The attack must resume from its own state (its best image and its own loss, not the minimization's
    /// image and a margin), and at the end its state must still be its own.
    /// </summary>
    [Theory]
    [MemberData(nameof(RetryAttacks))]
    public void Run_VerificationFailsOnce_AttackResumesFromItsOwnState(string attack)
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        List<PreparedImage> images = Images(1);
        int trueClass = model.Top1(images[0].Clean);
        AttackOptions options = attack switch
        {
            "simba-dct" => new SimbaDctOptions { Epsilon = 3.0, MaxQueries = 4000 },
            "bandits-td" => new BanditsTdOptions { Norm = NormKind.L2, Epsilon = 2.0, MaxQueries = 6000, TileSize = 1 },
            _ => new HopSkipJumpOptions { Norm = NormKind.L2, Epsilon = 1.5, MaxQueries = 6000, InitEvals = 20 },
        };
        var request = new AttackRequest { Attack = options };

        // A dry run finds which model call is the verification of the first success: the last call of the run.
        var dry = new FailOnceClassifier(model, trueClass, failAtCall: -1);
        (ImageResult dryResult, _) = RunInSlices(new AttackRunner(dry, Model), images, request);
        Assert.Equal(OutcomeStatus.Fooled, dryResult.Report.Outcome.Status);
        Assert.True(dryResult.Report.Outcome.Queries < options.MaxQueries, "the dry run must leave queries for a retry");

        var flaky = new FailOnceClassifier(model, trueClass, failAtCall: dry.Calls - 1);
        (ImageResult result, AttackState state) = RunInSlices(new AttackRunner(flaky, Model), images, request);

        Assert.True(flaky.Failed, "the verification call was not reached");
        Assert.Equal(OutcomeStatus.Fooled, result.Report.Outcome.Status);
        Assert.Equal(2, result.Report.Outcome.VerificationQueries);
        Assert.True(result.Report.Outcome.Queries > dryResult.Report.Outcome.Queries, "the attack did not go on after the failed check");

        AttackImageState image = state.Images[0];
        Assert.Equal(ImageAttackStatus.Succeeded, image.Status);
        Assert.Equal(OwnLoss(options, model, image), image.BestLoss, 9);
        if (image is SimbaImageState simba)
        {
            // SimBA's best image is the 8-bit projection of clean + its own perturbation, not the minimized image.
            var expected = new float[simba.Clean.Length];
            for (int v = 0; v < expected.Length; v++)
            {
                expected[v] = Math.Clamp(simba.Clean[v] + simba.Delta[v], 0f, 1f);
            }

            PixelGrid.Project(simba.Clean, expected, options.Norm, options.Epsilon);
            Assert.Equal(expected, simba.Best);
        }

        // What was written is the runner's minimized image, inside the budget and verified.
        Assert.True(result.Report.Adversarial!.Verified);
        Assert.True(result.Report.Outcome.EpsStar <= options.Epsilon + 1e-9);
    }

    [Fact]
    public void Run_WhiteBoxAttack_ReportsVerifiedSuccessWithGradientEvaluations()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attack = new ApgdCeOptions { Epsilon = 0.05, Iterations = 30 } };

        IReadOnlyList<ImageResult> results = sut.Run(Images(3), request);

        foreach (ImageResult result in results)
        {
            AttackOutcome outcome = result.Report.Outcome;
            Assert.Equal(OutcomeStatus.Fooled, outcome.Status);
            Assert.True(result.Report.Adversarial!.Verified);
            Assert.InRange(outcome.GradientEvaluations!.Value, 1, 31);
            Assert.True(outcome.EpsStar <= 0.05 + 1e-9);
            Assert.Contains("\"gradientEvaluations\"", result.ReportJsonText(), StringComparison.Ordinal);
            Assert.Contains("gradient evaluations", result.ReportHtmlText(), StringComparison.Ordinal);

            // The trace's position counts the model calls, gradient evaluations included, so its chart has a width.
            Assert.Contains(result.Report.Trace, p => p.Queries > 0);
        }
    }

    [Fact]
    public void Begin_WhiteBoxAttackOnAModelWithoutGradients_ThrowsNamingTheAttack()
    {
        var sut = new AttackRunner(new ScoresOnly(new LinearClassifier(8, 10, seed: 7)), Model);

        var ex = Assert.Throws<ArgumentException>(() => sut.Begin(Images(1), new AttackRequest { Attack = new ApgdCeOptions() }));
        Assert.Contains("apgd-ce is a white-box attack", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_StandardPlan_RunsApgdCeThenApgdTThenSquareOnWhatIsLeft()
    {
        var model = new LinearClassifier(8, 10, seed: 7);
        var sut = new AttackRunner(model, Model);
        var request = new AttackRequest { Attacks = AttackCatalog.ParsePlan(["standard"], new CommonAttackSettings(Epsilon: 2 / 255.0)) };
        Assert.Equal(["apgd-ce", "apgd-t", "square"], request.Attacks.Select(a => a.AttackName));
        Assert.Equal(5000, request.Attacks[2].MaxQueries);

        IReadOnlyList<ImageResult> results = sut.Run(Images(4), request);

        foreach (ImageResult result in results)
        {
            IReadOnlyList<AttemptSummary> attempts = result.Report.Attempts!;
            Assert.Equal("apgd-ce", attempts[0].Attack.Name);

            // First success: a later attack runs only where every earlier one failed.
            int firstSuccess = attempts.ToList().FindIndex(a => a.Success);
            Assert.Equal(firstSuccess < 0 ? 3 : firstSuccess + 1, attempts.Count);
        }
    }

    /// <summary>A model seen through scores only, as a remote API would give it.</summary>
    private sealed class ScoresOnly(IClassifier inner) : IClassifier
    {
        public int InputHeight => inner.InputHeight;

        public int InputWidth => inner.InputWidth;

        public int NumClasses => inner.NumClasses;

        public IReadOnlyList<string> Labels => inner.Labels;

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits) => inner.Predict(images, count, logits);
    }

    [Fact]
    public void Progress_AttackThatQueriesNothingAtStart_ReportsNoMarginRatherThanInfinity()
    {
        // Bandits-TD (and the white-box attacks) score nothing in Start; an infinite margin broke the JSON of the
        // pipeline's slice result.
        var sut = new AttackRunner(new LinearClassifier(8, 10, seed: 7), Model);
        AttackBatch batch = sut.Begin(Images(2), new AttackRequest { Attack = new BanditsTdOptions { MaxQueries = 30 } });

        AttackProgress progress = batch.Progress();

        Assert.Null(progress.LowestMargin);
        Assert.Contains("\"LowestMargin\":null", System.Text.Json.JsonSerializer.Serialize(progress), StringComparison.Ordinal);
    }

    private static (ImageResult Result, AttackState State) RunInSlices(AttackRunner sut, List<PreparedImage> images, AttackRequest request)
    {
        AttackBatch batch = sut.Begin(images, request);
        AttackState state = batch.State!;
        while (!sut.Advance(batch, StepBudget.Iterations(25)))
        {
        }

        return (sut.Finish(batch)[0], state);
    }

    /// <summary>The loss the attack itself gives its best image: its score loss, or HopSkipJump's distance.</summary>
    private static double OwnLoss(AttackOptions options, LinearClassifier model, AttackImageState image)
    {
        var logits = new float[model.NumClasses];
        model.Predict(image.Best, 1, logits);
        IAttackLoss? loss = options switch
        {
            SimbaDctOptions => SimbaProbabilityLoss.Instance,
            BanditsTdOptions => CrossEntropyLoss.Instance,
            _ => null,
        };
        if (loss is not null)
        {
            return loss.Evaluate(logits, image.Goal).Loss;
        }

        double sum = 0;
        for (int v = 0; v < image.Best.Length; v++)
        {
            double d = image.Best[v] - (double)image.Clean[v];
            sum += d * d;
        }

        return Math.Sqrt(sum);
    }

    /// <summary>A model whose answer to one chosen call says the image still is its true class (a failed 8-bit check).</summary>
    private sealed class FailOnceClassifier(IClassifier inner, int trueClass, long failAtCall) : IClassifier
    {
        public int InputHeight => inner.InputHeight;

        public int InputWidth => inner.InputWidth;

        public int NumClasses => inner.NumClasses;

        public IReadOnlyList<string> Labels => inner.Labels;

        public long Calls { get; private set; }

        public bool Failed { get; private set; }

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            inner.Predict(images, count, logits);
            if (Calls++ == failAtCall)
            {
                Failed = true;
                for (int n = 0; n < count; n++)
                {
                    Span<float> row = logits.Slice(n * NumClasses, NumClasses);
                    row[trueClass] = row[LogitMath.ArgMax(row)] + 10;
                }
            }
        }
    }
}
