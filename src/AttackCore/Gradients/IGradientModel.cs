namespace AttackCore.Gradients;

/// <summary>
/// The narrow white-box contract, beside <see cref="Models.IClassifier"/>: a batch of images in; logits, one
/// loss per image and the loss's gradient with respect to every pixel out, from one forward and backward pass.
/// </summary>
/// <remarks>
/// <para>
/// Images are given the way attacks see them (as for <see cref="Models.IClassifier"/>): RGB, planar CHW, values in
/// [0, 1], each <see cref="InputHeight"/> x <see cref="InputWidth"/>; one gray plane for a grayscale model
/// (<see cref="Channels"/> 1), whose gradient is then d loss / d gray value. The model's own preprocessing (scaling,
/// channel order, layout) is part of the differentiated function, so the gradient is d loss / d pixel in that
/// [0, 1] space and attacks never see the model's input convention.
/// </para>
/// <para>
/// Every <see cref="GradientLoss"/> is to be <b>maximized</b> by an attack; the gradient points uphill. Images in a
/// batch are independent: gradient row i is d loss_i / d image_i. Implementations must be safe to call from
/// several threads at once.
/// </para>
/// </remarks>
public interface IGradientModel
{
    /// <summary>Gets the height in pixels of one input image.</summary>
    int InputHeight { get; }

    /// <summary>Gets the width in pixels of one input image.</summary>
    int InputWidth { get; }

    /// <summary>Gets the number of planes of one input image: 3 (RGB) or 1 (gray).</summary>
    /// <value>3 unless the model says otherwise.</value>
    int Channels => 3;

    /// <summary>Gets the number of logits per image.</summary>
    int NumClasses { get; }

    /// <summary>Gets the label of each class index (length <see cref="NumClasses"/>).</summary>
    IReadOnlyList<string> Labels { get; }

    /// <summary>Gets the losses this model computes (all of <see cref="GradientLoss"/> when it has at least 4 classes).</summary>
    IReadOnlyList<GradientLoss> SupportedLosses { get; }

    /// <summary>
    /// Computes logits, per-image losses and d loss / d pixels for <paramref name="count"/> images.
    /// </summary>
    /// <param name="images">count x 3 x height x width values in [0, 1], CHW per image, RGB.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="loss">The loss to compute and differentiate; one of <see cref="SupportedLosses"/>.</param>
    /// <param name="labels">The true class of each image (count values in [0, <see cref="NumClasses"/>)).</param>
    /// <param name="targets">For the targeted losses, the target class of each image (count values); empty otherwise.</param>
    /// <param name="logits">Receives count x <see cref="NumClasses"/> logits, equal to what the model's classifier returns.</param>
    /// <param name="losses">Receives count loss values.</param>
    /// <param name="gradients">Receives the gradient, shaped like <paramref name="images"/>.</param>
    /// <exception cref="ArgumentException">A span is too short, a class index is out of range, or the loss is not supported.</exception>
    void ComputeGradients(
        ReadOnlySpan<float> images,
        int count,
        GradientLoss loss,
        ReadOnlySpan<int> labels,
        ReadOnlySpan<int> targets,
        Span<float> logits,
        Span<float> losses,
        Span<float> gradients);

    /// <summary>
    /// Computes logits, the weighted logit sum loss_i = sum_k w_ik z_ik of each image and d loss_i / d pixels: the
    /// gradient of any fixed linear combination of the logits, such as an output-diversified (ODS) direction with random
    /// weights (Tashiro, Song and Ermon, NeurIPS 2020) or z_t - z_y for classes another model chose.
    /// </summary>
    /// <param name="images">count x channels x height x width values in [0, 1], CHW per image.</param>
    /// <param name="count">Number of images.</param>
    /// <param name="weights">count x <see cref="NumClasses"/> weights, row i for image i; finite.</param>
    /// <param name="logits">Receives count x <see cref="NumClasses"/> logits, equal to what the model's classifier returns.</param>
    /// <param name="losses">Receives count values sum_k w_ik z_ik.</param>
    /// <param name="gradients">Receives the gradient, shaped like <paramref name="images"/>.</param>
    /// <exception cref="ArgumentException">A span is too short or a weight is not finite.</exception>
    void ComputeLogitGradients(
        ReadOnlySpan<float> images,
        int count,
        ReadOnlySpan<float> weights,
        Span<float> logits,
        Span<float> losses,
        Span<float> gradients);
}
