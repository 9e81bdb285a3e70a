using AttackCore.Models;

namespace AttackCore.Attacks;

/// <summary>The argument checks every attack's <c>Start</c> and <c>Step</c> make, in one place so their messages agree.</summary>
internal static class AttackArguments
{
    /// <summary>
    /// Checks the arguments of <see cref="IAttack.Start"/>: one goal per image, every image of the classifier's size,
    /// every class inside the classifier's outputs.
    /// </summary>
    /// <param name="classifier">The model under attack.</param>
    /// <param name="cleanImages">The clean images.</param>
    /// <param name="goals">The goals.</param>
    /// <returns>The number of values per image (channels x height x width).</returns>
    /// <exception cref="ArgumentException">An argument does not fit; the message says which and why.</exception>
    public static int CheckStart(IClassifier classifier, IReadOnlyList<float[]> cleanImages, IReadOnlyList<AttackGoal> goals)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(cleanImages);
        ArgumentNullException.ThrowIfNull(goals);
        if (cleanImages.Count != goals.Count)
        {
            throw new ArgumentException($"Got {cleanImages.Count} images but {goals.Count} goals.", nameof(goals));
        }

        int h = classifier.InputHeight, w = classifier.InputWidth, channels = classifier.Channels, classes = classifier.NumClasses;
        if (channels is not (1 or 3))
        {
            throw new ArgumentException($"The classifier takes {channels} channels; attacks work on 1 (gray) or 3 (RGB).", nameof(classifier));
        }

        int length = channels * h * w;
        for (int i = 0; i < cleanImages.Count; i++)
        {
            if (cleanImages[i] is not { } image || image.Length != length)
            {
                throw new ArgumentException($"Image {i} has {cleanImages[i]?.Length ?? 0} values; the model takes {channels} x {h} x {w} = {length}.", nameof(cleanImages));
            }

            AttackGoal goal = goals[i] ?? throw new ArgumentException($"Goal {i} is null.", nameof(goals));
            if ((uint)goal.TrueClass >= (uint)classes || (goal.TargetClass is int t && (uint)t >= (uint)classes))
            {
                throw new ArgumentException($"Goal {i} names a class outside 0..{classes - 1}.", nameof(goals));
            }
        }

        return length;
    }

    /// <summary>
    /// Checks the arguments of <see cref="IAttack.Step"/>: the state was started with these options and holds images of
    /// the classifier's size.
    /// </summary>
    /// <param name="options">The options of the attack asked to step.</param>
    /// <param name="state">The state.</param>
    /// <param name="classifier">The model under attack.</param>
    /// <param name="budget">The slice budget.</param>
    /// <exception cref="ArgumentException">The state does not belong to this attack or model.</exception>
    public static void CheckStep(AttackOptions options, AttackState state, IClassifier classifier, StepBudget budget)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(budget);
        if (state.Options != options)
        {
            throw new ArgumentException("The state was started with other options; resume it with an attack built from state.Options.", nameof(state));
        }

        if (classifier.InputHeight != state.Height || classifier.InputWidth != state.Width || classifier.Channels != state.Channels)
        {
            throw new ArgumentException($"The state holds {state.Channels}x{state.Height}x{state.Width} images; the classifier takes {classifier.Channels}x{classifier.InputHeight}x{classifier.InputWidth}.", nameof(classifier));
        }
    }
}
