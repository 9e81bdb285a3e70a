namespace AttackCore.Gradients;

/// <summary>
/// What a surrogate-based attack (transfer, GFCS) sees besides the target's scores: the gradient models of the
/// surrogates the attacker owns, each already on the target's pixel grid.
/// </summary>
/// <remarks>
/// <para>
/// The target stays a black box: its forward queries are the only queries an attack counts. A surrogate gradient
/// evaluation is counted apart, in <see cref="Attacks.AttackImageState.GradientEvaluations"/>, one per surrogate per
/// image per evaluation.
/// </para>
/// <para>
/// Every surrogate takes images of the target's <see cref="IGradientModel.InputHeight"/> x
/// <see cref="IGradientModel.InputWidth"/> and <see cref="IGradientModel.Channels"/>: a surrogate with another input
/// size resizes inside its own (differentiated) graph. Surrogates may have other class counts only when an attack
/// maps classes itself; the attacks here require the target's class count and label order.
/// </para>
/// </remarks>
public interface ISurrogateModels
{
    /// <summary>Gets the surrogates, in the order the run named them (at least one).</summary>
    IReadOnlyList<IGradientModel> Surrogates { get; }
}
