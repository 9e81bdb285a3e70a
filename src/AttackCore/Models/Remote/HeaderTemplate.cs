using System.Text;
using System.Text.RegularExpressions;

namespace AttackCore.Models.Remote;

/// <summary>Header values of a remote spec: literal text with <c>${NAME}</c> standing for the environment variable NAME.</summary>
internal static partial class HeaderTemplate
{
    /// <summary>Gets the names of the variables a value refers to.</summary>
    public static IReadOnlyList<string> Variables(string template) =>
        [.. VariablePattern().Matches(template).Select(m => m.Groups[1].Value)];

    /// <summary>Replaces every <c>${NAME}</c> with the variable's value.</summary>
    /// <param name="header">The header's name, for the message.</param>
    /// <param name="template">The value as written in the spec.</param>
    /// <param name="lookup">Reads a variable; <see langword="null"/> when unset.</param>
    /// <returns>The header value to send.</returns>
    /// <exception cref="ModelSpecException">A variable is unset or empty.</exception>
    public static string Expand(string header, string template, Func<string, string?> lookup)
    {
        var missing = new List<string>();
        string value = VariablePattern().Replace(template, m =>
        {
            string? found = lookup(m.Groups[1].Value);
            if (string.IsNullOrEmpty(found))
            {
                missing.Add(m.Groups[1].Value);
                return string.Empty;
            }

            return found;
        });
        if (missing.Count > 0)
        {
            var names = new StringBuilder().AppendJoin(", ", missing);
            throw new ModelSpecException($"Header '{header}' of the remote model needs the environment variable(s) {names}, which are not set (in Azure Functions: an app setting, or a Key Vault reference as one).");
        }

        return value;
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex VariablePattern();
}
