using AttackCore.Attacks;
using AttackCore.Attacks.Transfer;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Attacks.Transfer;

public class TransferAttackTests : AttackContractTests<TransferOptions>
{
    protected override IReadOnlyList<NormKind> Norms => [NormKind.LInf, NormKind.L2];

    /// <summary>Gets <see langword="true"/>: the attack spends gradient evaluations (its surrogates'), so the contract counts them.</summary>
    protected override bool WhiteBox => true;

    /// <summary>Twenty iterations, so that the contract's query- and time-bounded slices cut the run several times.</summary>
    protected override TransferOptions ContractOptions(NormKind norm, ulong seed = 0) =>
        new() { Norm = norm, Epsilon = norm == NormKind.LInf ? 0.1 : 2.0, Iterations = 20, Seed = seed };

    [Theory]
    [InlineData(NormKind.LInf)]
    [InlineData(NormKind.L2)]
    public void Run_OtherSurrogates_TargetQueriedOncePerImageAndSurrogateEvaluationsCountedApart(NormKind norm)
    {
        var (target, images, goals) = AttackResume.LinearProblem(4);
        var first = new LinearClassifier(8, 10, seed: 8);
        var second = new LinearClassifier(8, 10, seed: 9);
        var model = new SurrogateGuidedModel(target, [first, second]);
        var sut = new TransferAttack(ContractOptions(norm) with { Iterations = 3 });
        long before = target.ImagesScored;

        AttackState state = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);

