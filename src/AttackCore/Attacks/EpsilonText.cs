using System.Globalization;

namespace AttackCore.Attacks;

/// <summary>
/// Reads a perturbation budget as users write it: a decimal (<c>0.05</c>) or a fraction of the 8-bit scale
/// (<c>4/255</c>). It lives beside the attacks because attack specs (<c>square:epsilon=8/255</c>) read it too, and
/// the attacks must not depend on the engine above them.
/// </summary>
public static class EpsilonText
{
    /// <summary>Reads an epsilon written as a decimal or a fraction, in the invariant culture.</summary>
    /// <param name="text">The text.</param>
    /// <param name="value">The value, when the text is a finite number or a fraction with a positive denominator.</param>
    /// <returns><see langword="true"/> when the text could be read.</returns>
    public static bool TryParse(string? text, out double value)
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
}
