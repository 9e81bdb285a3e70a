using AttackCore.Attacks;
using AttackCore.Attacks.HopSkipJump;
using AttackCore.Engine;
using AttackCore.Models;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Attacks.HopSkipJump;

public class HopSkipJumpAttackTests : AttackContractTests<HopSkipJumpOptions>
{
    protected override IReadOnlyList<NormKind> Norms => [NormKind.L2, NormKind.LInf];

    protected override bool DecisionBased => true;

    protected override HopSkipJumpOptions ContractOptions(NormKind norm, ulong seed = 0) =>
        new() { Norm = norm, Epsilon = norm == NormKind.L2 ? 1.5 : 0.1, MaxQueries = 1500, InitEvals = 20, Seed = seed };

    private const int Size = 8;
    private static readonly string[] Photos = ["cat.png", "bird.png"];

    private static (LinearClassifier Model, List<float[]> Images, List<AttackGoal> Goals) Problem(int count, int classes = 10) =>
        AttackResume.LinearProblem(count, Size, classes);

    private static AttackState Run(HopSkipJumpOptions options, IClassifier model, List<float[]> images, List<AttackGoal> goals)
    {
        var sut = new HopSkipJumpAttack(options);
        return sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);
    }

    private static double Norm(NormKind norm, float[] clean, float[] image)
    {
        double sum = 0, max = 0;
        for (int i = 0; i < clean.Length; i++)
        {
            double d = image[i] - (double)clean[i];
            sum += d * d;
            max = Math.Max(max, Math.Abs(d));
        }

        return norm == NormKind.L2 ? Math.Sqrt(sum) : max;
    }

    private static bool Meets(LinearClassifier model, float[] image, AttackGoal goal)
    {
        int top = model.Top1(image);
        return goal.TargetClass is int t ? top == t : top != goal.TrueClass;
    }

    [Theory]
    [InlineData(NormKind.L2, 192, 1.0 / (192 * 13.856406460551018))]
    [InlineData(NormKind.LInf, 192, 1.0 / (192.0 * 192))]
    public void Theta_PerNorm_FollowsTheReference(NormKind norm, int values, double expected)
    {
        Assert.Equal(expected, HopSkipJumpAttack.Theta(norm, 1.0, values), 15);
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(3, 200)]
    [InlineData(99, 1000)]
    [InlineData(20_000, 10_000)]
    public void NumEvals_GrowsWithSquareRootAndIsCapped(int iteration, int expected)
    {
        Assert.Equal(expected, HopSkipJumpAttack.NumEvals(100, 10_000, iteration));
    }

    [Theory]
    [InlineData(NormKind.L2, 1.5)]
    [InlineData(NormKind.LInf, 0.1)]
    public void Run_Untargeted_SucceedsOnGridWithinEps(NormKind norm, double eps)
    {
        var (model, images, goals) = Problem(4);
        AttackState state = Run(new HopSkipJumpOptions { Norm = norm, Epsilon = eps, MaxQueries = 3000, InitEvals = 20 }, model, images, goals);

        for (int i = 0; i < images.Count; i++)
        {
            AttackImageState image = state.Images[i];
            Assert.Equal(ImageAttackStatus.Succeeded, image.Status);
            Assert.True(Meets(model, image.Best, goals[i]));
            Assert.All(image.Best, v => Assert.Equal(PixelGrid.Snap(v), v));
            double distance = Norm(norm, image.Clean, image.Best);
            Assert.True(distance <= eps + 1e-6, $"distance {distance} exceeds eps {eps}");
            Assert.Equal(distance, image.BestLoss, 9);
            Assert.True(image.BestMargin <= 0);
        }
    }

    [Theory]
    [InlineData(NormKind.L2)]
    [InlineData(NormKind.LInf)]
    public void Step_EveryRound_BestIsAdversarialInRangeAndDistanceShrinks(NormKind norm)
    {
        // A budget too small to reach: the attack keeps minimizing the distance until its queries run out.
        var (model, images, goals) = Problem(3);
        var sut = new HopSkipJumpAttack(new HopSkipJumpOptions { Norm = norm, Epsilon = norm == NormKind.L2 ? 0.01 : 1 / 255.0, MaxQueries = 1500, InitEvals = 20 });
        AttackState state = sut.Start(model, images, goals);
        var first = new double[images.Count];
        while (!state.IsFinished)
        {
            sut.Step(state, model, StepBudget.Iterations(1));
            for (int i = 0; i < images.Count; i++)
            {
                var image = (HopSkipJumpImageState)state.Images[i];
                Assert.All(image.Best, v => Assert.InRange(v, 0f, 1f));
                if (double.IsFinite(image.BestLoss))
                {
                    // Best is always a point whose exact image the model labelled adversarial.
                    Assert.True(Meets(model, image.Best, goals[i]), "the boundary point is not adversarial");
                    Assert.Equal(Norm(norm, image.Clean, image.Best), image.Distance, 9);
                    Assert.Equal(image.Distance, image.BestLoss);
                    first[i] = first[i] == 0 ? image.Distance : first[i];
                }
            }
        }

        for (int i = 0; i < images.Count; i++)
        {
            AttackImageState image = state.Images[i];
            Assert.Equal(ImageAttackStatus.Exhausted, image.Status);
            Assert.Equal(1500, image.Queries);
            Assert.True(image.BestLoss < first[i] / 2, $"distance went from {first[i]} to {image.BestLoss} only");
        }
    }

    [Theory]
    [InlineData(NormKind.L2, 0.5)]
    [InlineData(NormKind.LInf, 0.02)]
    public void Run_QueriesCounted_EqualModelCallsAndNeverExceedBudget(NormKind norm, double eps)
    {
        var (model, images, goals) = Problem(5);
        var sut = new HopSkipJumpAttack(new HopSkipJumpOptions { Norm = norm, Epsilon = eps, MaxQueries = 777, InitEvals = 30 });
        long before = model.ImagesScored;
        AttackState state = sut.Start(model, images, goals);
        Assert.Equal(5, model.ImagesScored - before);
        Assert.All(state.Images, i => Assert.Equal(1, i.Queries));
        sut.Step(state, model, StepBudget.Unlimited);

        Assert.True(state.IsFinished);
        Assert.Equal(model.ImagesScored - before, state.TotalQueries);
        Assert.All(state.Images, i => Assert.InRange(i.Queries, 1, 777));
        Assert.All(state.Images.Where(i => i.Status == ImageAttackStatus.Exhausted), i => Assert.Equal(777, i.Queries));
    }

    [Fact]
    public void Run_GradientProbes_ShareBatchedModelCalls()
    {
        var (model, images, goals) = Problem(3);
        var sut = new HopSkipJumpAttack(new HopSkipJumpOptions { Norm = NormKind.L2, Epsilon = 0.01, MaxQueries = 2000 });
        long calls = model.Calls, before = model.ImagesScored;
        sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);

        // 3 images x 100+ probes per estimate: the probes of all images travel together, at most 256 per call.
        Assert.Equal(256, model.MaxBatchSeen);
        Assert.True((model.Calls - calls) * 4 < model.ImagesScored - before, $"{model.Calls - calls} calls for {model.ImagesScored - before} queries");
    }

    [Theory]
    [InlineData(NormKind.L2)]
    [InlineData(NormKind.LInf)]
    public void Run_LabelOnlyOrScrambledScores_EqualsRunOnTheRawModel(NormKind norm)
    {
        var (model, images, goals) = Problem(3);
        var options = new HopSkipJumpOptions { Norm = norm, Epsilon = norm == NormKind.L2 ? 0.3 : 0.01, MaxQueries = 1200, InitEvals = 25, Seed = 4 };
        AttackState raw = Run(options, model, images, goals);
        AttackState labelOnly = Run(options, new LabelOnlyClassifier(model), images, goals);
        AttackState scrambled = Run(options, new ScrambledScores(model), images, goals);

        AssertSameRun(raw, labelOnly);
        AssertSameRun(raw, scrambled);
    }

    [Fact]
    public void Start_WithStartingImage_TargetedReachesTheTarget()
    {
        var (model, images, goals) = Problem(2);
        var targeted = goals.Select(g => g with { TargetClass = (g.TrueClass + 3) % 10 }).ToList();
        float[]?[] starts = targeted.Select(g => FindImageLabelled(model, g.TargetClass!.Value)).ToArray();
        var sut = new HopSkipJumpAttack(new HopSkipJumpOptions { Norm = NormKind.L2, Epsilon = 2.0, MaxQueries = 4000, InitEvals = 20 });

        AttackState state = sut.Start(model, images, targeted, starts);
        Assert.All(state.Images, i => Assert.Equal(1, i.Queries));
        sut.Step(state, model, StepBudget.Unlimited);

        for (int i = 0; i < images.Count; i++)
        {
            Assert.Equal(ImageAttackStatus.Succeeded, state.Images[i].Status);
            Assert.Equal(targeted[i].TargetClass, model.Top1(state.Images[i].Best));
            Assert.True(Norm(NormKind.L2, images[i], state.Images[i].Best) <= 2.0 + 1e-6);
        }
    }

    [Fact]
    public void Start_StartingImageMissingTheGoal_ExhaustedAfterOneQuery()
    {
        var (model, images, goals) = Problem(1);
        var targeted = new List<AttackGoal> { goals[0] with { TargetClass = (goals[0].TrueClass + 1) % 10 } };
        var sut = new HopSkipJumpAttack(new HopSkipJumpOptions { MaxQueries = 100 });

        AttackState state = sut.Step(sut.Start(model, images, targeted, [(float[])images[0].Clone()]), model, StepBudget.Unlimited);

        Assert.Equal(ImageAttackStatus.Exhausted, state.Images[0].Status);
        Assert.Equal(1, state.Images[0].Queries);
        Assert.Equal(images[0], state.Images[0].Best);
    }

    [Fact]
    public void Start_TargetedWithoutStartNoiseNeverHits_ExhaustedAfterInitSizeTries()
    {
        var model = new ConstantClassifier(Size, classes: 4, label: 2);
        float[] image = LinearClassifier.RandomImage(Size, 1);
        var sut = new HopSkipJumpAttack(new HopSkipJumpOptions { InitSize = 17, MaxQueries = 1000 });

        AttackState state = sut.Step(sut.Start(model, [image], [new AttackGoal(2, 3)]), model, StepBudget.Unlimited);

        Assert.Equal(ImageAttackStatus.Exhausted, state.Images[0].Status);
        Assert.Equal(17, state.Images[0].Queries);
        Assert.Equal(17, model.ImagesScored);
        Assert.Equal(image, state.Images[0].Best);
    }

    [Theory]
    [InlineData(NormKind.L2, 0.4)]
    [InlineData(NormKind.LInf, 0.015)]
    public void Step_SlicedAndSerialized_EqualsUncutRun(NormKind norm, double eps)
    {
        var options = new HopSkipJumpOptions { Norm = norm, Epsilon = eps, MaxQueries = 900, InitEvals = 20, Seed = 3 };
        var (model, images, goals) = Problem(3);
        AttackState uncut = Run(options, model, images, goals);

        (AttackState resumed, int slices) = AttackResume.RunInSavedSlices(new HopSkipJumpAttack(options).Start(model, images, goals), model, [1, 7, 2, 31, 5]);
        AssertSameRun(uncut, resumed);

        Assert.True(slices > 5);
    }

    [Fact]
    public void Step_QueryBudgetSlices_EqualUncutRun()
    {
        var options = new HopSkipJumpOptions { Norm = NormKind.L2, Epsilon = 0.3, MaxQueries = 600, InitEvals = 20, Seed = 11 };
        var (model, images, goals) = Problem(3);
        AttackState uncut = Run(options, model, images, goals);

        var sut = new HopSkipJumpAttack(options);
        AttackState sliced = sut.Start(model, images, goals);
        while (!sliced.IsFinished)
        {
            long before = sliced.TotalQueries;
            sut.Step(sliced, model, new StepBudget(MaxQueries: 40));

            // A round (all probes of a gradient estimate) can be larger than the slice; then it runs alone.
            Assert.True(sliced.TotalQueries - before >= 1);
        }

        AssertSameRun(uncut, sliced);
    }

    [Fact]
    public void Step_TimeBudgetSlices_EqualUncutRun()
    {
        var options = new HopSkipJumpOptions { Norm = NormKind.LInf, Epsilon = 0.015, MaxQueries = 500, InitEvals = 20, Seed = 2 };
        var (model, images, goals) = Problem(2);
        AttackState uncut = Run(options, model, images, goals);

        // Each reading of this clock moves it by one second: a three-second slice runs three rounds.
        var clock = new SteppingClock(TimeSpan.FromSeconds(1));
        var sut = new HopSkipJumpAttack(options, clock);
        byte[] saved = AttackStateSerializer.ToBytes(sut.Start(model, images, goals));
        int slices = 0;
        while (true)
        {
            AttackState resumed = AttackStateSerializer.FromBytes(saved);
            if (resumed.IsFinished)
            {
                AssertSameRun(uncut, resumed);
                break;
            }

            sut.Step(resumed, model, new StepBudget(MaxDuration: TimeSpan.FromSeconds(3)));
            saved = AttackStateSerializer.ToBytes(resumed);
            slices++;
        }

        Assert.True(slices > 3);
    }

    [Fact]
    public void Start_SameSeed_SameResult_OtherSeed_Differs()
    {
        var (model, images, goals) = Problem(2);
        AttackState RunSeed(ulong seed) =>
            Run(new HopSkipJumpOptions { Norm = NormKind.L2, Epsilon = 0.2, MaxQueries = 500, InitEvals = 20, Seed = seed }, model, images, goals);

        AssertSameRun(RunSeed(5), RunSeed(5));
        Assert.NotEqual(RunSeed(5).Images[0].Best, RunSeed(6).Images[0].Best);
    }

    [Fact]
    public void Run_ImageAloneOrInABatch_GivesTheSameResult()
    {
        var (model, images, goals) = Problem(3);
        var options = new HopSkipJumpOptions { Norm = NormKind.LInf, Epsilon = 0.01, MaxQueries = 700, InitEvals = 20, Seed = 1 };
        AttackState together = Run(options, model, images, goals);
        AttackState alone = Run(options, model, [images[1]], [goals[1]]);

        Assert.Equal(together.Images[1].Best, alone.Images[0].Best);
        Assert.Equal(together.Images[1].Queries, alone.Images[0].Queries);
        Assert.Equal(together.Images[1].Status, alone.Images[0].Status);
    }

    [Fact]
    public void Trace_Points_CarryDistanceAndStayWithinCapacity()
    {
        var (model, images, goals) = Problem(1);
        AttackState state = Run(new HopSkipJumpOptions { Norm = NormKind.L2, Epsilon = 0.01, MaxQueries = 3000, InitEvals = 20, TraceCapacity = 8 }, model, images, goals);

        List<AttackTracePoint> trace = state.Images[0].Trace;
        Assert.InRange(trace.Count, 2, 8);
        Assert.True(trace.Zip(trace.Skip(1)).All(p => p.First.Queries < p.Second.Queries));
        Assert.All(trace, p => Assert.Equal(p.Loss - 0.01, p.Margin, 12));
        Assert.All(trace, p => Assert.NotEqual(goals[0].TrueClass, p.WinningClass));
        Assert.Equal(state.Images[0].BestLoss, trace[^1].Loss);
    }

    [Fact]
    public void Options_SavedInState_ReadBackAsHopSkipJump()
    {
        var (model, images, goals) = Problem(1);
        var options = new HopSkipJumpOptions { Norm = NormKind.L2, Epsilon = 3, MaxIterations = 9, InitEvals = 7, MaxEvals = 70, InitSize = 5, Gamma = 2.5 };

        AttackState restored = AttackStateSerializer.FromBytes(AttackStateSerializer.ToBytes(new HopSkipJumpAttack(options).Start(model, images, goals)));

        Assert.Equal(options, restored.Options);
        Assert.False(restored.Options.UsesScores);
        Assert.IsType<HopSkipJumpImageState>(restored.Images[0]);
        Assert.Equal("hopskipjump", restored.Options.Describe()["attack"]);
        Assert.Equal("2.5", restored.Options.Describe()["gamma"]);
    }

    [Fact]
    public void Step_OtherOptions_Rejected()
    {
        var (model, images, goals) = Problem(1);
        AttackState state = new HopSkipJumpAttack(new HopSkipJumpOptions()).Start(model, images, goals);
        var other = new HopSkipJumpAttack(new HopSkipJumpOptions { Seed = 9 });

        var ex = Assert.Throws<ArgumentException>(() => other.Step(state, model, StepBudget.Unlimited));
        Assert.Contains("other options", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Epsilon")]
    [InlineData("8-bit step")]
    [InlineData("MaxQueries")]
    [InlineData("MaxIterations")]
    [InlineData("InitEvals")]
    [InlineData("MaxEvals")]
    [InlineData("InitSize")]
    [InlineData("Gamma")]
    public void Constructor_BadOptions_ThrowNamingTheOption(string expected)
    {
        HopSkipJumpOptions options = expected switch
        {
            "Epsilon" => new HopSkipJumpOptions { Epsilon = 0 },
            "8-bit step" => new HopSkipJumpOptions { Epsilon = 0.001 },
            "MaxQueries" => new HopSkipJumpOptions { MaxQueries = 0 },
            "MaxIterations" => new HopSkipJumpOptions { MaxIterations = 0 },
            "InitEvals" => new HopSkipJumpOptions { InitEvals = 20_000 },
            "MaxEvals" => new HopSkipJumpOptions { MaxEvals = 0 },
            "InitSize" => new HopSkipJumpOptions { InitSize = 0 },
            _ => new HopSkipJumpOptions { Gamma = double.NaN },
        };

        var ex = Assert.Throws<ArgumentException>(() => new HopSkipJumpAttack(options));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [SharedModelFact("mobilenet_v2_1.0_224")]
    public void Run_MobileNetPhotosThroughRunner_ReportsVerifiedSuccess()
    {
        string folder = SharedModelFactAttribute.SharedModelPath("mobilenet_v2_1.0_224")!;
        ModelSpec spec = ModelPresets.MobileNetV2 with
        {
            OnnxPath = Path.Combine(folder, "model.onnx"),
            LabelsPath = Path.Combine(folder, "labels.txt"),
        };
        using var classifier = new OnnxClassifier(spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        var photos = Photos
            .Select(name => PreparedImage.Load(name, File.ReadAllBytes(RepoPaths.FromRoot(Path.Combine("..", "shared", "images", name))!), spec.Recipe))
            .ToList();
        var sut = new AttackRunner(classifier, ModelDescription.From(classifier));
        // Generous: the first boundary point (about 50 queries: a noise image, the blend search, the boundary search)
        // lies within this eps on these photos, so the run stays short on a CPU.
        var request = new AttackRequest { Attack = new HopSkipJumpOptions { Norm = NormKind.L2, Epsilon = 60, MaxQueries = 300 } };

        IReadOnlyList<ImageResult> results = sut.Run(photos, request);

        Assert.All(results, r =>
        {
            Assert.Equal("hopskipjump", r.Report.Attack.Name);
            Assert.True(r.Report.Outcome.Success, r.Report.Outcome.Message);
            Assert.True(r.Report.Adversarial!.Verified);
        });
    }

    private static float[] FindImageLabelled(LinearClassifier model, int label)
    {
        for (int seed = 1000; ; seed++)
        {
            float[] image = LinearClassifier.RandomImage(Size, seed);
            if (model.Top1(image) == label)
            {
                return image;
            }
        }
    }

    private static void AssertSameRun(AttackState expected, AttackState actual) =>
        AttackResume.AssertSameRun(expected, actual, (e, a) =>
        {
            Assert.Equal(((HopSkipJumpImageState)e).Distance, ((HopSkipJumpImageState)a).Distance);
            Assert.Equal(((HopSkipJumpImageState)e).Phase, ((HopSkipJumpImageState)a).Phase);
        });

    /// <summary>Scores that keep each row's top-1 but change everything else: a monotone transform plus noise below the top.</summary>
    private sealed class ScrambledScores(IClassifier inner) : IClassifier
    {
        private readonly Random _random = new(99);

        public int InputHeight => inner.InputHeight;

        public int InputWidth => inner.InputWidth;

        public int NumClasses => inner.NumClasses;

        public IReadOnlyList<string> Labels => inner.Labels;

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            inner.Predict(images, count, logits);
            for (int n = 0; n < count; n++)
            {
                Span<float> row = logits.Slice(n * NumClasses, NumClasses);
                int top = AttackCore.Models.LogitMath.ArgMax(row);
                float max = row[top];
                for (int k = 0; k < row.Length; k++)
                {
                    row[k] = k == top ? MathF.Exp(max / 10) + 5 : MathF.Exp(row[k] / 10) * (float)_random.NextDouble();
                }
            }
        }
    }

    /// <summary>A model that gives every image the same label.</summary>
    private sealed class ConstantClassifier(int size, int classes, int label) : IClassifier
    {
        public int InputHeight => size;

        public int InputWidth => size;

        public int NumClasses => classes;

        public IReadOnlyList<string> Labels { get; } = Enumerable.Range(0, classes).Select(i => $"class {i}").ToArray();

        public long ImagesScored { get; private set; }

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            ImagesScored += count;
            logits[..(count * classes)].Clear();
            for (int n = 0; n < count; n++)
            {
                logits[(n * classes) + label] = 1;
            }
        }
    }

    /// <summary>A clock that moves by a fixed amount at every reading.</summary>
    private sealed class SteppingClock(TimeSpan step) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks += step.Ticks;
    }
}
