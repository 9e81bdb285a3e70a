using AttackCore.Models;

namespace AttackCore.Attacks;

/// <summary>What an attack tries to achieve for one image.</summary>
/// <param name="TrueClass">The class the model should keep (the clean top-1 or a given label), as a model output index.</param>
/// <param name="TargetClass">For a targeted attack, the class the model must output instead; otherwise <see langword="null"/>.</param>
public sealed record AttackGoal(int TrueClass, int? TargetClass = null)
{
    /// <summary>Gets a value indicating whether the attack is targeted.</summary>
    public bool IsTargeted => TargetClass.HasValue;

    /// <summary>Gets the class the loss is computed against: the target when targeted, else the true class.</summary>
    public int LossClass => TargetClass ?? TrueClass;

    /// <summary>
    /// How far an image with these scores is from meeting the goal, in logits: untargeted,
    /// <c>logit_y - max_{k != y} logit_k</c>; targeted, <c>max_{k != t} logit_k - logit_t</c>. Zero or below: the goal
    /// is met (up to ties). Every loss reports this margin beside its own value.
    /// </summary>
    /// <param name="logits">The model's scores for the image.</param>
    /// <returns>The margin.</returns>
    public double Margin(ReadOnlySpan<float> logits)
    {
        int c = LossClass;
        double others = LogitMath.MaxExcept(logits, c);
        return IsTargeted ? others - logits[c] : logits[c] - others;
    }
}

/// <summary>The norm that bounds the perturbation.</summary>
public enum NormKind
{
    /// <summary>Largest absolute change of any value (L-infinity).</summary>
    LInf,

    /// <summary>Euclidean length of the whole perturbation (L2).</summary>
    L2,
}
