using AttackCore.Models;

namespace AttackCore.Gradients;

/// <summary>The losses a gradient model computes inside its graph, each as a value the attack <em>maximizes</em>.</summary>
/// <remarks>
/// z are the logits, y the true class and t the target; pi are the classes sorted by logit, highest first.
/// Losses that take a target are targeted when targets are given and untargeted otherwise.
/// </remarks>
public enum GradientLoss
{
    /// <summary>Untargeted: the cross-entropy of the true class, <c>logsumexp(z) - z_y</c>. Targeted: minus the target's, <c>z_t - logsumexp(z)</c>.</summary>
    CrossEntropy,

    /// <summary>Untargeted: <c>max_{k != y} z_k - z_y</c> (Carlini and Wagner's margin, negated). Targeted: <c>z_t - max_{k != t} z_k</c>.</summary>
    Margin,

    /// <summary>The difference of logits ratio (Croce and Hein, ICML 2020): <c>-(z_y - max_{k != y} z_k) / (z_pi1 - z_pi3 + 1e-12)</c>. Untargeted only.</summary>
    Dlr,

    /// <summary>The targeted DLR: <c>-(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12)</c>. Needs targets and at least 4 classes.</summary>
    TargetedDlr,
}

/// <summary>
/// The narrow contract of white-box and transfer attacks: a classifier that also gives, in one call, each image's
/// logits, its loss and the gradient of that loss with respect to its pixels. Images are as for
/// <see cref="IClassifier"/>: RGB, CHW, values in [0, 1]; the model's own preprocessing is part of what is
/// differentiated. Implementations must be safe to call from several threads at once.
/// </summary>
public interface IGradientModel : IClassifier
{
    /// <summary>Computes logits, losses and input gradients of <paramref name="count"/> images in one call.</summary>
    /// <param name="images">count x 3 x height x width values in [0, 1].</param>
    /// <param name="count">The number of images.</param>
    /// <param name="loss">The loss to differentiate.</param>
    /// <param name="labels">The true class of each image (count values).</param>
    /// <param name="targets">The target class of each image (count values), or empty for an untargeted loss.</param>
    /// <param name="logits">Receives count x <see cref="IClassifier.NumClasses"/> scores.</param>
    /// <param name="losses">Receives count losses.</param>
    /// <param name="gradients">Receives d loss_i / d image_i, the same size as <paramref name="images"/>.</param>
    void ComputeGradients(ReadOnlySpan<float> images, int count, GradientLoss loss, ReadOnlySpan<int> labels, ReadOnlySpan<int> targets, Span<float> logits, Span<float> losses, Span<float> gradients);
}
