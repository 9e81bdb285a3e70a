using AttackCore.Attacks;
using AttackCore.Attacks.Gfcs;
using AttackCore.Attacks.Square;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Attacks.Gfcs;

/// <summary>
/// GFCS: the attack contract on the linear model (its own surrogate), and the Fashion-MNIST pair: the bundled CNN as
/// the target, the strided CNN (models/fashion-mnist-strided) as the surrogate.
/// </summary>
public class GfcsAttackTests : AttackContractTests<GfcsOptions>, IClassFixture<GfcsAttackTests.FashionPair>
{
    private readonly FashionPair _pair;

    public GfcsAttackTests(FashionPair pair)
    {
        _pair = pair;
    }

    protected override IReadOnlyList<NormKind> Norms => [NormKind.LInf, NormKind.L2];

    /// <summary>GFCS reads gradients (of its surrogates), so a model without them is refused by name.</summary>
    protected override bool WhiteBox => true;

    protected override GfcsOptions ContractOptions(NormKind norm, ulong seed = 0) =>
        new() { Norm = norm, Epsilon = norm == NormKind.LInf ? 0.03 : 0.5, MaxQueries = 300, Seed = seed };

    [Theory]
    [InlineData(NormKind.LInf, 0.1)]
    [InlineData(NormKind.L2, 1.5)]
    public void Run_FashionMnistPair_FoolsMostSamplesWithFarFewerQueriesThanSquare(NormKind norm, double eps)
    {
        var (images, goals) = _pair.Samples();
        var target = new CountingClassifier(_pair.Target);
        var model = new SurrogateGuidedModel(target, [_pair.Surrogate]);

        AttackState gfcs = Run(new GfcsOptions { Norm = norm, Epsilon = eps, MaxQueries = 2000 }, model, images, goals);
        AttackState square = Run(new SquareAttackOptions { Norm = norm, Epsilon = eps, MaxQueries = 2000 }, _pair.Target, images, goals);

        // Measured: 8 of 12 in both norms, each within a dozen queries; on the other four the surrogate's gradients stop
        // helping far from the boundary and the ODS fallback does not get there in 2,000 queries (Square fools 11-12).
        int fooled = gfcs.Images.Count(i => i.Status == ImageAttackStatus.Succeeded);
        Assert.True(fooled >= 8, $"gfcs fooled {fooled} of 12 at {norm} {eps}");
        double gfcsMedian = MedianQueries(gfcs), squareMedian = MedianQueries(square);
        Assert.True(gfcsMedian * 3 <= squareMedian, $"gfcs median {gfcsMedian} queries, square {squareMedian}");
        Assert.Equal(target.Rows, gfcs.TotalQueries);
        Assert.All(gfcs.Images, i => Assert.True(Distance(i, norm) <= eps + 1e-6));
    }

