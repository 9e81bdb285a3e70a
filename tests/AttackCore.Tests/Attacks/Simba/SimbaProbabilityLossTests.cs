using AttackCore.Attacks;
using AttackCore.Attacks.Simba;

namespace AttackCore.Tests.Attacks.Simba;

public class SimbaProbabilityLossTests
{
    private static readonly float[] Logits = [2f, 0.5f, -1f, 1.5f];

    [Fact]
    public void Evaluate_Untargeted_IsLogOfTrueClassProbability()
    {
        var sut = SimbaProbabilityLoss.Instance;

        LossValue value = sut.Evaluate(Logits, new AttackGoal(0));

        double sum = Logits.Sum(l => Math.Exp(l));
        Assert.Equal(Math.Exp(2) / sum, Math.Exp(value.Loss), 12);
        Assert.Equal(0.5, value.Margin, 6);
    }

    [Fact]
    public void Evaluate_Targeted_IsMinusLogOfTargetProbability()
    {
        var sut = SimbaProbabilityLoss.Instance;

        LossValue value = sut.Evaluate(Logits, new AttackGoal(0, TargetClass: 3));

        double sum = Logits.Sum(l => Math.Exp(l));
        Assert.Equal(Math.Exp(1.5) / sum, Math.Exp(-value.Loss), 12);
        Assert.Equal(0.5, value.Margin, 6);
    }

    [Fact]
    public void Evaluate_ConfidentModel_StillOrdersCandidatesWhereTheProbabilityRoundsToOne()
    {
        var sut = SimbaProbabilityLoss.Instance;

        LossValue higher = sut.Evaluate([60f, 0f], new AttackGoal(0));
        LossValue lower = sut.Evaluate([59f, 0f], new AttackGoal(0));

        Assert.True(lower.Loss < higher.Loss);
    }
}
