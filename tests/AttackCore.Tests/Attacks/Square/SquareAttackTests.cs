using AttackCore.Attacks;
using AttackCore.Attacks.Square;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Attacks.Square;

public class SquareAttackTests : AttackContractTests<SquareAttackOptions>
{
    protected override IReadOnlyList<NormKind> Norms => [NormKind.LInf, NormKind.L2];

    protected override SquareAttackOptions ContractOptions(NormKind norm, ulong seed = 0) =>
        new() { Norm = norm, Epsilon = norm == NormKind.LInf ? 0.1 : 1.0, MaxQueries = 300, Seed = seed };

    private const int Size = 8;

    private static (LinearClassifier Model, List<float[]> Images, List<AttackGoal> Goals) Problem(int count, int classes = 10) =>
        AttackResume.LinearProblem(count, Size, classes);

    [Theory]
    [InlineData(0, 0.05)]
    [InlineData(9, 0.05)]
    [InlineData(10, 0.05)]
    [InlineData(11, 0.025)]
    [InlineData(50, 0.025)]
    [InlineData(51, 0.0125)]
    [InlineData(8001, 0.05 / 512)]
    [InlineData(10000, 0.05 / 512)]
    [InlineData(10001, 0.05)]
    public void PSchedule_AtBoundaries_HalvesAsInTheReference(int iteration, double expected)
    {
        Assert.Equal(expected, SquareAttack.PSchedule(0.05, iteration, 10_000), 12);
    }

    [Fact]
    public void PSchedule_SmallerBudget_RescalesIterations()
    {
        // With a 1,000-query budget, iteration 2 is "20" on the 10,000 scale: one halving.
        Assert.Equal(0.05 / 2, SquareAttack.PSchedule(0.05, 2, 1000), 12);
    }

    [Theory]
    [InlineData(NormKind.LInf, 0.03, QuantizationMode.OnGrid)]
    [InlineData(NormKind.LInf, 0.03, QuantizationMode.AfterSuccess)]
    [InlineData(NormKind.L2, 0.5, QuantizationMode.OnGrid)]
    [InlineData(NormKind.L2, 0.5, QuantizationMode.AfterSuccess)]
    public void Step_EveryIteration_KeepsNormRangeAndNeverWorsensLoss(NormKind norm, double eps, QuantizationMode quantization)
    {
        var (model, images, goals) = Problem(4);
        var sut = new SquareAttack(new SquareAttackOptions { Norm = norm, Epsilon = eps, MaxQueries = 300, Quantization = quantization });
        AttackState state = sut.Start(model, images, goals);
        double[] previous = state.Images.Select(i => i.BestLoss).ToArray();
        while (!state.IsFinished)
        {
            sut.Step(state, model, StepBudget.Iterations(1));
            for (int i = 0; i < state.Images.Count; i++)
            {
                AttackImageState image = state.Images[i];
                // In AfterSuccess mode the final switch to the 8-bit projection may cost some loss; the search itself never does.
                bool projectedAtTheEnd = quantization == QuantizationMode.AfterSuccess && image.Status == ImageAttackStatus.Succeeded;
                Assert.True(projectedAtTheEnd || image.BestLoss <= previous[i], "the best loss got worse");
                previous[i] = image.BestLoss;
                double sumSquares = 0, max = 0;
                for (int k = 0; k < image.Best.Length; k++)
                {
                    float v = image.Best[k];
                    Assert.InRange(v, 0f, 1f);
                    double d = Math.Abs(v - (double)image.Clean[k]);
                    max = Math.Max(max, d);
                    sumSquares += d * d;
                }

                double measured = norm == NormKind.LInf ? max : Math.Sqrt(sumSquares);
                Assert.True(measured <= eps + 1e-6, $"norm {measured} exceeds eps {eps}");
                if (quantization == QuantizationMode.OnGrid || image.Status == ImageAttackStatus.Succeeded)
                {
                    Assert.All(image.Best, v => Assert.Equal(PixelGrid.Snap(v), v));
                }
            }
        }
    }

