using System.Globalization;

namespace AttackBench;

/// <summary>Minimal <c>--name value</c> parsing; repeated options keep every value in order.</summary>
internal sealed class BenchArgs
{
    private readonly List<(string Name, string Value)> _pairs = [];

    private BenchArgs()
    {
    }

    public IReadOnlyList<(string Name, string Value)> Pairs => _pairs;

    public static BenchArgs Parse(IReadOnlyList<string> args, IReadOnlySet<string> known)
    {
        var result = new BenchArgs();
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (!known.Contains(name))
            {
                throw new ArgumentException($"unknown option '{name}'; known: {string.Join(", ", known.Order(StringComparer.Ordinal))}");
            }

            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"option '{name}' needs a value");
            }

            result._pairs.Add((name, args[++i]));
        }

        return result;
    }

    public string? Last(string name) => _pairs.LastOrDefault(p => p.Name == name).Value;

    public int Int(string name, int fallback) => Last(name) is string s ? int.Parse(s, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) => Last(name) is string s ? double.Parse(s, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Parses "1,8,32" or "0-4" or "0-2,7".</summary>
    public static List<int> IntList(string text)
    {
        var values = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int dash = part.IndexOf('-', 1);
            if (dash > 0)
            {
                int from = int.Parse(part[..dash], CultureInfo.InvariantCulture), to = int.Parse(part[(dash + 1)..], CultureInfo.InvariantCulture);
                for (int v = from; v <= to; v++)
                {
                    values.Add(v);
                }
            }
            else
            {
                values.Add(int.Parse(part, CultureInfo.InvariantCulture));
            }
        }

        return values;
    }
}
