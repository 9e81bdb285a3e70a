using System.Text.Json;
using AttackCore.Attacks;
using AttackCore.Attacks.Simba;
using AttackCore.Engine;
using AttackCore.Models;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Attacks.Simba;

public class SimbaDctAttackTests : AttackContractTests<SimbaDctOptions>
{
    protected override IReadOnlyList<NormKind> Norms => [NormKind.L2];

    protected override SimbaDctOptions ContractOptions(NormKind norm, ulong seed = 0) =>
        new() { Norm = norm, Epsilon = 3.0, MaxQueries = 600, Seed = seed };

    private const int Size = 8;
    private static readonly string[] SharedPhotos = ["kite_and_cold.png", "owl.png"];

    private static (LinearClassifier Model, List<float[]> Images, List<AttackGoal> Goals) Problem(int count, int classes = 10) =>
        AttackResume.LinearProblem(count, Size, classes);

    [Theory]
    [InlineData(false, 0.5)]
    [InlineData(true, 0.5)]
    [InlineData(false, 3.0)]
    public void Step_EveryIteration_KeepsL2BallRangeAndNeverWorsensLoss(bool targeted, double eps)
    {
        var (model, images, goals) = Problem(4);
        if (targeted)
        {
            goals = goals.Select(g => g with { TargetClass = (g.TrueClass + 1) % 10 }).ToList();
        }

        var sut = new SimbaDctAttack(new SimbaDctOptions { Epsilon = eps, MaxQueries = 400 });
        AttackState state = sut.Start(model, images, goals);
        double[] previous = state.Images.Select(i => i.BestLoss).ToArray();
        while (!state.IsFinished)
        {
            sut.Step(state, model, StepBudget.Iterations(1));
            for (int i = 0; i < state.Images.Count; i++)
            {
                var image = (SimbaImageState)state.Images[i];
                bool succeeded = image.Status == ImageAttackStatus.Succeeded;

                // Only the final switch to the 8-bit projection may cost some loss; the search itself never does.
                Assert.True(succeeded || image.BestLoss <= previous[i], "the best loss got worse");
                previous[i] = image.BestLoss;
                Assert.True(L2(image.Best, image.Clean) <= eps + 1e-6, $"norm {L2(image.Best, image.Clean)} exceeds eps {eps}");
                Assert.All(image.Best, v => Assert.InRange(v, 0f, 1f));
                if (succeeded)
                {
                    Assert.All(image.Best, v => Assert.Equal(PixelGrid.Snap(v), v));
                }
                else
                {
                    Assert.True(L2(image.Delta, new float[image.Delta.Length]) <= eps + 1e-6);
                    for (int k = 0; k < image.Best.Length; k++)
                    {
                        Assert.Equal(Math.Clamp(image.Clean[k] + image.Delta[k], 0f, 1f), image.Best[k]);
                    }
                }
            }
        }
    }

    [Fact]
    public void Run_QueriesCounted_EqualModelCalls()
    {
        var (model, images, goals) = Problem(6);
        var sut = new SimbaDctAttack(new SimbaDctOptions { Epsilon = 1.0, MaxQueries = 200 });
        long before = model.ImagesScored;
        AttackState state = sut.Start(model, images, goals);
        Assert.Equal(6, model.ImagesScored - before);
        Assert.All(state.Images, i => Assert.Equal(1, i.Queries));
        sut.Step(state, model, StepBudget.Unlimited);

        Assert.True(state.IsFinished);
        Assert.Equal(model.ImagesScored - before, state.TotalQueries);
        Assert.All(state.Images, i => Assert.True(i.Queries <= 200));
        Assert.All(state.Images.Where(i => i.Status == ImageAttackStatus.Exhausted), i => Assert.Equal(200, i.Queries));

        // One or two queries per coordinate, plus the grid checks.
        Assert.All(state.Images, i => Assert.InRange(i.Queries - 1 - i.GridChecks, i.Iterations, 2 * i.Iterations));
    }

    [Fact]
    public void Run_Batched_OneOrTwoModelCallsPerCoordinate()
    {
        var (model, images, goals) = Problem(5);
        var sut = new SimbaDctAttack(new SimbaDctOptions { Epsilon = 0.01, StepSize = 0.01, MaxQueries = 50 });
        long before = model.Calls;
        AttackState state = sut.Start(model, images, goals);
        sut.Step(state, model, StepBudget.Iterations(10));

        Assert.All(state.Images, i => Assert.Equal(ImageAttackStatus.Running, i.Status));
        Assert.All(state.Images, i => Assert.Equal(10, i.Iterations));
        Assert.InRange(model.Calls - before, 1 + 10, 1 + 20);
        Assert.Equal(5, model.MaxBatchSeen);
    }

