namespace AttackCore.Models;

/// <summary>Resolves the label of every output index of a model.</summary>
public static class LabelSet
{
    /// <summary>The label given to output index 0 of 1001-class (TF-slim) models.</summary>
    public const string BackgroundLabel = "background";

    /// <summary>
    /// Returns one label per output index of <paramref name="spec"/>'s model.
    /// </summary>
    /// <remarks>
    /// A labels file with <see cref="ModelSpec.NumClasses"/> lines is used as is; one with
    /// <see cref="ModelSpec.NumClasses"/> - <see cref="ModelSpec.BackgroundOffset"/> lines gets "background"
    /// prepended. Without a file, the bundled ImageNet labels are used (with "background" first when the offset
    /// is 1), provided they fit the class count.
    /// </remarks>
    /// <param name="spec">The model spec.</param>
    /// <returns>Exactly <see cref="ModelSpec.NumClasses"/> labels.</returns>
    /// <exception cref="ModelSpecException">The labels file is missing or its line count fits neither rule.</exception>
    public static IReadOnlyList<string> Resolve(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int withoutBackground = spec.NumClasses - spec.BackgroundOffset;
        string source;
        IReadOnlyList<string> lines;
        if (spec.LabelsPath is null)
        {
            source = "the bundled ImageNet labels";
            lines = ImageNetLabels.Load();
        }
        else
        {
            if (!File.Exists(spec.LabelsPath))
            {
                throw new ModelSpecException($"Model '{spec.Name}': labelsPath '{spec.LabelsPath}' does not exist.");
            }

            source = $"labelsPath '{spec.LabelsPath}'";
            lines = SplitLines(File.ReadAllText(spec.LabelsPath));
        }

        if (lines.Count == spec.NumClasses)
        {
            return lines;
        }

        if (lines.Count == withoutBackground && spec.BackgroundOffset > 0)
        {
            var result = new string[spec.NumClasses];
            for (int i = 0; i < spec.BackgroundOffset; i++)
            {
                result[i] = i == 0 ? BackgroundLabel : $"{BackgroundLabel} {i}";
            }

            for (int i = 0; i < lines.Count; i++)
            {
                result[i + spec.BackgroundOffset] = lines[i];
            }

            return result;
        }

        throw new ModelSpecException(
            $"Model '{spec.Name}': {source} has {lines.Count} labels, but the model has numClasses = {spec.NumClasses} " +
            $"and backgroundOffset = {spec.BackgroundOffset}; a labels file must have {spec.NumClasses} lines" +
            (spec.BackgroundOffset > 0 ? $" or {withoutBackground} lines (\"background\" is then prepended)." : ".") +
            " Set labelsPath to a matching file.");
    }

    /// <summary>Splits text into lines, dropping trailing empty lines and carriage returns.</summary>
    internal static string[] SplitLines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int count = lines.Length;
        while (count > 0 && string.IsNullOrWhiteSpace(lines[count - 1]))
        {
            count--;
        }

        return lines[..count];
    }
}
