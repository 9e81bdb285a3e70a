using AttackCore.Engine;
using AttackCore.Models;
using AttackCore.Reporting;

namespace AttackCore.Transfer;

/// <summary>A model that adversarial images are shown to after the attack, to see whether they fool it too.</summary>
/// <param name="Classifier">The target model; its input must be square.</param>
/// <param name="Info">What reports say about the target (its <see cref="ModelInfo.Name"/> heads the transfer matrix's column).</param>
/// <param name="ResizeTo">The shortest side images are resized to before the center crop of the target's input size (the target spec's <see cref="ModelSpec.EffectiveResizeTo"/>).</param>
public sealed record TransferTarget(IClassifier Classifier, ModelInfo Info, int ResizeTo)
{
    /// <summary>Describes a loaded ONNX model as a transfer target, with its spec's preprocessing.</summary>
    /// <param name="classifier">The target model; owned by the caller.</param>
    /// <returns>The target.</returns>
    public static TransferTarget From(OnnxClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return new TransferTarget(classifier, ModelDescription.From(classifier), classifier.Spec.EffectiveResizeTo);
    }
}
