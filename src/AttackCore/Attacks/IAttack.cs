using AttackCore.Models;

namespace AttackCore.Attacks;

/// <summary>
/// An attack as a step-wise state machine: <see cref="Start"/> makes the state of a batch of images,
/// <see cref="Step"/> advances it within a budget, and the state can be saved (<see cref="AttackStateSerializer"/>)
/// and resumed anywhere, giving bit for bit the run that was not cut. Each attack counts its queries exactly, per
/// image, and marks an image <see cref="ImageAttackStatus.Succeeded"/> only when its best image on the 8-bit grid
/// meets the goal. Attacks derive from <see cref="Attack{TOptions}"/>, which implements the parts every attack shares.
/// </summary>
public interface IAttack
{
    /// <summary>Gets the options the attack was built with.</summary>
    AttackOptions Options { get; }

    /// <summary>Gets the test of success the attack stops on; the engine shrinks and verifies its results with the same test.</summary>
    IAdversarialCriterion Criterion { get; }

    /// <summary>Starts a run on <paramref name="cleanImages"/>, spending the attack's initial queries.</summary>
    /// <param name="classifier">The model under attack.</param>
    /// <param name="cleanImages">Clean images, CHW in [0,1] on the 8-bit grid, each channels x height x width of the classifier (3 RGB or 1 gray plane). Copied.</param>
    /// <param name="goals">One goal per image.</param>
    /// <returns>The state after the initialization.</returns>
    AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals);

    /// <summary>Runs iterations until every image is done or <paramref name="budget"/> is spent.</summary>
    /// <param name="state">The state from <see cref="Start"/> or an earlier step (possibly restored).</param>
    /// <param name="classifier">The model under attack (the same one the run started with).</param>
    /// <param name="budget">The most work to do in this call.</param>
    /// <param name="cancellationToken">Stops between iterations.</param>
    /// <returns><paramref name="state"/>, updated in place.</returns>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Step is the name the design fixes for every attack; Visual Basic callers can use [Step].")]
    AttackState Step(AttackState state, IClassifier classifier, StepBudget budget, CancellationToken cancellationToken = default);
}

/// <summary>
/// An attack that can start from given images that already meet the goal (a decision-based attack starts on the far
/// side of the decision boundary). The engine gives it, for a targeted attack, another image of the batch that the
/// model already labels as the target.
/// </summary>
public interface IStartingPointAttack : IAttack
{
    /// <summary>Starts a run, each image from its starting point where one is given.</summary>
    /// <param name="classifier">The model under attack.</param>
    /// <param name="cleanImages">Clean images, as for <see cref="IAttack.Start"/>.</param>
    /// <param name="goals">One goal per image.</param>
    /// <param name="startingImages">Per image, an image (same size, values in [0,1]) that meets its goal, or <see langword="null"/> to search for one.</param>
    /// <returns>The state after the initialization.</returns>
    AttackState Start(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals, IReadOnlyList<float[]?>? startingImages);
}