    [Theory]
    [InlineData(NormKind.LInf, 0.05)]
    [InlineData(NormKind.L2, 1.0)]
    public void Run_QueriesCounted_EqualModelCalls(NormKind norm, double eps)
    {
        var (model, images, goals) = Problem(6);
        var sut = new SquareAttack(new SquareAttackOptions { Norm = norm, Epsilon = eps, MaxQueries = 200 });
        long before = model.ImagesScored;
        AttackState state = sut.Start(model, images, goals);
        Assert.Equal(6, model.ImagesScored - before);
        Assert.All(state.Images, i => Assert.Equal(1, i.Queries));
        sut.Step(state, model, StepBudget.Unlimited);

        Assert.True(state.IsFinished);
        Assert.Equal(model.ImagesScored - before, state.TotalQueries);
        Assert.All(state.Images, i => Assert.True(i.Queries <= 200));
        Assert.All(state.Images.Where(i => i.Status == ImageAttackStatus.Exhausted), i => Assert.Equal(200, i.Queries));
        Assert.All(state.Images, i => Assert.Equal(i.Queries, 1 + i.Iterations + i.GridChecks));
    }

    [Fact]
    public void Run_Batched_OneModelCallPerIteration()
    {
        var (model, images, goals) = Problem(5);
        var sut = new SquareAttack(new SquareAttackOptions { Epsilon = 0.004, MaxQueries = 50 });
        long before = model.Calls;
        AttackState state = sut.Start(model, images, goals);
        sut.Step(state, model, StepBudget.Iterations(10));

        Assert.All(state.Images, i => Assert.Equal(ImageAttackStatus.Running, i.Status));
        Assert.Equal(11, model.Calls - before);
        Assert.Equal(5, model.MaxBatchSeen);
    }

    [Fact]
    public void Run_UntargetedLInf_FoolsTheLinearModel()
    {
        var (model, images, goals) = Problem(6);
        var sut = new SquareAttack(new SquareAttackOptions { Epsilon = 0.1, MaxQueries = 2000 });
        AttackState state = sut.Start(model, images, goals);
        sut.Step(state, model, StepBudget.Unlimited);

        Assert.All(state.Images, i => Assert.Equal(ImageAttackStatus.Succeeded, i.Status));
        for (int i = 0; i < images.Count; i++)
        {
            Assert.NotEqual(goals[i].TrueClass, model.Top1(state.Images[i].Best));
            Assert.True(state.Images[i].BestMargin <= 0);
        }
    }

    [Fact]
    public void Run_Targeted_ReachesTheTarget()
    {
        var (model, images, goals) = Problem(3);
        var targeted = goals.Select(g => g with { TargetClass = (g.TrueClass + 3) % 10 }).ToList();
        var sut = new SquareAttack(new SquareAttackOptions { Epsilon = 0.2, MaxQueries = 3000 });
        AttackState state = sut.Start(model, images, targeted);
        sut.Step(state, model, StepBudget.Unlimited);

        for (int i = 0; i < images.Count; i++)
        {
            Assert.Equal(ImageAttackStatus.Succeeded, state.Images[i].Status);
            Assert.Equal(targeted[i].TargetClass, model.Top1(state.Images[i].Best));
        }
    }

    [Theory]
    [InlineData(NormKind.LInf, 0.02, QuantizationMode.OnGrid)]
    [InlineData(NormKind.L2, 0.4, QuantizationMode.OnGrid)]
    [InlineData(NormKind.L2, 0.4, QuantizationMode.AfterSuccess)]
    public void Step_SlicedAndSerialized_EqualsUncutRun(NormKind norm, double eps, QuantizationMode quantization)
    {
        var options = new SquareAttackOptions { Norm = norm, Epsilon = eps, MaxQueries = 400, Seed = 3, Quantization = quantization };
        var (model, images, goals) = Problem(4);
        var uncutAttack = new SquareAttack(options);
        AttackState uncut = uncutAttack.Start(model, images, goals);
        uncutAttack.Step(uncut, model, StepBudget.Unlimited);

        var first = new SquareAttack(options);
        (AttackState resumed, int slices) = AttackResume.RunInSavedSlices(first.Start(model, images, goals), model, [1, 7, 2, 31, 5]);
        AssertSameRun(uncut, resumed);

        Assert.True(slices > 5);
    }