        Assert.Equal(4, target.ImagesScored - before);
        Assert.Equal(0, target.GradientImages);
        Assert.Equal(4 * 3, first.GradientImages);
        Assert.Equal(4 * 3, second.GradientImages);
        Assert.Equal(0, first.ImagesScored + second.ImagesScored);
        Assert.All(state.Images, i => Assert.Equal(1, i.Queries));
        Assert.All(state.Images, i => Assert.Equal(2 * 3, i.GradientEvaluations));
        Assert.All(state.Images, i => Assert.NotEqual(ImageAttackStatus.Running, i.Status));
    }

    [Fact]
    public void Step_MomentumIterations_FollowMiFgsm()
    {
        var (model, images, goals) = AttackResume.LinearProblem(1);
        var options = new TransferOptions { Epsilon = 0.05, Iterations = 4, Momentum = 0.7 };
        var sut = new TransferAttack(options);
        AttackState state = sut.Start(model, images, goals);
        var image = (TransferImageState)state.Images[0];
        float[] clean = images[0], point = (float[])clean.Clone(), momentum = new float[clean.Length];
        float[] logits = new float[10], loss = new float[1], gradient = new float[clean.Length];
        double alpha = 0.05 / 4;

        for (int t = 0; t < 3; t++)
        {
            model.ComputeGradients(point, 1, GradientLoss.CrossEntropy, [goals[0].TrueClass], [], logits, loss, gradient);
            double l1 = gradient.Sum(g => Math.Abs((double)g));
            for (int v = 0; v < clean.Length; v++)
            {
                momentum[v] = (float)((0.7 * momentum[v]) + (gradient[v] / l1));
                point[v] = (float)Math.Clamp(point[v] + (alpha * Math.Sign(momentum[v])), Math.Max(0, clean[v] - 0.05), Math.Min(1, clean[v] + 0.05));
            }

            sut.Step(state, model, StepBudget.Iterations(1));

            Assert.Equal(t + 1, image.Iterations);
            Assert.Equal(momentum, image.Momentum, (a, b) => Math.Abs(a - b) <= 1e-6f * Math.Max(1e-3f, Math.Abs(a)));
            Assert.Equal(point, image.Point, (a, b) => Math.Abs(a - b) <= 1e-6f);
            Assert.Equal(0, image.Queries);
            Assert.Equal(ImageAttackStatus.Running, image.Status);
        }

        sut.Step(state, model, StepBudget.Iterations(1));

        Assert.Equal(1, image.Queries);
        Assert.NotEqual(ImageAttackStatus.Running, image.Status);
        Assert.All(image.Best, v => Assert.Equal(PixelGrid.Snap(v), v));
    }

    [Fact]
    public void Step_L2_StepsAlongTheUnitMomentumInsideTheBall()
    {
        var (model, images, goals) = AttackResume.LinearProblem(1);
        var sut = new TransferAttack(new TransferOptions { Norm = NormKind.L2, Epsilon = 0.5, Iterations = 5 });
        AttackState state = sut.Start(model, images, goals);
        var image = (TransferImageState)state.Images[0];

        sut.Step(state, model, StepBudget.Iterations(1));

        double moved = Math.Sqrt(image.Point.Select((v, i) => Math.Pow(v - images[0][i], 2)).Sum());
        Assert.True(moved <= 0.1 + 1e-6, $"the first L2 step moved {moved}, more than alpha = eps / T = 0.1");
        Assert.True(moved > 0.05, $"the first L2 step moved only {moved}");
    }

    [Fact]
    public void Run_DiversityAndTranslation_SameSeedSameRunOtherSeedDiffers()
    {
        var (model, images, goals) = AttackResume.LinearProblem(2, size: 16);
        TransferOptions Options(ulong seed) => new() { Epsilon = 0.03, Iterations = 4, InputDiversity = true, DiversityProbability = 1, TranslationInvariance = true, KernelSize = 5, Seed = seed };

        AttackState a = Run(Options(3), model, images, goals);
        AttackState b = Run(Options(3), model, images, goals);
        AttackState c = Run(Options(4), model, images, goals);

        AttackResume.AssertSameRun(a, b, (x, y) => Assert.Equal(((TransferImageState)x).Momentum, ((TransferImageState)y).Momentum));
        Assert.NotEqual(((TransferImageState)a.Images[0]).Momentum, ((TransferImageState)c.Images[0]).Momentum);
    }

    [Fact]
    public void Run_InputDiversity_GradientsTakenAtTransformedImagesChangeTheRun()
    {
        var (model, images, goals) = AttackResume.LinearProblem(1, size: 16);
        var plain = new TransferOptions { Epsilon = 0.03, Iterations = 3, Loss = GradientLoss.Margin };

        // The linear model's margin gradient is W^T of two classes, the same at every point: only the transform's
        // transpose can change it.
        AttackState without = Run(plain, model, images, goals);
        AttackState always = Run(plain with { InputDiversity = true, DiversityProbability = 1 }, model, images, goals);
        AttackState never = Run(plain with { InputDiversity = true, DiversityProbability = 0 }, model, images, goals);

        Assert.Equal(((TransferImageState)without.Images[0]).Momentum, ((TransferImageState)never.Images[0]).Momentum);
        Assert.NotEqual(((TransferImageState)without.Images[0]).Momentum, ((TransferImageState)always.Images[0]).Momentum);
    }

    [Fact]
    public void Run_Targeted_ClimbsTheTargetOnTheSurrogate()
    {
        var (model, images, _) = AttackResume.LinearProblem(4);
        var goals = images.Select(x => new AttackGoal(model.Top1(x), (model.Top1(x) + 1) % 10)).ToList();

        AttackState state = Run(new TransferOptions { Epsilon = 0.2, Iterations = 10 }, model, images, goals);

        var logits = new float[10];
        var fooled = state.Images.Where(i => i.Status == ImageAttackStatus.Succeeded).ToList();
        Assert.NotEmpty(fooled);
        foreach (AttackImageState image in fooled)
        {
            model.Predict(image.Best, 1, logits);
            Assert.Equal(image.Goal.TargetClass, logits.AsSpan().IndexOf(logits.Max()));
        }
    }

    [Fact]
    public void Start_ModelWithoutSurrogates_ThrowsSayingHowToNameOne()
    {
        var (model, images, goals) = AttackResume.LinearProblem(1);

        var ex = Assert.Throws<ArgumentException>(() => new TransferAttack(new TransferOptions()).Start(new SurrogateGuidedModel(model, []), images, goals));

        Assert.Contains("--surrogate", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Start_SurrogateOnAnotherGrid_ThrowsNamingBothSizes()
    {
        var (model, images, goals) = AttackResume.LinearProblem(1);

        var ex = Assert.Throws<ArgumentException>(() => new TransferAttack(new TransferOptions()).Start(new SurrogateGuidedModel(model, [new LinearClassifier(6, 10, 1)]), images, goals));

        Assert.Contains("3x6x6", ex.Message, StringComparison.Ordinal);
        Assert.Contains("3x8x8", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Iterations")]
    [InlineData("Momentum")]
    [InlineData("DiversityProbability")]
    [InlineData("DiversityScale")]
    [InlineData("KernelSize")]
    [InlineData("KernelSigma")]
    [InlineData("StepSize")]
    public void Create_BadOption_ThrowsNamingIt(string option)
    {
        var good = new TransferOptions();
        TransferOptions bad = option switch
        {
            "Iterations" => good with { Iterations = 0 },
            "Momentum" => good with { Momentum = -1 },
            "DiversityProbability" => good with { DiversityProbability = 1.5 },
            "DiversityScale" => good with { DiversityScale = 1 },
            "KernelSize" => good with { KernelSize = 8 },
            "KernelSigma" => good with { KernelSigma = 0 },
            _ => good with { StepSize = -0.1 },
        };

        var ex = Assert.Throws<ArgumentException>(() => bad.CreateAttack());

        Assert.Contains(option, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Spec_SetsTheOptionsAndDescribesThem()
    {
        var options = (TransferOptions)AttackCatalog.Parse("transfer:inputDiversity=true,translationInvariance=true,kernelSize=9,iterations=20", new CommonAttackSettings(Epsilon: 4 / 255.0));

        Assert.True(options.InputDiversity);
        Assert.True(options.TranslationInvariance);
        Assert.Equal(9, options.KernelSize);
        Assert.Equal(20, options.Iterations);
        Assert.True(options.UsesSurrogates);
        Assert.False(options.UsesGradients);
        IReadOnlyDictionary<string, string> described = options.Describe();
        Assert.Equal("true", described["inputDiversity"]);
        Assert.Equal((4 / 255.0 / 20).ToString("R", System.Globalization.CultureInfo.InvariantCulture), described["stepSize"]);
        Assert.Equal((8 / 6.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture), described["kernelSigma"]);
    }

    private static AttackState Run(TransferOptions options, IClassifier model, List<float[]> images, List<AttackGoal> goals)
    {
        var attack = new TransferAttack(options);
        return attack.Step(attack.Start(model, images, goals), model, StepBudget.Unlimited);
    }
}
