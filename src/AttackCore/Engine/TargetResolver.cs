using System.Globalization;
using AttackCore.Attacks;

namespace AttackCore.Engine;

/// <summary>
/// Turns the user's target (a class name, an output index, <c>random</c> or <c>least-likely</c>) into a
/// model output index for one image.
/// </summary>
public static class TargetResolver
{
    /// <summary>The choice that picks a random class other than the true one (seeded by the attack seed and the image).</summary>
    public const string Random = "random";

    /// <summary>The choice that picks the class the model finds least likely on the clean image.</summary>
    public const string LeastLikely = "least-likely";

    /// <summary>Resolves <paramref name="target"/> for one image.</summary>
    /// <param name="target">A label (any of its comma-separated names, case-insensitive, or a unique part of one), an output index, <c>random</c> or <c>least-likely</c>.</param>
    /// <param name="labels">The model's labels, one per output index.</param>
    /// <param name="backgroundOffset">Leading outputs that are not real classes (never chosen).</param>
    /// <param name="cleanLogits">The clean image's scores.</param>
    /// <param name="trueClass">The true class, never chosen by <c>random</c> or <c>least-likely</c>.</param>
    /// <param name="seed">The attack seed.</param>
    /// <param name="imageKey">A number that identifies the image (from its content), so <c>random</c> differs per image but not per run.</param>
    /// <returns>The output index.</returns>
    /// <exception cref="ArgumentException">The target names no class, or more than one.</exception>
    public static int Resolve(string target, IReadOnlyList<string> labels, int backgroundOffset, ReadOnlySpan<float> cleanLogits, int trueClass, ulong seed, ulong imageKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(target);
        ArgumentNullException.ThrowIfNull(labels);
        string wanted = target.Trim();
        if (wanted.Equals(Random, StringComparison.OrdinalIgnoreCase))
        {
            var random = new SeededRandom(SeededRandom.DeriveSeed(seed, imageKey));
            int choices = labels.Count - backgroundOffset - 1;
            int pick = backgroundOffset + random.NextInt(choices);
            return pick >= trueClass ? pick + 1 : pick;
        }

        if (wanted.Equals(LeastLikely, StringComparison.OrdinalIgnoreCase) || wanted.Equals("least_likely", StringComparison.OrdinalIgnoreCase))
        {
            int least = -1;
            for (int k = backgroundOffset; k < cleanLogits.Length; k++)
            {
                if (k != trueClass && (least < 0 || cleanLogits[k] < cleanLogits[least]))
                {
                    least = k;
                }
            }

            return least;
        }

        if (int.TryParse(wanted, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            if (index < backgroundOffset || index >= labels.Count)
            {
                throw new ArgumentException($"Target index {index} is outside the model's classes {backgroundOffset}..{labels.Count - 1}.", nameof(target));
            }

            return index;
        }

        var exact = new List<int>();
        var partial = new List<int>();
        for (int k = backgroundOffset; k < labels.Count; k++)
        {
            string[] names = labels[k].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (labels[k].Equals(wanted, StringComparison.OrdinalIgnoreCase) || names.Any(n => n.Equals(wanted, StringComparison.OrdinalIgnoreCase)))
            {
                exact.Add(k);
            }
            else if (labels[k].Contains(wanted, StringComparison.OrdinalIgnoreCase))
            {
                partial.Add(k);
            }
        }

        List<int> found = exact.Count > 0 ? exact : partial;
        if (found.Count == 1)
        {
            return found[0];
        }

        if (found.Count == 0)
        {
            throw new ArgumentException($"No class is called \"{wanted}\". Give a label such as \"{labels[^1]}\", an index {backgroundOffset}..{labels.Count - 1}, \"{Random}\" or \"{LeastLikely}\".", nameof(target));
        }

        string candidates = string.Join("; ", found.Take(5).Select(k => $"{k}: {labels[k]}"));
        throw new ArgumentException($"\"{wanted}\" matches {found.Count} classes ({candidates}{(found.Count > 5 ? "; ..." : string.Empty)}). Give the full label or the index.", nameof(target));
    }
}
