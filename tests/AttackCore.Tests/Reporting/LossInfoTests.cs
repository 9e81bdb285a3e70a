using AttackCore.Attacks;
using AttackCore.Gradients;
using AttackCore.Reporting;

namespace AttackCore.Tests.Reporting;

public sealed class LossInfoTests
{
    public static TheoryData<string, bool, string> AttackLosses => new()
    {
        { "square", false, "margin" },
        { "square", true, "cross-entropy" },
        { "simba-dct", false, "log-probability" },
        { "simba-dct", true, "cross-entropy" },
        { "bandits-td", false, "log-probability" },
        { "bandits-td", true, "cross-entropy" },
        { "hopskipjump", false, LossInfo.DistanceName },
        { "hopskipjump", true, LossInfo.DistanceName },
        { "fgsm", false, "log-probability" },
        { "pgd", true, "cross-entropy" },
        { "apgd-ce", false, "log-probability" },
        { "apgd-t", true, "dlr" },
        { "transfer", false, "log-probability" },
        { "transfer", true, "cross-entropy" },
        { "gfcs", false, "margin" },
        { "gfcs", true, "cross-entropy" },
    };

    [Theory]
    [MemberData(nameof(AttackLosses))]
    public void TraceLoss_EachAttack_NamesTheLossItsTraceRecords(string attack, bool targeted, string expected)
    {
        AttackOptions sut = (AttackOptions)Activator.CreateInstance(AttackCatalog.OptionsType(attack)!)!;

        LossInfo loss = sut.TraceLoss(targeted);

        Assert.Equal(expected, loss.Name);
        Assert.Equal(expected == LossInfo.DistanceName, loss.IsDistance);
        Assert.False(string.IsNullOrWhiteSpace(loss.Label));
        Assert.False(string.IsNullOrWhiteSpace(loss.Definition));
    }

    [Fact]
    public void TraceLoss_EveryCatalogAttack_IsCovered()
    {
        Assert.Equal(AttackCatalog.Names.Order(StringComparer.Ordinal), AttackLosses.Select(row => (string)row[0]).Distinct().Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(GradientLoss.Margin, false, "Margin loss")]
    [InlineData(GradientLoss.Margin, true, "Margin loss (target)")]
    [InlineData(GradientLoss.Dlr, false, "DLR loss")]
    [InlineData(GradientLoss.TargetedDlr, true, "Targeted DLR loss")]
    [InlineData(GradientLoss.CrossEntropy, true, "Cross-entropy of the target")]
    public void ForGradient_Loss_IsMinusTheClimbedLoss(GradientLoss loss, bool targeted, string label)
    {
        Assert.Equal(label, LossInfo.ForGradient(loss, targeted).Label);
    }

    [Fact]
    public void Distance_Norm_NamesTheNormOnTheAxis()
    {
        Assert.Equal("L2 distance to the clean image", LossInfo.Distance("l2").Label);
        Assert.Equal("L-inf distance to the clean image", LossInfo.Distance("linf").Label);
    }
}
