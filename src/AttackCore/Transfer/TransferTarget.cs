using AttackCore.Engine;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;

namespace AttackCore.Transfer;

/// <summary>A model that adversarial images are shown to after the attack, to see whether they fool it too.</summary>
/// <param name="Classifier">The target model; its input must be square.</param>
/// <param name="Info">What reports say about the target (its <see cref="ModelInfo.Name"/> heads the transfer matrix's column).</param>
/// <param name="Recipe">How images become the target's input (the target spec's <see cref="ModelSpec.Recipe"/>); its input size is the target's.</param>
/// <param name="GrayConversion">How a colour image becomes gray when the target is a grayscale model (its spec's <see cref="ModelSpec.GrayConversion"/>); unused for colour targets.</param>
public sealed record TransferTarget(IClassifier Classifier, ModelInfo Info, CropRecipe Recipe, GrayConversion GrayConversion = GrayConversion.Bt601)
{
    /// <summary>Describes a loaded ONNX model as a transfer target, with its spec's preprocessing.</summary>
    /// <param name="classifier">The target model; owned by the caller.</param>
    /// <returns>The target.</returns>
    public static TransferTarget From(OnnxClassifier classifier)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        return new TransferTarget(classifier, ModelDescription.From(classifier), classifier.Spec.Recipe, classifier.Spec.GrayConversion);
    }
}
