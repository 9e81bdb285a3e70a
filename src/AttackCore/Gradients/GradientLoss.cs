namespace AttackCore.Gradients;

/// <summary>
/// The per-image loss an <see cref="IGradientModel"/> computes and differentiates. Every loss is a value the
/// attack <b>maximizes</b>: it grows as the image moves toward misclassification (untargeted) or toward the target
/// class (targeted). z are the logits, y the true class, t the target class.
/// </summary>
public enum GradientLoss
{
    /// <summary>Cross-entropy of the true class, -log softmax(z)_y (APGD-CE, PGD, FGSM).</summary>
    CrossEntropy,

    /// <summary>Carlini-Wagner margin, max_{i != y} z_i - z_y; positive means misclassified.</summary>
    Margin,

    /// <summary>
    /// Difference of logits ratio (Croce and Hein, ICML 2020): -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12),
    /// pi the classes sorted by decreasing logit. Needs at least 3 classes.
    /// </summary>
    Dlr,

    /// <summary>Targeted cross-entropy, log softmax(z)_t = -CE(z, t): maximizing it raises the target's probability.</summary>
    TargetedCrossEntropy,

    /// <summary>Targeted margin, z_t - max_{i != t} z_i; positive means the target is the top class.</summary>
    TargetedMargin,

    /// <summary>
    /// Targeted DLR (Croce and Hein, used by APGD-T): -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12).
    /// Needs at least 4 classes.
    /// </summary>
    TargetedDlr,
}
