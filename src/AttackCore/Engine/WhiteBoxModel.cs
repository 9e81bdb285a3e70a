using AttackCore.Gradients;
using AttackCore.Models;

namespace AttackCore.Engine;

/// <summary>
/// The model as a white-box attack sees it: scores from the classifier, and gradients from the derived gradient graph
/// of the same model.
/// </summary>
/// <param name="classifier">The classifier; forward queries go here.</param>
/// <param name="gradients">The gradient model of the same ONNX file.</param>
internal sealed class WhiteBoxModel(IClassifier classifier, IGradientModel gradients) : IClassifier, IGradientModel
{
    /// <inheritdoc cref="IClassifier.InputHeight"/>
    public int InputHeight => classifier.InputHeight;

    /// <inheritdoc cref="IClassifier.InputWidth"/>
    public int InputWidth => classifier.InputWidth;

    /// <inheritdoc cref="IClassifier.Channels"/>
    public int Channels => classifier.Channels;

    /// <inheritdoc cref="IClassifier.NumClasses"/>
    public int NumClasses => classifier.NumClasses;

    /// <inheritdoc cref="IClassifier.Labels"/>
    public IReadOnlyList<string> Labels => classifier.Labels;

    /// <inheritdoc />
    public IReadOnlyList<GradientLoss> SupportedLosses => gradients.SupportedLosses;

    /// <inheritdoc />
    public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits) => classifier.Predict(images, count, logits);

    /// <inheritdoc />
    public void ComputeGradients(ReadOnlySpan<float> images, int count, GradientLoss loss, ReadOnlySpan<int> labels, ReadOnlySpan<int> targets, Span<float> logits, Span<float> losses, Span<float> gradientsOut) =>
        gradients.ComputeGradients(images, count, loss, labels, targets, logits, losses, gradientsOut);

    /// <inheritdoc />
    public void ComputeLogitGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<float> weights, Span<float> logits, Span<float> losses, Span<float> gradientsOut) =>
        gradients.ComputeLogitGradients(images, count, weights, logits, losses, gradientsOut);
}
