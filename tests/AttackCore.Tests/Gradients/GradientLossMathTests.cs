using AttackCore.Gradients;

namespace AttackCore.Tests.Gradients;

public class GradientLossMathTests
{
    [Theory]
    [InlineData(GradientLoss.CrossEntropy)]
    [InlineData(GradientLoss.Margin)]
    [InlineData(GradientLoss.Dlr)]
    [InlineData(GradientLoss.TargetedCrossEntropy)]
    [InlineData(GradientLoss.TargetedMargin)]
    [InlineData(GradientLoss.TargetedDlr)]
    public void Evaluate_Derivative_MatchesCentralDifferences(GradientLoss loss)
    {
        var random = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            float[] logits = [.. Enumerable.Range(0, 7).Select(_ => (float)((random.NextDouble() * 8) - 4))];
            var derivative = new double[logits.Length];
            GradientLossMath.Evaluate(logits, loss, label: 2, target: 5, derivative);
            for (int k = 0; k < logits.Length; k++)
            {
                const float h = 1e-3f;
                float[] up = (float[])logits.Clone(), down = (float[])logits.Clone();
                up[k] += h;
                down[k] -= h;
                double numeric = (GradientLossMath.Value(up, loss, 2, 5) - GradientLossMath.Value(down, loss, 2, 5)) / (up[k] - (double)down[k]);
                // Relative: where the DLR's denominator is small its derivative is large, and so is the difference's error.
                Assert.True(Math.Abs(numeric - derivative[k]) <= 2e-3 * Math.Max(1, Math.Abs(derivative[k])), $"{loss} logit {k}: numeric {numeric}, analytic {derivative[k]}");
            }
        }
    }

    [Fact]
    public void Value_KnownLogits_FollowTheDefinitions()
    {
        float[] z = [3, 1, 2, 0.5f];
        double lse = Math.Log(Math.Exp(3) + Math.Exp(1) + Math.Exp(2) + Math.Exp(0.5));

        Assert.Equal(lse - 1, GradientLossMath.Value(z, GradientLoss.CrossEntropy, 1, null), 6);
        Assert.Equal(2 - lse, GradientLossMath.Value(z, GradientLoss.TargetedCrossEntropy, 0, 2), 6);
        Assert.Equal(3 - 1, GradientLossMath.Value(z, GradientLoss.Margin, 1, null), 6);
        Assert.Equal(2 - 3, GradientLossMath.Value(z, GradientLoss.TargetedMargin, 0, 2), 6);
        Assert.Equal(-(1 - 3) / (3 - 1 + 1e-12), GradientLossMath.Value(z, GradientLoss.Dlr, 1, null), 6);
        Assert.Equal(-(3 - 2) / (3 - ((1 + 0.5) / 2) + 1e-12), GradientLossMath.Value(z, GradientLoss.TargetedDlr, 0, 2), 6);
    }

    [Fact]
    public void ForGoal_TargetedDlr_Refused()
    {
        Assert.Equal(GradientLoss.TargetedCrossEntropy, GradientLossMath.ForGoal(GradientLoss.CrossEntropy, targeted: true));
        Assert.Equal(GradientLoss.Margin, GradientLossMath.ForGoal(GradientLoss.Margin, targeted: false));
        Assert.Throws<ArgumentException>(() => GradientLossMath.ForGoal(GradientLoss.Dlr, targeted: true));
    }
}
