using AttackCore.Models;

namespace AttackCore.Gradients;

/// <summary>
/// The losses of <see cref="GradientLoss"/> computed from one image's logits, with their derivative with respect to
/// the logits: the reference every gradient model's in-graph loss is checked against, and what white-box attacks use
/// to judge their iterates.
/// </summary>
public static class GradientLossMath
{
    /// <summary>The loss value (to maximize) of one image.</summary>
    /// <param name="logits">The image's logits.</param>
    /// <param name="loss">Which loss.</param>
    /// <param name="label">The true class.</param>
    /// <param name="target">The target class (read by the targeted losses only).</param>
    /// <returns>The value.</returns>
    public static double Value(ReadOnlySpan<float> logits, GradientLoss loss, int label, int? target) =>
        Evaluate(logits, loss, label, target, []);

    /// <summary>The loss value of one image, and its derivative with respect to each logit.</summary>
    /// <param name="logits">The image's logits.</param>
    /// <param name="loss">Which loss.</param>
    /// <param name="label">The true class.</param>
    /// <param name="target">The target class (read by the targeted losses only).</param>
    /// <param name="derivative">Receives d loss / d logit_k (as many values as logits), or empty to skip it.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentException">A DLR loss with too few classes (3; 4 targeted), or a targeted loss without target.</exception>
    public static double Evaluate(ReadOnlySpan<float> logits, GradientLoss loss, int label, int? target, Span<double> derivative)
    {
        bool withDerivative = !derivative.IsEmpty;
        if (withDerivative)
        {
            derivative.Clear();
        }

        switch (loss)
        {
            case GradientLoss.CrossEntropy:
            case GradientLoss.TargetedCrossEntropy:
                {
                    double logSum = LogitMath.LogSumExp(logits);
                    bool targeted = loss == GradientLoss.TargetedCrossEntropy;
                    int c = targeted ? Target(target) : label;
                    double sign = targeted ? -1 : 1;
                    if (withDerivative)
                    {
                        for (int k = 0; k < logits.Length; k++)
                        {
                            derivative[k] = sign * Math.Exp(logits[k] - logSum);
                        }

                        derivative[c] -= sign;
                    }

                    return sign * (logSum - logits[c]);
                }

            case GradientLoss.Margin:
            case GradientLoss.TargetedMargin:
                {
                    bool targeted = loss == GradientLoss.TargetedMargin;
                    int c = targeted ? Target(target) : label;
                    int other = LogitMath.ArgMaxExcept(logits, c);
                    double sign = targeted ? -1 : 1;
                    if (withDerivative)
                    {
                        derivative[other] += sign;
                        derivative[c] -= sign;
                    }

                    return sign * (logits[other] - (double)logits[c]);
                }

            case GradientLoss.Dlr:
                {
                    if (logits.Length < 3)
                    {
                        throw new ArgumentException("The DLR loss needs at least 3 classes.", nameof(logits));
                    }

                    int other = LogitMath.ArgMaxExcept(logits, label);
                    (int p1, _, int p3, _) = Top4(logits);
                    double numerator = logits[label] - (double)logits[other];
                    double denominator = logits[p1] - (double)logits[p3] + 1e-12;
                    if (withDerivative)
                    {
                        // L = -N / D: dL = -(dN D - N dD) / D^2.
                        double a = -1 / denominator, b = numerator / (denominator * denominator);
                        derivative[label] += a;
                        derivative[other] -= a;
                        derivative[p1] += b;
                        derivative[p3] -= b;
                    }

                    return -numerator / denominator;
                }

            case GradientLoss.TargetedDlr:
                {
                    int t = Target(target);
                    if (logits.Length < 4)
                    {
                        throw new ArgumentException("The targeted DLR loss needs at least 4 classes.", nameof(logits));
                    }

                    (int p1, _, int p3, int p4) = Top4(logits);
                    double numerator = logits[label] - (double)logits[t];
                    double denominator = logits[p1] - ((logits[p3] + (double)logits[p4]) / 2) + 1e-12;
                    if (withDerivative)
                    {
                        double a = -1 / denominator, b = numerator / (denominator * denominator);
                        derivative[label] += a;
                        derivative[t] -= a;
                        derivative[p1] += b;
                        derivative[p3] -= b / 2;
                        derivative[p4] -= b / 2;
                    }

                    return -numerator / denominator;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown gradient loss.");
        }
    }

    /// <summary>Returns the target of a targeted loss, or says it is missing.</summary>
    private static int Target(int? target) =>
        target ?? throw new ArgumentException("A targeted loss needs a target class.", nameof(target));

    /// <summary>
    /// The loss an attack follows for a goal: the targeted form of <paramref name="loss"/> when the goal has a target
    /// (cross-entropy and margin have one; the untargeted DLR does not).
    /// </summary>
    /// <param name="loss">The untargeted loss an attack was configured with (or an already targeted one, kept).</param>
    /// <param name="targeted">Whether the goal has a target.</param>
    /// <returns>The loss to compute.</returns>
    /// <exception cref="ArgumentException">The DLR loss with a target.</exception>
    public static GradientLoss ForGoal(GradientLoss loss, bool targeted) => (loss, targeted) switch
    {
        (GradientLoss.CrossEntropy, true) => GradientLoss.TargetedCrossEntropy,
        (GradientLoss.Margin, true) => GradientLoss.TargetedMargin,
        (GradientLoss.Dlr, true) => throw new ArgumentException("The Dlr loss is untargeted; for a targeted run use CrossEntropy or Margin, or the apgd-t attack.", nameof(loss)),
        _ => loss,
    };

    /// <summary>Gets a value indicating whether <paramref name="loss"/> reads a target class.</summary>
    /// <param name="loss">The loss.</param>
    /// <returns><see langword="true"/> for the targeted losses.</returns>
    public static bool IsTargeted(GradientLoss loss) => loss is GradientLoss.TargetedCrossEntropy or GradientLoss.TargetedMargin or GradientLoss.TargetedDlr;

    /// <summary>The classes of the four highest logits, highest first (ties: lower index first); -1 where there are fewer classes.</summary>
    private static (int P1, int P2, int P3, int P4) Top4(ReadOnlySpan<float> logits)
    {
        Span<int> top = [-1, -1, -1, -1];
        for (int k = 0; k < logits.Length; k++)
        {
            for (int r = 0; r < 4; r++)
            {
                if (top[r] < 0 || logits[k] > logits[top[r]])
                {
                    for (int s = 3; s > r; s--)
                    {
                        top[s] = top[s - 1];
                    }

                    top[r] = k;
                    break;
                }
            }
        }

        return (top[0], top[1], top[2], top[3]);
    }
}
