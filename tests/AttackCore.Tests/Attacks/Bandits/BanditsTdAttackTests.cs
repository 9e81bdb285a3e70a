using System.Text.Json;
using AttackCore.Attacks;
using AttackCore.Attacks.Bandits;
using AttackCore.Engine;
using AttackCore.Models;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Attacks.Bandits;

public class BanditsTdAttackTests : AttackContractTests<BanditsTdOptions>
{
    protected override IReadOnlyList<NormKind> Norms => [NormKind.LInf, NormKind.L2];

    protected override BanditsTdOptions ContractOptions(NormKind norm, ulong seed = 0) =>
        new() { Norm = norm, Epsilon = norm == NormKind.LInf ? 0.1 : 2.0, MaxQueries = 900, TileSize = 1, Seed = seed };

    private const int Size = 8;
    private static readonly string[] FastPhotos = ["kite_and_cold.png", "owl.png"];

    private static (LinearClassifier Model, List<float[]> Images, List<AttackGoal> Goals) Problem(int count, int classes = 10) =>
        AttackResume.LinearProblem(count, Size, classes);

    [Theory]
    [InlineData(NormKind.LInf, 0.03)]
    [InlineData(NormKind.L2, 0.5)]
    public void Step_EveryIteration_KeepsBestOnGridInBallAndRange(NormKind norm, double eps)
    {
        var (model, images, goals) = Problem(4);
        var sut = new BanditsTdAttack(new BanditsTdOptions { Norm = norm, Epsilon = eps, MaxQueries = 150, TileSize = 2 });
        AttackState state = sut.Start(model, images, goals);
        while (!state.IsFinished)
        {
            sut.Step(state, model, StepBudget.Iterations(1));
            foreach (BanditsImageState image in state.Images.Cast<BanditsImageState>())
            {
                AssertWithin(image.Clean, image.Best, norm, eps);
                AssertWithin(image.Clean, image.Iterate, norm, eps);
                Assert.All(image.Best, v => Assert.Equal(PixelGrid.Snap(v), v));
                Assert.All(image.Prior, v => Assert.True(float.IsFinite(v)));
            }
        }
    }

    [Theory]
    [InlineData(NormKind.LInf, 0.05)]
    [InlineData(NormKind.L2, 1.0)]
    public void Run_QueriesCounted_EqualModelCalls(NormKind norm, double eps)
    {
        var (model, images, goals) = Problem(6);
        var sut = new BanditsTdAttack(new BanditsTdOptions { Norm = norm, Epsilon = eps, MaxQueries = 200, TileSize = 2 });
        long before = model.ImagesScored;
        AttackState state = sut.Start(model, images, goals);
        Assert.Equal(0, model.ImagesScored - before);
        Assert.All(state.Images, i => Assert.Equal(0, i.Queries));
        sut.Step(state, model, StepBudget.Unlimited);

        Assert.True(state.IsFinished);
        Assert.Equal(model.ImagesScored - before, state.TotalQueries);
        Assert.All(state.Images, i => Assert.Equal(BanditsTdAttack.QueriesPerIteration * i.Iterations, i.Queries));
        Assert.All(state.Images, i => Assert.InRange(i.Queries, 3, 200));
        Assert.All(state.Images.Where(i => i.Status == ImageAttackStatus.Exhausted), i => Assert.Equal(198, i.Queries));
    }

    [Fact]
    public void Step_RunningImageWithoutRoomForAnIteration_ExhaustedWithoutQuery()
    {
        // The engine sends an image back to Running after a failed PNG verification while Queries < MaxQueries.
        var (model, images, goals) = Problem(1);
        var sut = new BanditsTdAttack(new BanditsTdOptions { Epsilon = 0.02, MaxQueries = 100 });
        AttackState state = sut.Start(model, images, goals);
        state.Images[0].Queries = 98;
        long before = model.ImagesScored;

        sut.Step(state, model, StepBudget.Unlimited);

        Assert.Equal(ImageAttackStatus.Exhausted, state.Images[0].Status);
        Assert.Equal(98, state.Images[0].Queries);
        Assert.Equal(before, model.ImagesScored);
    }

