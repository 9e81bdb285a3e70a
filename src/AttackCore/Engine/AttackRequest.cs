using System.Globalization;
using AttackCore.Attacks.Square;

namespace AttackCore.Engine;

/// <summary>What to do to each image: the attack's options, an optional target, and the minimization after success.</summary>
public sealed record AttackRequest
{
    /// <summary>Gets the Square Attack options.</summary>
    /// <value>Defaults to the paper's untargeted L-inf attack, eps 0.05, 10,000 queries.</value>
    public SquareAttackOptions Attack { get; init; } = new();

    /// <summary>
    /// Gets the target class for a targeted attack: a label, an output index, <c>random</c> or
    /// <c>least-likely</c> (see <see cref="TargetResolver"/>); <see langword="null"/> for untargeted.
    /// </summary>
    /// <value>Defaults to <see langword="null"/> (untargeted).</value>
    public string? Target { get; init; }

    /// <summary>
    /// Gets a value indicating whether, after a success, the perturbation is shrunk by a binary search
    /// on its scale to the smallest that still fools the model (eps* in the report).
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool Minimize { get; init; } = true;

    /// <summary>Gets the binary-search steps of the minimization (one batched query each).</summary>
    /// <value>Defaults to 10 (eps* within 0.1 % of the found perturbation's scale).</value>
    public int MinimizeSteps { get; init; } = 10;

    /// <summary>
    /// Gets how many times the attack goes on when the re-read PNG does not fool the model (before the
    /// image is reported as not fooled).
    /// </summary>
    /// <value>Defaults to 2.</value>
    public int VerificationRetries { get; init; } = 2;

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentException">A value is invalid; the message names it.</exception>
    public void Validate()
    {
        Attack.Validate();
        if (MinimizeSteps is < 1 or > 50)
        {
            throw new ArgumentException($"MinimizeSteps must be between 1 and 50; got {MinimizeSteps}.", nameof(MinimizeSteps));
        }

        if (VerificationRetries is < 0 or > 10)
        {
            throw new ArgumentException($"VerificationRetries must be between 0 and 10; got {VerificationRetries}.", nameof(VerificationRetries));
        }
    }

    /// <summary>Reads an epsilon written as a decimal (<c>0.05</c>) or a fraction (<c>4/255</c>), in the invariant culture.</summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The value, when the text is a finite number or a fraction with a positive denominator.</param>
    /// <returns><see langword="true"/> when the text could be read.</returns>
    public static bool TryParseEpsilon(string? text, out double value)
    {
        value = double.NaN;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string[] parts = text.Trim().Split('/');
        if (parts.Length == 2 &&
            double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double numerator) &&
            double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double denominator) && denominator > 0)
        {
            value = numerator / denominator;
        }
        else if (parts.Length == 1 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double plain))
        {
            value = plain;
        }

        return double.IsFinite(value);
    }

    /// <summary>Lists every option as text, for reports.</summary>
    /// <returns>Option name to value.</returns>
    public IReadOnlyDictionary<string, string> Describe()
    {
        CultureInfo inv = CultureInfo.InvariantCulture;
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["norm"] = Attack.Norm.ToString().ToLowerInvariant(),
            ["eps"] = Attack.Epsilon.ToString("R", inv),
            ["maxQueries"] = Attack.MaxQueries.ToString(inv),
            ["pInit"] = Attack.EffectivePInit.ToString("R", inv),
            ["seed"] = Attack.Seed.ToString(inv),
            ["quantization"] = Attack.EffectiveQuantization.ToString(),
            ["target"] = Target ?? "none",
            ["minimize"] = Minimize ? "true" : "false",
            ["minimizeSteps"] = MinimizeSteps.ToString(inv),
            ["verificationRetries"] = VerificationRetries.ToString(inv),
            ["loss"] = Target is null ? "margin" : "cross-entropy",
        };
    }
}

/// <summary>Progress of a running batch, for a progress display.</summary>
/// <param name="ImagesDone">Images finished (fooled, exhausted or skipped).</param>
/// <param name="ImagesTotal">Images in the batch.</param>
/// <param name="Queries">Queries spent so far, summed over images.</param>
/// <param name="LowestMargin">The lowest best-margin among images still running (zero or below means fooled); <see langword="null"/> when none runs.</param>
public sealed record AttackProgress(int ImagesDone, int ImagesTotal, long Queries, double? LowestMargin);