    [Fact]
    public void Run_Untargeted_FoolsTheLinearModel()
    {
        var (model, images, goals) = Problem(6);
        var sut = new SimbaDctAttack(new SimbaDctOptions { Epsilon = 3.0, MaxQueries = 2000 });
        AttackState state = sut.Start(model, images, goals);
        sut.Step(state, model, StepBudget.Unlimited);

        for (int i = 0; i < images.Count; i++)
        {
            AttackImageState image = state.Images[i];
            Assert.Equal(ImageAttackStatus.Succeeded, image.Status);
            Assert.NotEqual(goals[i].TrueClass, model.Top1(image.Best));
            Assert.True(image.BestMargin <= 0);
            Assert.NotNull(image.ContinuousSuccessQueries);
            Assert.True(image.GridChecks >= 1);
        }
    }

    [Fact]
    public void Run_Targeted_ReachesTheTarget()
    {
        var (model, images, goals) = Problem(3);
        var targeted = goals.Select(g => g with { TargetClass = (g.TrueClass + 3) % 10 }).ToList();
        var sut = new SimbaDctAttack(new SimbaDctOptions { Epsilon = 5.0, MaxQueries = 3000 });
        AttackState state = sut.Start(model, images, targeted);
        sut.Step(state, model, StepBudget.Unlimited);

        for (int i = 0; i < images.Count; i++)
        {
            Assert.Equal(ImageAttackStatus.Succeeded, state.Images[i].Status);
            Assert.Equal(targeted[i].TargetClass, model.Top1(state.Images[i].Best));
        }
    }

    [Fact]
    public void Run_Delta_LiesInTheSpanOfTheVisitedCoefficients()
    {
        var (model, images, goals) = Problem(1);
        var options = new SimbaDctOptions { Epsilon = 0.01, StepSize = 0.005, MaxQueries = 120 };
        var sut = new SimbaDctAttack(options);
        AttackState state = sut.Step(sut.Start(model, images, goals), model, StepBudget.Iterations(40));
        var image = (SimbaImageState)state.Images[0];

        // Forward DCT of the perturbation: only the coefficients tried so far may be non-zero, and each one
        // the search moved is +-StepSize times the common shrink factor of the projections.
        int[] order = DctBasis.BlockOrder(3, Size, Size, options.EffectiveFreqDims(Size, Size), options.EffectiveStride(Size, Size), SeededRandom.FromState(image.Random.GetState()), 1000);
        var visited = order.Take(image.Iterations).ToHashSet();
        double[] table = DctBasis.CosineTable(Size);
        double visitedSquares = 0;
        for (int c = 0; c < 3; c++)
        {
            for (int u = 0; u < Size; u++)
            {
                for (int v = 0; v < Size; v++)
                {
                    double coefficient = 0;
                    for (int r = 0; r < Size; r++)
                    {
                        for (int q = 0; q < Size; q++)
                        {
                            coefficient += image.Delta[(((c * Size) + r) * Size) + q] * table[(u * Size) + r] * table[(v * Size) + q];
                        }
                    }

                    int index = (((c * Size) + u) * Size) + v;
                    if (visited.Contains(index))
                    {
                        visitedSquares += coefficient * coefficient;
                    }
                    else
                    {
                        Assert.True(Math.Abs(coefficient) < 1e-5, $"coefficient {index} was never tried but is {coefficient}");
                    }
                }
            }
        }

        Assert.True(visitedSquares > 0);
        Assert.Equal(L2(image.Delta, new float[image.Delta.Length]), Math.Sqrt(visitedSquares), 4);
    }

    [Fact]
    public void Step_SlicedAndSerialized_EqualsUncutRun()
    {
        var options = new SimbaDctOptions { Epsilon = 0.8, MaxQueries = 400, Seed = 3 };
        var (model, images, goals) = Problem(4);
        AttackState uncut = RunUncut(options, model, images, goals);

        (AttackState resumed, int slices) = AttackResume.RunInSavedSlices(new SimbaDctAttack(options).Start(model, images, goals), model, [1, 7, 2, 31, 5], resumed => Assert.All(resumed.Images, i => Assert.IsType<SimbaImageState>(i)));
        AssertSameRun(uncut, resumed);

        Assert.True(slices > 5);
    }

