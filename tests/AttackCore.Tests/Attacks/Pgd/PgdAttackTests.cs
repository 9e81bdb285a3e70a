using AttackCore.Attacks;
using AttackCore.Attacks.Fgsm;
using AttackCore.Attacks.Pgd;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Attacks.Pgd;

public class PgdAttackTests : AttackContractTests<PgdOptions>
{
    protected override IReadOnlyList<NormKind> Norms => [NormKind.LInf, NormKind.L2];

    protected override bool WhiteBox => true;

    protected override PgdOptions ContractOptions(NormKind norm, ulong seed = 0) =>
        new() { Norm = norm, Epsilon = norm == NormKind.LInf ? 0.012 : 0.2, Steps = 20, Restarts = 2, Seed = seed };

    [Theory]
    [InlineData(NormKind.LInf, 0.006)]
    [InlineData(NormKind.L2, 0.15)]
    public void Step_EveryIteration_IterateInBallAndBestLossNeverWorsensUntilSuccess(NormKind norm, double eps)
    {
        var (model, images, goals) = AttackResume.LinearProblem(4, 8);
        var sut = new PgdAttack(new PgdOptions { Norm = norm, Epsilon = eps, Steps = 15, Restarts = 2 });
        AttackState state = sut.Start(model, images, goals);
        double[] previous = state.Images.Select(i => i.BestLoss).ToArray();
        while (!state.IsFinished)
        {
            sut.Step(state, model, StepBudget.Iterations(1));
            for (int i = 0; i < state.Images.Count; i++)
            {
                var image = (PgdImageState)state.Images[i];
                Assert.True(Distance(image.Clean, image.Point, norm) <= eps + 1e-5, "the iterate left the ball");
                Assert.All(image.Point, v => Assert.InRange(v, 0f, 1f));
                Assert.True(image.Status == ImageAttackStatus.Succeeded || image.BestLoss <= previous[i], "the best loss got worse");
                previous[i] = image.BestLoss;
            }
        }

        var exhausted = state.Images.Where(i => i.Status == ImageAttackStatus.Exhausted).ToList();
        Assert.NotEmpty(exhausted);
        Assert.All(exhausted, i => Assert.Equal(2 * 16, i.GradientEvaluations));
    }

    [Fact]
    public void Run_MoreSteps_FoolAtLeastAsManyAsFgsm()
    {
        var (model, images, goals) = AttackResume.LinearProblem(10, 8);
        IAttack fgsm = new FgsmOptions { Epsilon = 0.02 }.CreateAttack();
        IAttack pgd = new PgdOptions { Epsilon = 0.02, Steps = 30 }.CreateAttack();

        int fooledByFgsm = fgsm.Step(fgsm.Start(model, images, goals), model, StepBudget.Unlimited).Images.Count(i => i.Status == ImageAttackStatus.Succeeded);
        int fooledByPgd = pgd.Step(pgd.Start(model, images, goals), model, StepBudget.Unlimited).Images.Count(i => i.Status == ImageAttackStatus.Succeeded);

        Assert.True(fooledByPgd >= fooledByFgsm, $"PGD fooled {fooledByPgd}, FGSM {fooledByFgsm}");
        Assert.True(fooledByPgd > 0);
    }

    [Fact]
    public void Run_Targeted_ReachesTheTarget()
    {
        var (model, images, _) = AttackResume.LinearProblem(4, 8);
        var goals = images.Select(x => new AttackGoal(model.Top1(x), (model.Top1(x) + 1) % 10)).ToList();
        var sut = new PgdAttack(new PgdOptions { Epsilon = 0.2, Steps = 40 });

        AttackState state = sut.Step(sut.Start(model, images, goals), model, StepBudget.Unlimited);

        var succeeded = state.Images.Where(i => i.Status == ImageAttackStatus.Succeeded).ToList();
        Assert.NotEmpty(succeeded);
        Assert.All(succeeded, i => Assert.Equal(i.Goal.TargetClass, model.Top1(i.Best)));
    }

    [Theory]
    [InlineData(0, 1, "Steps")]
    [InlineData(10, 0, "Restarts")]
    public void Constructor_BadOptions_ThrowNamingTheOption(int steps, int restarts, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => new PgdAttack(new PgdOptions { Steps = steps, Restarts = restarts }));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    private static double Distance(float[] clean, float[] point, NormKind norm)
    {
        double max = 0, sum = 0;
        for (int v = 0; v < clean.Length; v++)
        {
            double d = Math.Abs(point[v] - (double)clean[v]);
            max = Math.Max(max, d);
            sum += d * d;
        }

        return norm == NormKind.LInf ? max : Math.Sqrt(sum);
    }
}