    [Fact]
    public void Run_Batched_TwoModelCallsPerIteration()
    {
        var (model, images, goals) = Problem(5);
        var sut = new BanditsTdAttack(new BanditsTdOptions { Epsilon = 1.0 / 255, MaxQueries = 60 });
        long before = model.Calls;
        AttackState state = sut.Start(model, images, goals);
        sut.Step(state, model, StepBudget.Iterations(10));

        Assert.All(state.Images, i => Assert.Equal(ImageAttackStatus.Running, i.Status));
        Assert.Equal(20, model.Calls - before);
        Assert.Equal(10, model.MaxBatchSeen);
    }

    [Theory]
    [InlineData(NormKind.LInf, 0.1)]
    [InlineData(NormKind.L2, 2.0)]
    public void Run_Untargeted_FoolsTheLinearModel(NormKind norm, double eps)
    {
        var (model, images, goals) = Problem(6);
        var sut = new BanditsTdAttack(new BanditsTdOptions { Norm = norm, Epsilon = eps, MaxQueries = 3000, TileSize = 1 });
        AttackState state = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);

        for (int i = 0; i < images.Count; i++)
        {
            Assert.Equal(ImageAttackStatus.Succeeded, state.Images[i].Status);
            Assert.NotEqual(goals[i].TrueClass, model.Top1(state.Images[i].Best));
            Assert.True(state.Images[i].BestMargin <= 0);
        }
    }

    [Fact]
    public void Run_Targeted_ReachesTheTarget()
    {
        var (model, images, goals) = Problem(3);
        var targeted = goals.Select(g => g with { TargetClass = (g.TrueClass + 3) % 10 }).ToList();
        var sut = new BanditsTdAttack(new BanditsTdOptions { Epsilon = 0.2, MaxQueries = 3000, TileSize = 1 });
        AttackState state = sut.Step(sut.Start(model, images, targeted), model, StepBudget.Unlimited);

        for (int i = 0; i < images.Count; i++)
        {
            Assert.Equal(ImageAttackStatus.Succeeded, state.Images[i].Status);
            Assert.Equal(targeted[i].TargetClass, model.Top1(state.Images[i].Best));
        }
    }

    [Theory]
    [InlineData(NormKind.LInf, 0.01)]
    [InlineData(NormKind.L2, 0.2)]
    public void Step_LinearModel_PriorAlignsWithTheTrueGradient(NormKind norm, double eps)
    {
        // Per-pixel prior on a linear model: after some iterations the prior points up the true cross-entropy's
        // gradient, sum_k softmax_k W_k - W_y, far better than a random direction would (cosine about 0 +- 0.07).
        var (model, images, goals) = Problem(1);
        var sut = new BanditsTdAttack(new BanditsTdOptions { Norm = norm, Epsilon = eps, MaxQueries = 600, TileSize = 1, Seed = 2 });
        AttackState state = sut.Step(sut.Start(model, images, goals), model, StepBudget.Iterations(150));
        var image = (BanditsImageState)state.Images[0];
        Assert.Equal(ImageAttackStatus.Running, image.Status);

        double[] gradient = CrossEntropyGradient(model, image.Iterate, goals[0].TrueClass);
        double dot = 0, a = 0, b = 0;
        for (int i = 0; i < gradient.Length; i++)
        {
            dot += gradient[i] * image.Prior[i];
            a += gradient[i] * gradient[i];
            b += image.Prior[i] * (double)image.Prior[i];
        }

        Assert.True(dot / Math.Sqrt(a * b) > 0.3, $"cosine {dot / Math.Sqrt(a * b)}");
    }

    [Theory]
    [InlineData(NormKind.LInf, 0.02)]
    [InlineData(NormKind.L2, 0.4)]
    public void Step_SlicedAndSerialized_EqualsUncutRun(NormKind norm, double eps)
    {
        var options = new BanditsTdOptions { Norm = norm, Epsilon = eps, MaxQueries = 240, Seed = 3, TileSize = 3 };
        var (model, images, goals) = Problem(4);
        var uncutAttack = new BanditsTdAttack(options);
        AttackState uncut = uncutAttack.Start(model, images, goals);
        uncutAttack.Step(uncut, model, StepBudget.Unlimited);

        (AttackState resumed, int slices) = AttackResume.RunInSavedSlices(new BanditsTdAttack(options).Start(model, images, goals), model, [1, 7, 2, 31, 5]);
        AssertSameRun(uncut, resumed);

        Assert.True(slices > 5);
    }

    [Fact]
    public void Step_QueryBudgetSlices_EqualUncutRun()
    {
        var options = new BanditsTdOptions { Epsilon = 0.02, MaxQueries = 300, Seed = 11, TileSize = 2 };
        var (model, images, goals) = Problem(3);
        var sut = new BanditsTdAttack(options);
        AttackState uncut = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);

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
        var options = new BanditsTdOptions { Norm = NormKind.L2, Epsilon = 0.3, MaxQueries = 150, Seed = 4, TileSize = 2 };
        var (model, images, goals) = Problem(2);
        var uncutAttack = new BanditsTdAttack(options);
        AttackState uncut = uncutAttack.Step(uncutAttack.Start(model, images, goals), model, StepBudget.Unlimited);

        // Every reading of the clock advances it by one second, so a 2.5 s slice runs a few iterations.
        var sut = new BanditsTdAttack(options, timeProvider: new SteppingClock());
        AttackState sliced = sut.Start(model, images, goals);
        int slices = 0;
        while (!sliced.IsFinished)
        {
            int before = sliced.Images.Max(i => i.Iterations);
            sut.Step(sliced, model, new StepBudget(MaxDuration: TimeSpan.FromSeconds(2.5)));
            Assert.InRange(sliced.Images.Max(i => i.Iterations) - before, 1, 3);
            slices++;
        }

        Assert.True(slices > 3);
        AssertSameRun(uncut, sliced);
    }

    [Fact]
    public void Start_SameSeed_SameResult_OtherSeed_Differs()
    {
        var (model, images, goals) = Problem(2);
        AttackState Run(ulong seed)
        {
            var sut = new BanditsTdAttack(new BanditsTdOptions { Epsilon = 0.02, MaxQueries = 90, Seed = seed, TileSize = 2 });
            return sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);
        }

        AssertSameRun(Run(5), Run(5));
        Assert.NotEqual(((BanditsImageState)Run(5).Images[0]).Prior, ((BanditsImageState)Run(6).Images[0]).Prior);
    }

    [Fact]
    public void Run_ImageAloneOrInABatch_GivesTheSameResult()
    {
        var (model, images, goals) = Problem(3);
        var sut = new BanditsTdAttack(new BanditsTdOptions { Epsilon = 0.02, MaxQueries = 150, Seed = 1, TileSize = 2 });
        AttackState together = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);
        AttackState alone = sut.Step(sut.Start(model, [images[1]], [goals[1]]), model, StepBudget.Unlimited);

        Assert.Equal(together.Images[1].Best, alone.Images[0].Best);
        Assert.Equal(together.Images[1].Queries, alone.Images[0].Queries);
        Assert.Equal(((BanditsImageState)together.Images[1]).Prior, ((BanditsImageState)alone.Images[0]).Prior);
    }

    [Fact]
    public void Trace_EveryIteration_RecordedWithinCapacity()
    {
        var (model, images, goals) = Problem(1, classes: 2);
        var sut = new BanditsTdAttack(new BanditsTdOptions { Epsilon = 1.0 / 255, MaxQueries = 300, TraceCapacity = 8 });
        AttackState state = sut.Step(sut.Start(model, images, goals), model, StepBudget.Iterations(5));

        List<AttackTracePoint> trace = state.Images[0].Trace;
        Assert.Equal([3, 6, 9, 12, 15], trace.Select(p => p.Queries));
        Assert.Equal(state.Images[0].BestLoss, trace[^1].Loss);

        sut.Step(state, model, StepBudget.Unlimited);
        Assert.InRange(state.Images[0].Trace.Count, 2, 8);
        Assert.Equal(3, state.Images[0].Trace[0].Queries);
    }

    [Fact]
    public void Step_OtherOptions_Rejected()
    {
        var (model, images, goals) = Problem(1);
        AttackState state = new BanditsTdAttack(new BanditsTdOptions()).Start(model, images, goals);
        var other = new BanditsTdAttack(new BanditsTdOptions { Seed = 9 });

        var ex = Assert.Throws<ArgumentException>(() => other.Step(state, model, StepBudget.Unlimited));
        Assert.Contains("other options", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0, 10, null, null, "Epsilon")]
    [InlineData(0.001, 10, null, null, "8-bit step")]
    [InlineData(0.05, 2, null, null, "MaxQueries")]
    [InlineData(0.05, 10, -1.0, null, "FdEta")]
    [InlineData(0.05, 10, double.NaN, null, "FdEta")]
    [InlineData(0.05, 10, null, 0, "TileSize")]
    public void Constructor_BadOptions_ThrowNamingTheOption(double eps, int maxQueries, double? fdEta, int? tileSize, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => new BanditsTdAttack(new BanditsTdOptions { Epsilon = eps, MaxQueries = maxQueries, FdEta = fdEta, TileSize = tileSize }));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(BanditsTdOptions.ImageLr))]
    [InlineData(nameof(BanditsTdOptions.OnlineLr))]
    [InlineData(nameof(BanditsTdOptions.Exploration))]
    public void Constructor_NonPositiveStep_ThrowsNamingIt(string name)
    {
        var options = name switch
        {
            nameof(BanditsTdOptions.ImageLr) => new BanditsTdOptions { ImageLr = 0 },
            nameof(BanditsTdOptions.OnlineLr) => new BanditsTdOptions { OnlineLr = -5 },
            _ => new BanditsTdOptions { Exploration = double.PositiveInfinity },
        };

        var ex = Assert.Throws<ArgumentException>(() => new BanditsTdAttack(options));
        Assert.Equal(name, ex.ParamName);
    }

    [Theory]
    [InlineData(NormKind.LInf, "0.1", "0.01", "100", "1")]
    [InlineData(NormKind.L2, "0.01", "0.5", "0.1", "0.01")]
    public void Describe_Defaults_AreTheReferenceImageNetConfig(NormKind norm, string fdEta, string imageLr, string onlineLr, string exploration)
    {
        IReadOnlyDictionary<string, string> sut = new BanditsTdOptions { Norm = norm }.Describe();

        Assert.Equal("bandits-td", sut["attack"]);
        Assert.Equal(fdEta, sut["fdEta"]);
        Assert.Equal(imageLr, sut["imageLr"]);
        Assert.Equal(onlineLr, sut["onlineLr"]);
        Assert.Equal(exploration, sut["exploration"]);
        Assert.Equal("6", sut["tileSize"]);
    }

    [Fact]
    public void Options_AsJson_ReadBackAsBanditsOptions()
    {
        AttackOptions sut = new BanditsTdOptions { Norm = NormKind.L2, Epsilon = 5, OnlineLr = 0.2, TileSize = 4 };
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        string text = JsonSerializer.Serialize(sut, json);
        AttackOptions? back = JsonSerializer.Deserialize<AttackOptions>(text, json);

        Assert.Contains("\"attack\":\"bandits-td\"", text, StringComparison.Ordinal);
        Assert.Equal(sut, back);
    }

    [Theory]
    [InlineData(224, 224, 6, 38, 38)]
    [InlineData(299, 299, 6, 50, 50)]
    [InlineData(8, 5, 1, 8, 5)]
    public void PriorGrid_ImageSize_CoversEveryPixel(int height, int width, int tile, int rows, int cols)
    {
        Assert.Equal((rows, cols), BanditsTdAttack.PriorGrid(height, width, tile));
    }

    [Fact]
    public void Loss_Untargeted_IsMinusTrueCrossEntropy_Targeted_IsTargetCrossEntropy()
    {
        float[] logits = [2f, 1f, -1f];
        double logSum = Math.Log(Math.Exp(2) + Math.Exp(1) + Math.Exp(-1));

        LossValue untargeted = CrossEntropyLoss.Instance.Evaluate(logits, new AttackGoal(0));
        LossValue targeted = CrossEntropyLoss.Instance.Evaluate(logits, new AttackGoal(0, 2));

        Assert.Equal(2 - logSum, untargeted.Loss, 9);
        Assert.Equal(1, untargeted.Margin, 9);
        Assert.Equal(logSum + 1, targeted.Loss, 9);
        Assert.Equal(3, targeted.Margin, 9);
    }

    [Fact]
    public void GaussianNoise_ManyDraws_HaveUnitMomentsAndResume()
    {
        var random = new SeededRandom(42);
        var values = new double[20_001];
        GaussianNoise.Fill(random, values);

        Assert.InRange(values.Average(), -0.03, 0.03);
        Assert.InRange(values.Average(v => v * v), 0.96, 1.04);
        Assert.InRange(values.Count(v => Math.Abs(v) < 1) / (double)values.Length, 0.67, 0.70);

        // The draws continue exactly from a saved stream state.
        var restored = SeededRandom.FromState(random.GetState());
        double[] next = new double[5], again = new double[5];
        GaussianNoise.Fill(random, next);
        GaussianNoise.Fill(restored, again);
        Assert.Equal(next, again);
    }

    /// <summary>
    /// The real MobileNet V2 through the whole engine on two photos (L-inf 0.05, the ones the attack fools fastest in
    /// the measurement): the run ends in verified successes reported under the attack's name.
    /// </summary>
    [SharedModelFact("mobilenet_v2_1.0_224")]
    public void Run_MobileNetV2Photos_VerifiedSuccess()
    {
        string folder = SharedModelFactAttribute.SharedModelPath("mobilenet_v2_1.0_224")!;
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
        using var classifier = new OnnxClassifier(spec, new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        string photos = Path.GetDirectoryName(RepoPaths.FromRoot(Path.Combine("..", "shared", "images", "cat.png"))!)!;
        var images = FastPhotos
            .Select(f => PreparedImage.Load(f, File.ReadAllBytes(Path.Combine(photos, f)), spec.Recipe))
            .ToList();
        var sut = new AttackRunner(classifier, ModelDescription.From(classifier));

        IReadOnlyList<ImageResult> results = sut.Run(images, new AttackRequest { Attack = new BanditsTdOptions { Epsilon = 0.05, MaxQueries = 300 }, Minimize = false });

        Assert.All(results, r =>
        {
            Assert.True(r.Report.Outcome.Success, r.Report.Outcome.Message);
            Assert.True(r.Report.Adversarial!.Verified);
            Assert.Equal(BanditsTdOptions.Name, r.Report.Attack.Name);
            Assert.Equal(0, r.Report.Outcome.Queries % BanditsTdAttack.QueriesPerIteration);
        });
    }

    private static double[] CrossEntropyGradient(LinearClassifier model, float[] x, int trueClass)
    {
        // d CE_y / dx = sum_k softmax_k W_k - W_y; the weights are read back by probing unit images (the model is linear).
        int length = x.Length, classes = model.NumClasses;
        var logits = new float[classes];
        model.Predict(x, 1, logits);
        double logSum = AttackCore.Models.LogitMath.LogSumExp(logits);
        var zero = new float[classes];
        model.Predict(new float[length], 1, zero);
        var gradient = new double[length];
        var unit = new float[length];
        var column = new float[classes];
        for (int i = 0; i < length; i++)
        {
            unit[i] = 1;
            model.Predict(unit, 1, column);
            unit[i] = 0;
            for (int k = 0; k < classes; k++)
            {
                double weight = column[k] - zero[k];
                gradient[i] += (Math.Exp(logits[k] - logSum) - (k == trueClass ? 1 : 0)) * weight;
            }
        }

        return gradient;
    }

    private static void AssertWithin(float[] clean, float[] image, NormKind norm, double eps)
    {
        double sumSquares = 0, max = 0;
        for (int k = 0; k < image.Length; k++)
        {
            Assert.InRange(image[k], 0f, 1f);
            double d = Math.Abs(image[k] - (double)clean[k]);
            max = Math.Max(max, d);
            sumSquares += d * d;
        }

        double measured = norm == NormKind.LInf ? max : Math.Sqrt(sumSquares);
        Assert.True(measured <= eps + 1e-6, $"norm {measured} exceeds eps {eps}");
    }

    private static void AssertSameRun(AttackState expected, AttackState actual) =>
        AttackResume.AssertSameRun(expected, actual, (e, a) =>
        {
            Assert.Equal(((BanditsImageState)e).Iterate, ((BanditsImageState)a).Iterate);
            Assert.Equal(((BanditsImageState)e).Prior, ((BanditsImageState)a).Prior);
        });

    /// <summary>A clock that moves one second forward every time it is read.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks += TimeSpan.TicksPerSecond;
    }
}
