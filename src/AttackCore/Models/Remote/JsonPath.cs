using System.Globalization;
using System.Text.Json;

namespace AttackCore.Models.Remote;

/// <summary>
/// The small JSON path of a remote spec: an optional <c>$</c>, then field names separated by dots and array indices in
/// brackets (<c>$.predictions[0].scores</c>, <c>output.probs</c>, <c>$</c> for the whole document). No wildcards or
/// filters: one path names one value.
/// </summary>
internal static class JsonPath
{
    /// <summary>Says what is wrong with <paramref name="path"/>, or <see langword="null"/> when it parses.</summary>
    public static string? Problem(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return "must be a non-empty JSON path such as $.scores";
        }

        try
        {
            _ = Parse(path);
            return null;
        }
        catch (FormatException e)
        {
            return $"'{path}' is not a JSON path: {e.Message}";
        }
    }

    /// <summary>Finds the value at <paramref name="path"/>.</summary>
    /// <param name="root">Where the path starts.</param>
    /// <param name="path">A valid path.</param>
    /// <param name="value">The value found.</param>
    /// <returns>Whether every step of the path exists.</returns>
    public static bool TryFind(JsonElement root, string path, out JsonElement value)
    {
        value = root;
        foreach (object step in Parse(path))
        {
            if (step is string name)
            {
                if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out value))
                {
                    return false;
                }
            }
            else
            {
                int index = (int)step;
                if (value.ValueKind != JsonValueKind.Array || index >= value.GetArrayLength())
                {
                    return false;
                }

                value = value[index];
            }
        }

        return true;
    }

    private static List<object> Parse(string path)
    {
        var steps = new List<object>();
        ReadOnlySpan<char> rest = path.AsSpan().Trim();
        if (rest.StartsWith("$"))
        {
            rest = rest[1..];
        }

        bool first = true;
        while (rest.Length > 0)
        {
            if (rest[0] == '[')
            {
                int close = rest.IndexOf(']');
                if (close < 0 || !int.TryParse(rest[1..close], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                {
                    throw new FormatException("an index must be a whole number in brackets, as [0]");
                }

                steps.Add(index);
                rest = rest[(close + 1)..];
            }
            else
            {
                if (rest[0] == '.')
                {
                    rest = rest[1..];
                }
                else if (!first)
                {
                    throw new FormatException("fields are separated by '.'");
                }

                int end = rest.IndexOfAny('.', '[');
                ReadOnlySpan<char> name = end < 0 ? rest : rest[..end];
                if (name.IsEmpty)
                {
                    throw new FormatException("a field name is empty");
                }

                steps.Add(name.ToString());
                rest = end < 0 ? [] : rest[end..];
            }

            first = false;
        }

        return steps;
    }
}