    [Fact]
    public void Step_QueryBudgetSlices_EqualUncutRun()
    {
        var options = new SimbaDctOptions { Epsilon = 0.8, MaxQueries = 300, Seed = 11 };
        var (model, images, goals) = Problem(3);
        AttackState uncut = RunUncut(options, model, images, goals);

        var sut = new SimbaDctAttack(options);
        AttackState sliced = sut.Start(model, images, goals);
        while (!sliced.IsFinished)
        {
            long before = sliced.TotalQueries;
            sut.Step(sliced, model, new StepBudget(MaxQueries: 20));
            Assert.InRange(sliced.TotalQueries - before, 1, 20);
        }

        AssertSameRun(uncut, sliced);
    }

    [Fact]
    public void Step_TimeBudgetSlices_EqualUncutRun()
    {
        var options = new SimbaDctOptions { Epsilon = 0.8, MaxQueries = 150, Seed = 2 };
        var (model, images, goals) = Problem(2);
        AttackState uncut = RunUncut(options, model, images, goals);

        var clock = new SteppingClock(TimeSpan.FromMilliseconds(3));
        var sut = new SimbaDctAttack(options, timeProvider: clock);
        AttackState sliced = sut.Start(model, images, goals);
        int slices = 0;
        while (!sliced.IsFinished)
        {
            sut.Step(sliced, model, new StepBudget(MaxDuration: TimeSpan.FromMilliseconds(10)));
            slices++;
        }

        Assert.True(slices > 3);
        AssertSameRun(uncut, sliced);
    }

    [Fact]
    public void Start_SameSeed_SameResult_OtherSeed_Differs()
    {
        var (model, images, goals) = Problem(2);
        AttackState Run(ulong seed) => RunUncut(new SimbaDctOptions { Epsilon = 0.5, MaxQueries = 100, Seed = seed }, model, images, goals);

        AssertSameRun(Run(5), Run(5));
        Assert.NotEqual(Run(5).Images[0].Best, Run(6).Images[0].Best);
    }

    [Fact]
    public void Run_ImageAloneOrInABatch_GivesTheSameResult()
    {
        var (model, images, goals) = Problem(3);
        var sut = new SimbaDctAttack(new SimbaDctOptions { Epsilon = 0.5, MaxQueries = 150, Seed = 1 });
        AttackState together = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);
        AttackState alone = sut.Step(sut.Start(model, [images[1]], [goals[1]]), model, StepBudget.Unlimited);

