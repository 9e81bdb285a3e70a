using System.Globalization;
using System.Text;

namespace AttackCli;

/// <summary>
/// The true classes of the inputs, from <c>--labels</c>: a CSV file of file name and class (an output index or a
/// label), or <c>folders</c> for inputs laid out in class-named folders (<c>photos/tabby/1.png</c>), as ImageNet-style
/// datasets are. Every class is checked against the model's classes before any attack.
/// </summary>
internal static class TrueLabels
{
    /// <summary>The <c>--labels</c> value that takes each input's class from the name of its folder.</summary>
    public const string FromFolders = "folders";

    private static readonly string[] HeaderNames = ["file", "filename", "file_name", "image", "path", "name", "input"];

    /// <summary>Resolves the option into a class per input (inputs without one are left out).</summary>
    /// <param name="option">The <c>--labels</c> value: a CSV path or <see cref="FromFolders"/>.</param>
    /// <param name="inputs">The inputs.</param>
    /// <param name="labels">The model's class labels, by output index.</param>
    /// <param name="numClasses">The model's number of classes.</param>
    /// <param name="notes">Where to say how many classes were found and which entries name no input.</param>
    /// <returns>Input name to class: the model's own label text when the class names one, else the output index.</returns>
    /// <exception cref="ArgumentException">The file cannot be read, or a class names none of the model's classes; the message says where.</exception>
    public static Dictionary<string, string> Resolve(string option, IReadOnlyList<InputFile> inputs, IReadOnlyList<string> labels, int numClasses, TextWriter notes)
    {
        ArgumentNullException.ThrowIfNull(option);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(notes);
        var byLabel = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < labels.Count; i++)
        {
            byLabel.TryAdd(Normalize(labels[i]), i);
        }

        string? Canonical(string text)
        {
            string trimmed = text.Trim();
            if (byLabel.TryGetValue(Normalize(trimmed), out int index))
            {
                return labels[index];
            }

            return int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n < numClasses ? n.ToString(CultureInfo.InvariantCulture) : null;
        }

        string Allowed() => $"an output index from 0 to {numClasses - 1}" + (labels.Count > 0 ? $" or one of the model's labels (e.g. \"{labels[0]}\")" : string.Empty);

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (option == FromFolders)
        {
            foreach (InputFile input in inputs)
            {
                string folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(input.Path))) ?? string.Empty;
                result[input.Name] = Canonical(folder.Replace('_', ' ')) ?? Canonical(folder)
                    ?? throw new ArgumentException($"--labels folders: the folder \"{folder}\" of {input.Name} names no class of the model; name each folder by {Allowed()}.");
            }

            notes.WriteLine($"True classes from folder names: {result.Values.Distinct(StringComparer.Ordinal).Count()} classes over {result.Count} images.");
            return result;
        }

        string[] lines;
        try
        {
            lines = File.ReadAllLines(option);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--labels {option}: cannot read the file ({e.Message}). Give a CSV of file name and class, or --labels {FromFolders}.", e);
        }

        var byName = inputs.GroupBy(i => i.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var byFileName = inputs.GroupBy(i => Path.GetFileName(i.Name), StringComparer.Ordinal).Where(g => g.Count() == 1).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var unmatched = new List<string>();
        for (int n = 0; n < lines.Length; n++)
        {
            if (lines[n].Trim() is "" || lines[n].TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (SplitRow(lines[n]) is not [string file, string cls])
            {
                throw new ArgumentException($"--labels {option}, line {n + 1}: expected two fields, file name and class (quote a field that has a comma), e.g. cat.png,285 or \"dog.png\",\"golden retriever\".");
            }

            if (n == 0 && HeaderNames.Contains(file.Trim().ToLowerInvariant()) && Canonical(cls) is null)
            {
                continue;
            }

            string name = file.Trim().Replace('\\', '/');
            InputFile? input = byName.GetValueOrDefault(name) ?? byFileName.GetValueOrDefault(Path.GetFileName(name));
            if (input is null)
            {
                unmatched.Add(name);
                continue;
            }

            result[input.Name] = Canonical(cls) ?? throw new ArgumentException($"--labels {option}, line {n + 1}: \"{cls.Trim()}\" is not a class of the model; give {Allowed()}.");
        }

        notes.WriteLine($"True classes from {option}: {result.Count} of {inputs.Count} images" + (unmatched.Count == 0 ? "." : $"; {unmatched.Count} entries name no input (first: {unmatched[0]})."));
        return result;
    }

    // Labels files spell "great white shark" as great_white_shark, folders too: compare them the same way.
    private static string Normalize(string label) => label.Trim().Replace('_', ' ');

    /// <summary>Splits one CSV row (RFC 4180 quoting: a quoted field may hold commas and doubled quotes).</summary>
    private static List<string> SplitRow(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.ToString().Trim().Length == 0)
            {
                field.Clear();
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }
}