    [Fact]
    public void Run_ThroughTheRunner_VerifiedSuccessesReportQueriesAndSurrogateGradientsApart()
    {
        string root = RepoPaths.RepoRoot!;
        string[] files = [.. Directory.GetFiles(Path.Combine(root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal).Take(6)];
        var target = (OnnxClassifier)_pair.Target;
        var images = files.Select(f => PreparedImage.Load(Path.GetFileName(f), File.ReadAllBytes(f), target.Spec)).ToList();
        var sut = new AttackRunner(target, ModelDescription.From(target), surrogates: [_pair.Surrogate]);

        IReadOnlyList<ImageResult> results = sut.Run(images, new AttackRequest { Attack = new GfcsOptions { Epsilon = 0.1, MaxQueries = 300 } });

        Assert.True(results.Count(r => r.Report.Outcome.Success) >= 3, "fewer than 3 of 6 fooled through the runner");
        Assert.All(results, r => Assert.True(r.Report.Outcome.SurrogateGradientEvaluations > 0, "no surrogate gradient evaluations reported"));
        Assert.All(results.Where(r => r.Report.Outcome.Success), r => Assert.InRange(r.Report.Outcome.Queries, 2, 300));
    }

    [Fact]
    public void Run_CountingTargetAndSurrogate_QueriesExactAndSurrogateGradientsCountedApart()
    {
        var (images, goals) = _pair.Samples();
        var target = new CountingClassifier(_pair.Target);
        var surrogate = new CountingGradients(_pair.Surrogate);
        var model = new SurrogateGuidedModel(target, [surrogate]);

        AttackState state = Run(new GfcsOptions { Epsilon = 0.05, MaxQueries = 300 }, model, images, goals);

        Assert.Equal(target.Rows, state.TotalQueries);
        Assert.Equal(surrogate.Images, state.Images.Sum(i => (long)i.GradientEvaluations));
        foreach (var image in state.Images.Cast<GfcsImageState>())
        {
            // One direction per iteration; one query for the clean image, then one or two per iteration, plus grid checks.
            Assert.Equal(image.Iterations, image.GradientEvaluations);
            Assert.InRange(image.Queries, 1 + image.Iterations + image.GridChecks, 1 + (2 * image.Iterations) + image.GridChecks);
            Assert.InRange(image.Queries, 1, 300);
        }
    }

    [Theory]
    [InlineData(NormKind.LInf, 0.05)]
    [InlineData(NormKind.L2, 1.0)]
    public void Step_FashionMnistPair_SlicedAndSaved_EqualsUncutRun(NormKind norm, double eps)
    {
        var (images, goals) = _pair.Samples(4);
        var model = new SurrogateGuidedModel(_pair.Target, [_pair.Surrogate]);
        var options = new GfcsOptions { Norm = norm, Epsilon = eps, MaxQueries = 200, Seed = 3 };
        AttackState uncut = Run(options, model, images, goals);

        (AttackState sliced, int slices) = AttackResume.RunInSavedSlices(options.CreateAttack().Start(model, images, goals), model, [1, 4, 2]);

        Assert.True(slices >= 3, $"only {slices} slices");
        AttackResume.AssertSameRun(uncut, sliced, (e, a) =>
        {
            var (ge, ga) = ((GfcsImageState)e, (GfcsImageState)a);
            Assert.Equal(ge.GradientEvaluations, ga.GradientEvaluations);
            Assert.Equal(ge.OdsIterations, ga.OdsIterations);
            Assert.Equal(ge.Pending, ga.Pending);
            Assert.Equal(ge.UsingOds, ga.UsingOds);
        });
    }

    [Fact]
    public void Run_FashionMnistPairTargeted_ReachesTheTarget()
    {
        // The target of each image: the target model's runner-up class on the clean image.
        var (images, clean) = _pair.Samples(6);
        var logits = new float[10];
        var goals = images.Select((x, i) =>
        {
            _pair.Target.Predict(x, 1, logits);
            return new AttackGoal(clean[i].TrueClass, Enumerable.Range(0, 10).Where(k => k != clean[i].TrueClass).MaxBy(k => logits[k]));
        }).ToList();
        var model = new SurrogateGuidedModel(_pair.Target, [_pair.Surrogate]);

        AttackState state = Run(new GfcsOptions { Epsilon = 0.15, MaxQueries = 1000 }, model, images, goals);

        var succeeded = state.Images.Where(i => i.Status == ImageAttackStatus.Succeeded).ToList();
        Assert.True(succeeded.Count >= 4, $"{succeeded.Count} of 6 reached their target");
        foreach (AttackImageState image in succeeded)
        {
            _pair.Target.Predict(image.Best, 1, logits);
            Assert.Equal(image.Goal.TargetClass, LogitMath.ArgMax(logits));
        }
    }

    [Fact]
    public void Step_SurrogateGradientsFail_FallsBackToOds()
    {
        // A surrogate unrelated to the target: its loss gradient rarely helps, so ODS directions are drawn.
        var (target, images, goals) = AttackResume.LinearProblem(4);
        var unrelated = new LinearClassifier(8, 10, seed: 99);
        var model = new SurrogateGuidedModel(target, [unrelated]);

        AttackState state = Run(new GfcsOptions { Epsilon = 0.05, MaxQueries = 400 }, model, images, goals);

        var runs = state.Images.Cast<GfcsImageState>().ToList();
        Assert.Contains(runs, i => i.OdsIterations > 0);
        Assert.All(runs, i => Assert.True(i.OdsIterations < i.Iterations, "the first direction at the clean image is a surrogate gradient"));
    }

    [Fact]
    public void Step_TwoSurrogates_EachTriedOnceAtAPointBeforeOdsAndAfreshAfterAnAcceptedStep()
    {
        var (target, images, goals) = AttackResume.LinearProblem(1);
        CountingGradients[] surrogates = [new(new LinearClassifier(8, 10, seed: 98)), new(new LinearClassifier(8, 10, seed: 99))];
        var model = new SurrogateGuidedModel(target, surrogates);
        IAttack sut = new GfcsOptions { Epsilon = 0.05, MaxQueries = 400 }.CreateAttack();
        AttackState state = sut.Start(model, images, goals);
        var image = (GfcsImageState)state.Images[0];

        int gradientSteps = 0, odsSteps = 0;
        while (!state.IsFinished)
        {
            int tried = image.Tried, ods = image.OdsIterations, next = tried < 2 ? image.Order[tried] : -1;
            long[] before = [.. surrogates.Select(s => s.Images)];
            sut.Step(state, model, StepBudget.Iterations(1));
            int[] called = [.. Enumerable.Range(0, 2).Where(k => surrogates[k].Images > before[k])];
            Assert.Single(called);
            if (next >= 0)
            {
                // A surrogate not yet tried at this point: its margin gradient, not ODS.
                Assert.Equal(next, called[0]);
                Assert.Equal(ods, image.OdsIterations);
                gradientSteps++;
            }
            else
            {
                Assert.Equal(ods + 1, image.OdsIterations);
                odsSteps++;
            }
        }

        Assert.True(gradientSteps >= 2 && odsSteps >= 1, $"{gradientSteps} gradient and {odsSteps} ODS iterations");
    }

    [Fact]
    public void Step_ResumedWithOtherSurrogates_ThrowsSayingHowMany()
    {
        var (target, images, goals) = AttackResume.LinearProblem(2);
        IAttack sut = ContractOptions(NormKind.LInf).CreateAttack();
        AttackState state = sut.Start(new SurrogateGuidedModel(target, [target]), images, goals);

        var ex = Assert.Throws<ArgumentException>(() => sut.Step(state, new SurrogateGuidedModel(target, [target, target]), StepBudget.Iterations(1)));

        Assert.Contains("started with 1 surrogates and is resumed with 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_TargetWithoutSurrogates_ThrowsNamingTheSurrogateOption()
    {
        var (target, images, goals) = AttackResume.LinearProblem(1);

        var ex = Assert.Throws<ArgumentException>(() => new GfcsAttack(new GfcsOptions()).Start(new LabelOnlyClassifier(target), images, goals));

        Assert.Contains("--surrogate", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(NormKind.L2, 5.0, null, 2.0)]
    [InlineData(NormKind.L2, 1.0, null, 1.0)]
    [InlineData(NormKind.LInf, 0.05, null, 0.025)]
    [InlineData(NormKind.LInf, 0.05, 0.01, 0.01)]
    public void EffectiveStepSize_Default_FollowsNormAndEps(NormKind norm, double eps, double? step, double expected)
    {
        var sut = new GfcsOptions { Norm = norm, Epsilon = eps, StepSize = step };

        Assert.Equal(expected, sut.EffectiveStepSize, 12);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.11)]
    [InlineData(double.NaN)]
    public void Constructor_BadStepSize_ThrowsNamingIt(double step)
    {
        var ex = Assert.Throws<ArgumentException>(() => new GfcsAttack(new GfcsOptions { Epsilon = 0.05, StepSize = step }));

        Assert.Contains("StepSize", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Spec_SetsStepSizeAndUsesSurrogates()
    {
        AttackOptions sut = AttackCatalog.Parse("gfcs:stepSize=0.5", new CommonAttackSettings(NormKind.L2, 2.0));

        var gfcs = Assert.IsType<GfcsOptions>(sut);
        Assert.Equal(0.5, gfcs.StepSize);
        Assert.True(sut.UsesSurrogates);
        AttackDescription description = AttackDescriptions.Describe("gfcs");
        Assert.Contains("surrogate", description.Needs, StringComparison.Ordinal);
        Assert.Equal(["stepSize", "norm", "epsilon", "maxQueries", "seed", "traceCapacity"], description.Options.Select(o => o.Name));
    }

    private static AttackState Run(AttackOptions options, IClassifier model, List<float[]> images, List<AttackGoal> goals)
    {
        IAttack sut = options.CreateAttack();
        return sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);
    }

    private static double MedianQueries(AttackState state)
    {
        var queries = state.Images.Where(i => i.Status == ImageAttackStatus.Succeeded).Select(i => (double)i.Queries).Order().ToList();
        Assert.NotEmpty(queries);
        int n = queries.Count;
        return n % 2 == 1 ? queries[n / 2] : (queries[(n / 2) - 1] + queries[n / 2]) / 2;
    }

    /// <summary>The bundled Fashion-MNIST CNN (target) and the strided CNN (surrogate), loaded once for the class, and the 12 sample images.</summary>
    public sealed class FashionPair : IDisposable
    {
        private readonly TempFolder _cache = new();

        public FashionPair()
        {
            string root = RepoPaths.RepoRoot ?? throw new InvalidOperationException("Run the tests from a checkout: Serverless.sln was not found above the test folder.");
            var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
            TargetModel = new OnnxClassifier(ModelSpecLoader.Load(Path.Combine(root, "models", "fashion-mnist-cnn", "model.json")), cpu);
            Surrogate = new OnnxGradientModel(ModelSpecLoader.Load(Path.Combine(root, "models", "fashion-mnist-strided", "model.json")), cpu, _cache.Path);
            Files = [.. Directory.GetFiles(Path.Combine(root, "samples", "fashion-mnist"), "*.png").Order(StringComparer.Ordinal)];
        }

        public IClassifier Target => TargetModel;

        public OnnxGradientModel Surrogate { get; }

        private OnnxClassifier TargetModel { get; }

        private string[] Files { get; }

        /// <summary>The first <paramref name="count"/> samples and their clean top-1 as untargeted goals.</summary>
        public (List<float[]> Images, List<AttackGoal> Goals) Samples(int count = 12)
        {
            var images = Files.Take(count).Select(f => PreparedImage.Load(Path.GetFileName(f), File.ReadAllBytes(f), TargetModel.Spec).Clean).ToList();
            var logits = new float[10];
            var goals = images.Select(x =>
            {
                TargetModel.Predict(x, 1, logits);
                return new AttackGoal(LogitMath.ArgMax(logits));
            }).ToList();
            return (images, goals);
        }

        public void Dispose()
        {
            TargetModel.Dispose();
            Surrogate.Dispose();
            _cache.Dispose();
        }
    }

    /// <summary>A target that counts every image row it scores.</summary>
    private sealed class CountingClassifier(IClassifier inner) : IClassifier
    {
        public long Rows { get; private set; }

        public int InputHeight => inner.InputHeight;

        public int InputWidth => inner.InputWidth;

        public int Channels => inner.Channels;

        public int NumClasses => inner.NumClasses;

        public IReadOnlyList<string> Labels => inner.Labels;

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            Rows += count;
            inner.Predict(images, count, logits);
        }
    }

    /// <summary>A surrogate that counts the images whose gradients it computes.</summary>
    private sealed class CountingGradients(IGradientModel inner) : IGradientModel
    {
        public long Images { get; private set; }

        public int InputHeight => inner.InputHeight;

        public int InputWidth => inner.InputWidth;

        public int Channels => inner.Channels;

        public int NumClasses => inner.NumClasses;

        public IReadOnlyList<string> Labels => inner.Labels;

        public IReadOnlyList<GradientLoss> SupportedLosses => inner.SupportedLosses;

        public void ComputeGradients(ReadOnlySpan<float> images, int count, GradientLoss loss, ReadOnlySpan<int> labels, ReadOnlySpan<int> targets, Span<float> logits, Span<float> losses, Span<float> gradients)
        {
            Images += count;
            inner.ComputeGradients(images, count, loss, labels, targets, logits, losses, gradients);
        }

        public void ComputeLogitGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<float> weights, Span<float> logits, Span<float> losses, Span<float> gradients)
        {
            Images += count;
            inner.ComputeLogitGradients(images, count, weights, logits, losses, gradients);
        }
    }
}
