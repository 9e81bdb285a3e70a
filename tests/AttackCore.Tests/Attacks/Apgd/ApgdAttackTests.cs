using AttackCore.Attacks;
using AttackCore.Attacks.Apgd;
using AttackCore.Gradients;
using AttackCore.Models;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Attacks.Apgd;

public class ApgdCeAttackTests : AttackContractTests<ApgdCeOptions>
{
    protected override IReadOnlyList<NormKind> Norms => [NormKind.LInf, NormKind.L2];

    protected override bool WhiteBox => true;

    protected override ApgdCeOptions ContractOptions(NormKind norm, ulong seed = 0) =>
        new() { Norm = norm, Epsilon = norm == NormKind.LInf ? 0.012 : 0.2, Iterations = 20, Seed = seed };

    [Fact]
    public void Run_LossNeverRises_StepHalvesAtEveryReferenceCheckpoint()
    {
        // A model whose loss never changes: every checkpoint sees no rise, so eta halves at each of the reference's
        // checkpoints of a 100-iteration run (after 22, 41, 57, 70, 80, 87, 93 and 99 steps): 8 halvings.
        var model = new FlatLossModel(new LinearClassifier(8, 10, seed: 7));
        var (_, images, goals) = AttackResume.LinearProblem(1, 8);
        var sut = new ApgdAttack(new ApgdCeOptions { Epsilon = 0.05, Iterations = 100 });
        AttackState state = sut.Start(model, images, goals);
        var image = (ApgdImageState)state.Images[0];
        var halvedAfter = new List<int>();
        double step = 2 * 0.05;
        while (image.Status == ImageAttackStatus.Running)
        {
            sut.Step(state, model, StepBudget.Iterations(1));
            if (image.StepSize < step)
            {
                halvedAfter.Add(image.RunEvaluations - 1);
                step = image.StepSize;
            }
        }

        Assert.Equal([22, 41, 57, 70, 80, 87, 93, 99], halvedAfter);
        Assert.Equal(101, image.GradientEvaluations);
        Assert.Equal(ImageAttackStatus.Exhausted, image.Status);
    }

    [Fact]
    public void Run_LinearModel_FoolsEveryImageAtAModestBudget()
    {
        var (model, images, goals) = AttackResume.LinearProblem(6, 8);
        var sut = new ApgdAttack(new ApgdCeOptions { Epsilon = 0.05, Iterations = 50 });

        AttackState state = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);

        Assert.All(state.Images, i => Assert.Equal(ImageAttackStatus.Succeeded, i.Status));
    }

    /// <summary>The linear model with a constant loss and zero gradient: nothing for APGD to climb.</summary>
    private sealed class FlatLossModel(LinearClassifier inner) : IClassifier, IGradientModel
    {
        public int InputHeight => inner.InputHeight;

        public int InputWidth => inner.InputWidth;

        public int NumClasses => inner.NumClasses;

        public IReadOnlyList<string> Labels => inner.Labels;

        public IReadOnlyList<GradientLoss> SupportedLosses => inner.SupportedLosses;

        public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            inner.Predict(images, count, logits);
            logits.Clear();
        }

        public void ComputeGradients(ReadOnlySpan<float> images, int count, GradientLoss loss, ReadOnlySpan<int> labels, ReadOnlySpan<int> targets, Span<float> logits, Span<float> losses, Span<float> gradients)
        {
            logits.Clear();
            for (int n = 0; n < count; n++)
            {
                logits[(n * NumClasses) + labels[n]] = 1;
            }

            losses.Fill(1f);
            gradients.Clear();
        }

        public void ComputeLogitGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<float> weights, Span<float> logits, Span<float> losses, Span<float> gradients)
        {
            logits.Clear();
            losses.Fill(1f);
            gradients.Clear();
        }
    }
}

public class ApgdTAttackTests : AttackContractTests<ApgdTOptions>
{
    protected override IReadOnlyList<NormKind> Norms => [NormKind.LInf, NormKind.L2];

    protected override bool WhiteBox => true;

    protected override ApgdTOptions ContractOptions(NormKind norm, ulong seed = 0) =>
        new() { Norm = norm, Epsilon = norm == NormKind.LInf ? 0.012 : 0.2, Iterations = 15, Targets = 3, Seed = seed };

    [Fact]
    public void Start_Untargeted_RanksTheHighestOtherClassesWithOneQuery()
    {
        var (model, images, goals) = AttackResume.LinearProblem(2, 8);
        var sut = new ApgdAttack(new ApgdTOptions { Targets = 4 });

        AttackState state = sut.Start(model, images, goals);

        var logits = new float[model.NumClasses];
        foreach (ApgdImageState image in state.Images.Cast<ApgdImageState>())
        {
            model.Predict(image.Clean, 1, logits);
            int[] expected = [.. Enumerable.Range(0, 10).Where(k => k != image.Goal.TrueClass).OrderByDescending(k => logits[k]).Take(4)];
            Assert.Equal(expected, image.Targets);
            Assert.Equal(1, image.Queries);
        }
    }

    [Fact]
    public void Run_TinyBall_TriesEveryTargetThenStops()
    {
        var (model, images, goals) = AttackResume.LinearProblem(2, 8);
        var sut = new ApgdAttack(new ApgdTOptions { Epsilon = 1 / 255.0, Iterations = 10, Targets = 3 });

        AttackState state = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);

        var exhausted = state.Images.Where(i => i.Status == ImageAttackStatus.Exhausted).ToList();
        Assert.NotEmpty(exhausted);
        Assert.All(exhausted, i => Assert.Equal(3 * 11, i.GradientEvaluations));
    }

    [Fact]
    public void Start_FewerThanFourClasses_RefusedNamingTheNeed()
    {
        var model = new LinearClassifier(8, 3, seed: 1);
        float[] image = LinearClassifier.RandomImage(8, 3);
        var sut = new ApgdAttack(new ApgdTOptions());

        var ex = Assert.Throws<ArgumentException>(() => sut.Start(model, [image], [new AttackGoal(model.Top1(image))]));
        Assert.Contains("at least 4 classes", ex.Message, StringComparison.Ordinal);
    }
}
