using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace AttackCore.Attacks;

/// <summary>One option of an attack spec: its name as the spec writes it, the values it takes, its default and what it does.</summary>
/// <param name="Name">The option's name in a spec (<c>pInit</c>).</param>
/// <param name="Values">The values it takes, in words (a number, a whole number, one of ...).</param>
/// <param name="Default">The default as a spec would write it; <c>auto</c> when it follows the norm.</param>
/// <param name="Description">What it does and its allowed range, from the library's documentation; empty where that is not shipped.</param>
public sealed record AttackOptionDescription(string Name, string Values, string Default, string Description);

/// <summary>An attack as <c>advaudit attacks</c> lists it.</summary>
/// <param name="Name">The name users write.</param>
/// <param name="Needs">What it needs of the model: scores, the top-1 label only, or gradients.</param>
/// <param name="Summary">What it is, from the library's documentation.</param>
/// <param name="Options">Its options, exactly those the spec parser accepts.</param>
public sealed record AttackDescription(string Name, string Needs, string Summary, IReadOnlyList<AttackOptionDescription> Options);

/// <summary>
/// Describes every attack of <see cref="AttackCatalog"/> from the same options types the spec parser reads: the
/// options and defaults come from a default instance serialized as the parser sees it, the words from the XML
/// documentation shipped beside the library (the summary and the <c>value</c> text, which states each range).
/// </summary>
public static class AttackDescriptions
{
    private static readonly Lazy<Dictionary<string, XElement>> Docs = new(LoadDocs);

    /// <summary>Describes every attack, in the catalog's order.</summary>
    /// <returns>The descriptions.</returns>
    public static IReadOnlyList<AttackDescription> All() => [.. AttackCatalog.Names.Select(Describe)];

    /// <summary>Describes one attack.</summary>
    /// <param name="name">Its name (one of <see cref="AttackCatalog.Names"/>).</param>
    /// <returns>The description.</returns>
    /// <exception cref="ArgumentException">No attack has that name.</exception>
    public static AttackDescription Describe(string name)
    {
        Type type = AttackCatalog.OptionsType(name) ?? throw new ArgumentException($"Unknown attack \"{name}\". Attacks: {string.Join(", ", AttackCatalog.Names)}.");
        var defaults = (AttackOptions)Activator.CreateInstance(type)!;
        JsonObject node = AttackCatalog.SpecNode(defaults);
        var options = new List<AttackOptionDescription>();
        foreach ((string key, JsonNode? value) in node)
        {
            PropertyInfo? property = type.GetProperties().FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
            if (property is null || key is "attack" or "attackName")
            {
                continue;
            }

            string shown = value is null ? "auto" : value.GetValueKind() == JsonValueKind.String ? JsonNamingPolicy.KebabCaseLower.ConvertName(value.GetValue<string>()) : value.ToJsonString();
            options.Add(new AttackOptionDescription(key, AttackCatalog.ValuesOf(property.PropertyType), shown, PropertyDoc(property)));
        }

        string needs = defaults.UsesSurrogates ? "surrogate models' gradients (models you own), and the target's scores (gfcs) or label (transfer)"
            : defaults.UsesGradients ? "gradients (a model you own)" : defaults.UsesScores ? "scores" : "the top-1 label only";
        Type? attack = typeof(AttackOptions).Assembly.GetTypes().FirstOrDefault(t => !t.IsAbstract && AttackOptionsOf(t) is Type o && o.IsAssignableFrom(type));
        return new AttackDescription(name, needs, FirstSentence(Text(Member("T:" + (attack ?? type).FullName)?.Element("summary"))), options);
    }

    /// <summary>The options type an attack class is built on (<c>TOptions</c> of its <c>Attack&lt;TOptions&gt;</c> base), or <see langword="null"/>.</summary>
    private static Type? AttackOptionsOf(Type type)
    {
        for (Type? t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Attack<>))
            {
                return t.GetGenericArguments()[0];
            }
        }

        return null;
    }

    private static string FirstSentence(string text)
    {
        int end = text.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? text : text[..(end + 1)];
    }

    private static string PropertyDoc(PropertyInfo property)
    {
        for (Type? t = property.DeclaringType; t is not null && t != typeof(object); t = t.BaseType)
        {
            if (Member($"P:{t.FullName}.{property.Name}") is XElement member)
            {
                string summary = Text(member.Element("summary"));
                foreach (string prefix in new[] { "Gets or sets ", "Gets " })
                {
                    if (summary.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        summary = char.ToUpperInvariant(summary[prefix.Length]) + summary[(prefix.Length + 1)..];
                        break;
                    }
                }

                string value = Text(member.Element("value"));
                return value.Length == 0 ? summary : summary + " " + value;
            }
        }

        return string.Empty;
    }

    private static XElement? Member(string id) => Docs.Value.GetValueOrDefault(id);

    // <see cref="T:X.Y.OnGrid"/> reads as OnGrid, <see langword="null"/> as null, <c>x</c> as x; whitespace is folded.
    private static string Text(XElement? element)
    {
        if (element is null)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        foreach (XNode node in element.Nodes())
        {
            text.Append(node switch
            {
                XText t => t.Value,
                XElement { Name.LocalName: "see" or "seealso" } e => (string?)e.Attribute("langword") ?? ((string?)e.Attribute("cref"))?.Split('.', ':')[^1] ?? e.Value,
                XElement e => Text(e),
                _ => string.Empty,
            });
        }

        return string.Join(' ', text.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    private static Dictionary<string, XElement> LoadDocs()
    {
        string path = Path.ChangeExtension(typeof(AttackCatalog).Assembly.Location, ".xml");
        if (string.IsNullOrEmpty(typeof(AttackCatalog).Assembly.Location) || !File.Exists(path))
        {
            return [];
        }

        return XDocument.Load(path, LoadOptions.PreserveWhitespace).Descendants("member")
            .Where(m => m.Attribute("name") is not null)
            .GroupBy(m => (string)m.Attribute("name")!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    }
}
