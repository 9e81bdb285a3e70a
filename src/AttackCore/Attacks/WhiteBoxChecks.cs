using AttackCore.Gradients;

namespace AttackCore.Attacks;

/// <summary>The option checks the white-box attacks share, so their messages agree.</summary>
internal static class WhiteBoxChecks
{
    /// <summary>Checks a loss option names a loss an attack of one target may follow (the targeted DLR is APGD-T's own).</summary>
    public static void Loss(GradientLoss loss, string name)
    {
        if (loss is not (GradientLoss.CrossEntropy or GradientLoss.Margin or GradientLoss.Dlr))
        {
            throw new ArgumentException($"{name} must be CrossEntropy, Margin or Dlr; got {loss} (the targeted DLR is apgd-t's loss).", name);
        }
    }

    /// <summary>Checks the goals suit the loss: the DLR loss is untargeted only.</summary>
    public static void Goals(GradientLoss loss, IReadOnlyList<AttackGoal> goals, string attack)
    {
        if (loss == GradientLoss.Dlr && goals.Any(g => g.IsTargeted))
        {
            throw new ArgumentException($"{attack}: the Dlr loss is untargeted; for a targeted run use CrossEntropy or Margin, or the apgd-t attack.", nameof(goals));
        }
    }

    /// <summary>Checks a count option is within its range.</summary>
    public static void Count(int value, int min, int max, string name, string what)
    {
        if (value < min || value > max)
        {
            throw new ArgumentException($"{name} must be between {min} and {max} ({what}); got {value}.", name);
        }
    }

    /// <summary>Checks an optional step length is above 0 (in [0,1] pixel units); <see langword="null"/> (the attack's default) passes.</summary>
    public static void StepSize(double? step, string name)
    {
        if (step is double value && (!double.IsFinite(value) || value <= 0))
        {
            throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name} must be above 0 (in [0,1] pixel units); got {value}."), name);
        }
    }
}
