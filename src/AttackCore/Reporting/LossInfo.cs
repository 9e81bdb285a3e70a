using System.Text.Json.Serialization;
using AttackCore.Gradients;

namespace AttackCore.Reporting;

/// <summary>
/// What the loss of an attack's trace is (<see cref="TracePoint.Loss"/>): its name, the axis title of the report's loss
/// chart and its definition. Each attack says which loss it records (<see cref="Attacks.AttackOptions.TraceLoss"/>);
/// lower is always better for the attack.
/// </summary>
/// <param name="Name">
/// A stable identifier: <c>margin</c>, <c>cross-entropy</c>, <c>log-probability</c>, <c>dlr</c>, or <c>distance</c> for
/// decision-based attacks, whose trace is the distance to the clean image in the attack's norm (they see no scores).
/// </param>
/// <param name="Label">The axis title of the loss chart, for example <c>Margin loss</c>.</param>
/// <param name="Definition">The formula and when the attack has succeeded, in words.</param>
public sealed record LossInfo(string Name, string Label, string Definition)
{
    /// <summary>The <see cref="Name"/> of a decision-based attack's trace: the distance to the clean image.</summary>
    public const string DistanceName = "distance";

    /// <summary>Gets whether this is a decision-based attack's distance rather than a loss on scores.</summary>
    [JsonIgnore]
    public bool IsDistance => Name == DistanceName;

    /// <summary>The untargeted margin on logits, <c>z_y - max_{k != y} z_k</c>.</summary>
    public static LossInfo Margin { get; } = new("margin", "Margin loss", "logit of the true class minus the largest other logit; the model is fooled below 0");

    /// <summary>The targeted margin, <c>max_{k != t} z_k - z_t</c>.</summary>
    public static LossInfo TargetMargin { get; } = new("margin", "Margin loss (target)", "largest logit other than the target's minus the target's logit; the target is reached below 0");

    /// <summary>The cross-entropy of the target class, <c>-log p_t</c>.</summary>
    public static LossInfo TargetCrossEntropy { get; } = new("cross-entropy", "Cross-entropy of the target", "-log of the target's softmax probability; 0 when the model is certain of the target");

    /// <summary>The log-probability of the true class, <c>log p_y</c> (minus its cross-entropy).</summary>
    public static LossInfo LogProbability { get; } = new("log-probability", "log p(true class)", "log of the true class's softmax probability (minus its cross-entropy); lower is further from the true class");

    /// <summary>Minus the difference of logits ratio (Croce and Hein, 2020).</summary>
    public static LossInfo Dlr { get; } = new("dlr", "DLR loss", "minus the difference of logits ratio, (z_y - max_{k != y} z_k) / (z_pi1 - z_pi3); the model is fooled below 0");

    /// <summary>Minus the targeted difference of logits ratio.</summary>
    public static LossInfo TargetDlr { get; } = new("dlr", "Targeted DLR loss", "minus the targeted difference of logits ratio, (z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2); the target leads below 0");

    /// <summary>The untargeted or targeted cross-entropy loss of a score-based attack that minimizes <c>log p_y</c> or <c>-log p_t</c>.</summary>
    /// <param name="targeted">Whether the attack is targeted.</param>
    /// <returns>The loss.</returns>
    public static LossInfo CrossEntropy(bool targeted) => targeted ? TargetCrossEntropy : LogProbability;

    /// <summary>The distance of a decision-based attack's current adversarial point to the clean image.</summary>
    /// <param name="norm">The attack's norm, <c>linf</c> or <c>l2</c>.</param>
    /// <returns>The loss.</returns>
    public static LossInfo Distance(string norm) => norm == "l2"
        ? new(DistanceName, "L2 distance to the clean image", "L2 norm of the adversarial point's change from the clean image (every point is adversarial); the attack has succeeded once it is at most eps")
        : new(DistanceName, "L-inf distance to the clean image", "L-inf norm of the adversarial point's change from the clean image (every point is adversarial); the attack has succeeded once it is at most eps");

    /// <summary>The trace loss of a white-box attack climbing <paramref name="loss"/>: minus its value, so lower is better.</summary>
    /// <param name="loss">The gradient loss as configured.</param>
    /// <param name="targeted">Whether the run is targeted.</param>
    /// <returns>The loss.</returns>
    public static LossInfo ForGradient(GradientLoss loss, bool targeted) => (loss, targeted) switch
    {
        (GradientLoss.CrossEntropy, false) => LogProbability,
        (GradientLoss.CrossEntropy or GradientLoss.TargetedCrossEntropy, _) => TargetCrossEntropy,
        (GradientLoss.Margin, false) => Margin,
        (GradientLoss.Margin or GradientLoss.TargetedMargin, _) => TargetMargin,
        (GradientLoss.Dlr, _) => Dlr,
        _ => TargetDlr,
    };
}
