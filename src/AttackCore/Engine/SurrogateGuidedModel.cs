using AttackCore.Gradients;
using AttackCore.Models;

namespace AttackCore.Engine;

/// <summary>
/// The model as a surrogate-based attack sees it: the target's scores (the only counted queries) and the surrogates'
/// gradients on the target's pixel grid.
/// </summary>
/// <param name="classifier">The target; forward queries go here.</param>
/// <param name="surrogates">The surrogates' gradient models, each on the target's input size.</param>
internal sealed class SurrogateGuidedModel(IClassifier classifier, IReadOnlyList<IGradientModel> surrogates) : IClassifier, ISurrogateModels
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
    public IReadOnlyList<IGradientModel> Surrogates => surrogates;

    /// <inheritdoc />
    public void Predict(ReadOnlySpan<float> images, int count, Span<float> logits) => classifier.Predict(images, count, logits);
}
