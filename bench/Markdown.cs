using System.Globalization;

namespace AttackBench;

/// <summary>Writes GitHub markdown tables, one row at a time so a long run shows progress.</summary>
internal sealed class Markdown(TextWriter output)
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public void Header(params string[] columns)
    {
        output.WriteLine("| " + string.Join(" | ", columns) + " |");
        output.WriteLine("|" + string.Concat(columns.Select(_ => "---|")));
        output.Flush();
    }

    public void Row(params string[] cells)
    {
        output.WriteLine("| " + string.Join(" | ", cells) + " |");
        output.Flush();
    }

    public void Line(string text = "")
    {
        output.WriteLine(text);
        output.Flush();
    }

    public static string F(double value, string format) => value.ToString(format, Inv);
}