        Assert.Equal(together.Images[1].Best, alone.Images[0].Best);
        Assert.Equal(together.Images[1].Queries, alone.Images[0].Queries);
    }

    [Fact]
    public void Start_CleanAlreadyMeetsGoal_SucceedsAfterOneQuery()
    {
        var (model, images, goals) = Problem(1);
        var sut = new SimbaDctAttack(new SimbaDctOptions());

        AttackState state = sut.Start(model, images, [goals[0] with { TargetClass = goals[0].TrueClass }]);

        Assert.Equal(ImageAttackStatus.Succeeded, state.Images[0].Status);
        Assert.Equal(1, state.Images[0].Queries);
        Assert.Equal(images[0], state.Images[0].Best);
    }

    [Fact]
    public void Step_OtherOptions_Rejected()
    {
        var (model, images, goals) = Problem(1);
        AttackState state = new SimbaDctAttack(new SimbaDctOptions()).Start(model, images, goals);
        var other = new SimbaDctAttack(new SimbaDctOptions { Seed = 9 });

        var ex = Assert.Throws<ArgumentException>(() => other.Step(state, model, StepBudget.Unlimited));
        Assert.Contains("other options", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NormKind.LInf, 0.05, null, null, 0.01, "Norm")]
    [InlineData(NormKind.L2, 0.0, null, null, 0.2, "Epsilon")]
    [InlineData(NormKind.L2, 5.0, 0, null, 0.2, "FreqDims")]
    [InlineData(NormKind.L2, 5.0, null, 0, 0.2, "Stride")]
    [InlineData(NormKind.L2, 5.0, null, null, 0.0, "StepSize")]
    [InlineData(NormKind.L2, 0.1, null, null, 0.2, "StepSize")]
    public void Constructor_BadOptions_ThrowNamingTheOption(NormKind norm, double eps, int? freqDims, int? stride, double stepSize, string expected)
    {
        var options = new SimbaDctOptions { Norm = norm, Epsilon = eps, FreqDims = freqDims, Stride = stride, StepSize = stepSize };

        var ex = Assert.Throws<ArgumentException>(() => new SimbaDctAttack(options));
        Assert.Equal(expected, ex.ParamName);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Defaults_AreTheL2Settings()
    {
        var sut = new SimbaDctOptions();

        Assert.Equal(NormKind.L2, sut.Norm);
        Assert.Equal(5.0, sut.Epsilon);
        Assert.Equal(0.2, sut.StepSize);
        Assert.Equal("simba-dct", sut.AttackName);
        Assert.Equal("simba-dct", sut.Describe()["attack"]);
    }

    [Theory]
    [InlineData(299, 38, 9)]
    [InlineData(224, 28, 7)]
    [InlineData(160, 20, 5)]
    [InlineData(8, 1, 1)]
    public void EffectiveFreqDimsAndStride_ByInputSize_FollowTheAuthors(int size, int freqDims, int stride)
    {
        var sut = new SimbaDctOptions();

        Assert.Equal(freqDims, sut.EffectiveFreqDims(size, size));
        Assert.Equal(stride, sut.EffectiveStride(size, size));
    }

    [Fact]
    public void Options_Json_RoundTripsThroughTheBaseType()
    {
        AttackOptions sut = new SimbaDctOptions { FreqDims = 12, Stride = 3, StepSize = 0.1, Seed = 4 };
        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        string json = JsonSerializer.Serialize(sut, web);
        AttackOptions? back = JsonSerializer.Deserialize<AttackOptions>(json, web);

        Assert.Contains("\"attack\":\"simba-dct\"", json, StringComparison.Ordinal);
        Assert.Equal(sut, back);
    }

    [Fact]
    public void Trace_LongRun_StaysWithinCapacityAndStartsAtTheCleanQuery()
    {
        var (model, images, goals) = Problem(1, classes: 2);
        var sut = new SimbaDctAttack(new SimbaDctOptions { Epsilon = 0.05, StepSize = 0.01, MaxQueries = 1000, TraceCapacity = 8 });
        AttackState state = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);

        List<AttackTracePoint> trace = state.Images[0].Trace;
        Assert.InRange(trace.Count, 2, 8);
        Assert.Equal(1, trace[0].Queries);
        Assert.True(trace.Zip(trace.Skip(1)).All(p => p.First.Queries < p.Second.Queries && p.First.Loss > p.Second.Loss));
    }

    [SharedModelFact("mobilenet_v2_1.0_224")]
    public void Run_TwoSharedPhotosOnMobileNetV2_VerifiedSuccess()
    {
        string folder = SharedModelFactAttribute.SharedModelPath("mobilenet_v2_1.0_224")!;
        Assert.True(ModelPresets.TryGet("mobilenet-v2", out ModelSpec? preset));
        ModelSpec spec = preset! with { OnnxPath = Path.Combine(folder, "model.onnx"), LabelsPath = Path.Combine(folder, "labels.txt") };
        using var model = new OnnxClassifier(spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        var photos = SharedPhotos
            .Select(name => PreparedImage.Load(name, File.ReadAllBytes(RepoPaths.FromRoot(Path.Combine("..", "shared", "images", name))!), spec.Recipe))
            .ToList();
        var sut = new AttackRunner(model, ModelDescription.From(model));

        IReadOnlyList<ImageResult> results = sut.Run(photos, new AttackRequest { Attack = new SimbaDctOptions { MaxQueries = 500 }, Minimize = false });

        foreach (ImageResult result in results)
        {
            Assert.Equal(SimbaDctOptions.Name, result.Report.Attack.Name);
            Assert.Equal(OutcomeStatus.Fooled, result.Report.Outcome.Status);
            Assert.True(result.Report.Adversarial!.Verified);
            Assert.True(result.Report.Perturbation!.L2 <= 5.0 + 1e-6);
            Assert.InRange(result.Report.Outcome.Queries, 1, 500);
        }
    }

    private static AttackState RunUncut(SimbaDctOptions options, LinearClassifier model, List<float[]> images, List<AttackGoal> goals)
    {
        var attack = new SimbaDctAttack(options);
        return attack.Step(attack.Start(model, images, goals), model, StepBudget.Unlimited);
    }

    private static double L2(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - (double)b[i];
            sum += d * d;
        }

        return Math.Sqrt(sum);
    }

    private static void AssertSameRun(AttackState expected, AttackState actual) =>
        AttackResume.AssertSameRun(expected, actual, (e, a) => Assert.Equal(((SimbaImageState)e).Delta, ((SimbaImageState)a).Delta));

    /// <summary>A clock that moves forward by a fixed amount every time it is read.</summary>
    private sealed class SteppingClock(TimeSpan tick) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks += tick.Ticks;
    }
}
