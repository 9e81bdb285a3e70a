namespace AttackCore.Models;

/// <summary>
/// The narrow contract every attack depends on: a batch of images in, one row of logits per image out.
/// </summary>
/// <remarks>
/// Images are given the way the attacks see them, independent of the model's own preprocessing:
/// RGB, planar CHW (all red values, then green, then blue), values in [0, 1], each image exactly
/// <see cref="InputHeight"/> x <see cref="InputWidth"/>; for a grayscale model (<see cref="Channels"/> 1) one gray
/// plane instead of three. The classifier applies its model's scaling,
/// channel order and layout itself. Scores are logits (or log-probabilities for models that output
/// probabilities), one row of <see cref="NumClasses"/> per image, in the model's own class indices.
/// Implementations must be safe to call from several threads at once.
/// </remarks>
public interface IClassifier
{
    /// <summary>Gets the height in pixels of one input image.</summary>
    int InputHeight { get; }

    /// <summary>Gets the width in pixels of one input image.</summary>
    int InputWidth { get; }

    /// <summary>
    /// Gets the number of planes of one input image: 3 (RGB) or 1 (gray, for a model that sees one gray value per
    /// pixel). Attacks perturb, and measure norms, in this space.
    /// </summary>
    /// <value>3 unless the classifier says otherwise.</value>
    int Channels => 3;

    /// <summary>Gets the number of scores per image.</summary>
    int NumClasses { get; }

    /// <summary>Gets the label of each class index (length <see cref="NumClasses"/>).</summary>
    IReadOnlyList<string> Labels { get; }

    /// <summary>
    /// Scores <paramref name="count"/> images in one call.
    /// </summary>
    /// <param name="images">count x <see cref="Channels"/> x height x width values in [0, 1], CHW per image (RGB, or gray).</param>
    /// <param name="count">Number of images in <paramref name="images"/>.</param>
    /// <param name="logits">Receives count x <see cref="NumClasses"/> scores.</param>
    void Predict(ReadOnlySpan<float> images, int count, Span<float> logits);
}