    [Fact]
    public void Step_QueryBudgetSlices_EqualUncutRun()
    {
        var options = new SquareAttackOptions { Epsilon = 0.02, MaxQueries = 300, Seed = 11 };
        var (model, images, goals) = Problem(3);
        var sut = new SquareAttack(options);
        AttackState uncut = sut.Start(model, images, goals);
        sut.Step(uncut, model, StepBudget.Unlimited);

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
    public void Start_SameSeed_SameResult_OtherSeed_Differs()
    {
        var (model, images, goals) = Problem(2);
        AttackState Run(ulong seed)
        {
            var sut = new SquareAttack(new SquareAttackOptions { Epsilon = 0.02, MaxQueries = 100, Seed = seed });
            return sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);
        }

        AssertSameRun(Run(5), Run(5));
        Assert.NotEqual(Run(5).Images[0].Best, Run(6).Images[0].Best);
    }

    [Fact]
    public void Run_ImageAloneOrInABatch_GivesTheSameResult()
    {
        var (model, images, goals) = Problem(3);
        var sut = new SquareAttack(new SquareAttackOptions { Epsilon = 0.02, MaxQueries = 150, Seed = 1 });
        AttackState together = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);
        AttackState alone = sut.Step(sut.Start(model, [images[1]], [goals[1]]), model, StepBudget.Unlimited);

        Assert.Equal(together.Images[1].Best, alone.Images[0].Best);
        Assert.Equal(together.Images[1].Queries, alone.Images[0].Queries);
    }

    [Fact]
    public void ImageSeed_DependsOnSeedAndImageContentOnly()
    {
        float[] a = LinearClassifier.RandomImage(Size, 1), b = LinearClassifier.RandomImage(Size, 2);

        Assert.Equal(SeededRandom.ImageSeed(3, a), SeededRandom.ImageSeed(3, (float[])a.Clone()));
        Assert.NotEqual(SeededRandom.ImageSeed(3, a), SeededRandom.ImageSeed(3, b));
        Assert.NotEqual(SeededRandom.ImageSeed(3, a), SeededRandom.ImageSeed(4, a));
    }

    [Fact]
    public void Start_TwoImagesInABatch_DrawDifferentStripes()
    {
        var (model, images, goals) = Problem(2);
        var sut = new SquareAttack(new SquareAttackOptions { Epsilon = 0.05, MaxQueries = 10 });

        AttackState state = sut.Start(model, images, goals);

        // The sign of each stripe is the sign of best - clean where the clean value is far from the bounds.
        static int[] Signs(AttackImageState s) => s.Best.Zip(s.Clean).Select(p => Math.Sign(p.First - p.Second)).ToArray();
        Assert.NotEqual(Signs(state.Images[0]), Signs(state.Images[1]));
    }

    [Fact]
    public void Step_OtherOptions_Rejected()
    {
        var (model, images, goals) = Problem(1);
        AttackState state = new SquareAttack(new SquareAttackOptions()).Start(model, images, goals);
        var other = new SquareAttack(new SquareAttackOptions { Seed = 9 });

        var ex = Assert.Throws<ArgumentException>(() => other.Step(state, model, StepBudget.Unlimited));
        Assert.Contains("other options", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0, 10, null, "Epsilon")]
    [InlineData(1.5, 10, null, "Epsilon")]
    [InlineData(0.001, 10, null, "8-bit step")]
    [InlineData(0.05, 0, null, "MaxQueries")]
    [InlineData(0.05, 10, 1.5, "PInit")]
    public void Constructor_BadOptions_ThrowNamingTheOption(double eps, int maxQueries, double? pInit, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => new SquareAttack(new SquareAttackOptions { Epsilon = eps, MaxQueries = maxQueries, PInit = pInit }));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trace_LongRun_StaysWithinCapacityAndStartsAtFirstQuery()
    {
        var (model, images, goals) = Problem(1, classes: 2);
        var sut = new SquareAttack(new SquareAttackOptions { Epsilon = 0.004, MaxQueries = 3000, TraceCapacity = 8 });
        AttackState state = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);

        List<AttackTracePoint> trace = state.Images[0].Trace;
        Assert.InRange(trace.Count, 1, 8);
        Assert.Equal(1, trace[0].Queries);
        Assert.True(trace.Zip(trace.Skip(1)).All(p => p.First.Queries < p.Second.Queries && p.First.Loss > p.Second.Loss));
    }

    private static void AssertSameRun(AttackState expected, AttackState actual) => AttackResume.AssertSameRun(expected, actual);
}
