using AttackCore.Attacks;
using AttackCore.Attacks.Fgsm;
using AttackCore.Gradients;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Attacks.Fgsm;

public class FgsmAttackTests : AttackContractTests<FgsmOptions>
{
    protected override IReadOnlyList<NormKind> Norms => [NormKind.LInf, NormKind.L2];

    protected override bool WhiteBox => true;

    protected override FgsmOptions ContractOptions(NormKind norm, ulong seed = 0) =>
        new() { Norm = norm, Epsilon = norm == NormKind.LInf ? 0.1 : 2.0, Seed = seed };

    [Fact]
    public void Run_LInf_StepsEpsAlongTheGradientSignOnTheGrid()
    {
        var (model, images, goals) = AttackResume.LinearProblem(3, 8);
        var sut = new FgsmAttack(new FgsmOptions { Epsilon = 4 / 255.0 });

        AttackState state = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);

        int length = images[0].Length;
        var logits = new float[model.NumClasses];
        var losses = new float[1];
        var gradient = new float[length];
        for (int i = 0; i < images.Count; i++)
        {
            model.ComputeGradients(images[i], 1, GradientLoss.CrossEntropy, [goals[i].TrueClass], [], logits, losses, gradient);
            AttackImageState image = state.Images[i];
            for (int v = 0; v < length; v++)
            {
                int level = PixelGrid.ToLevel(images[i][v]);
                int expected = Math.Clamp(level + (4 * Math.Sign(gradient[v])), 0, 255);
                Assert.Equal(PixelGrid.FromLevel(expected), image.Best[v]);
            }

            Assert.Equal(1, image.GradientEvaluations);
            Assert.Equal(1, image.Queries);
            Assert.NotEqual(ImageAttackStatus.Running, image.Status);
        }
    }

    [Fact]
    public void Start_TargetedWithDlr_RefusedNamingTheLoss()
    {
        var (model, images, _) = AttackResume.LinearProblem(1, 8);
        var sut = new FgsmAttack(new FgsmOptions { Loss = GradientLoss.Dlr });

        var ex = Assert.Throws<ArgumentException>(() => sut.Start(model, images, [new AttackGoal(0, 3)]));
        Assert.Contains("Dlr", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_TargetedDlrLoss_Rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new FgsmAttack(new FgsmOptions { Loss = GradientLoss.TargetedDlr }));
        Assert.Contains("apgd-t", ex.Message, StringComparison.Ordinal);
    }
}
