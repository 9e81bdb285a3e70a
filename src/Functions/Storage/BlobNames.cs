using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AdvAudit.Functions.Storage;

/// <summary>
/// Checks blob names and prefixes from outside (upload events, audit manifests and prefixes, listings) before any
/// storage call uses them.
/// </summary>
/// <remarks>
/// The storage SDK puts a blob name into a URL path, and URL paths are normalized: <c>../victim/z.png</c> in
/// container <c>uploads</c> addresses <c>victim/z.png</c>, another container. A result folder built from such a
/// name would be written elsewhere too. So a name with a <c>.</c> or <c>..</c> segment, a backslash (which some
/// tools turn into <c>/</c>), a control character, or a leading <c>/</c> is refused before it reaches storage.
/// </remarks>
public static class BlobNames
{
    /// <summary>The reason written to error.json for a refused name.</summary>
    public const string InvalidNameReason = "InvalidName";

    /// <summary>The folder, under a results root, that holds the error.json of refused names (one sub-folder per name).</summary>
    public const string InvalidNamesFolder = "_invalid-names";

    /// <summary>Says what is wrong with a blob name, or <see langword="null"/> when it is safe to use.</summary>
    /// <param name="name">The blob name inside its container.</param>
    /// <returns>A sentence for the person who chose the name, or <see langword="null"/>.</returns>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "The blob name is empty.";
        }

        if (name.EndsWith('/'))
        {
            return $"The blob name {Quote(name)} ends with '/', so it names a folder, not a file.";
        }

        return PathProblem(name, "blob name");
    }

    /// <summary>Says what is wrong with a listing prefix, or <see langword="null"/> when it is safe ("" and "a/b/" are).</summary>
    /// <param name="prefix">The prefix.</param>
    /// <returns>A sentence for the person who chose the prefix, or <see langword="null"/>.</returns>
    public static string? PrefixProblem(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return prefix.Length == 0 ? null : PathProblem(prefix.EndsWith('/') ? prefix[..^1] : prefix, "prefix");
    }

    /// <summary>
    /// Gets the result folder for the error.json of a refused name: <c>&lt;root&gt;/_invalid-names/&lt;hash of the name&gt;</c>,
    /// so nothing of the name itself becomes part of a path.
    /// </summary>
    /// <param name="root">The results root (<c>""</c> for the container's root, or an audit's images folder).</param>
    /// <param name="name">The refused name.</param>
    /// <returns>The folder (no trailing slash).</returns>
    public static string InvalidNameFolder(string root, string name)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(name);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..16];
        return (root.Length == 0 ? string.Empty : root.TrimEnd('/') + "/") + InvalidNamesFolder + "/" + hash;
    }

    private static string? PathProblem(string path, string what)
    {
        if (path.StartsWith('/'))
        {
            return $"The {what} {Quote(path)} starts with '/'; names are relative to their container: leave out the leading '/'.";
        }

        if (path.Contains('\\', StringComparison.Ordinal))
        {
            return $"The {what} {Quote(path)} contains a backslash; use '/' between folders.";
        }

        foreach (char c in path)
        {
            if (char.IsControl(c))
            {
                return string.Create(CultureInfo.InvariantCulture, $"The {what} {Quote(path)} contains a control character (U+{(int)c:X4}); rename the blob without it.");
            }
        }

        foreach (string segment in path.Split('/'))
        {
            if (segment is "." or "..")
            {
                return $"The {what} {Quote(path)} has a '{segment}' segment, which storage would resolve into another folder or container; use the blob's plain name.";
            }

            if (segment.Length == 0)
            {
                return $"The {what} {Quote(path)} has an empty folder ('//'), which URLs and result folders would not keep apart from a single '/'; rename the blob with one '/' between folders.";
            }
        }

        return null;
    }

    // Control characters are shown escaped, so the message itself carries none.
    private static string Quote(string name)
    {
        var text = new StringBuilder("\"", name.Length + 2);
        foreach (char c in name.Length > 200 ? name[..200] + "…" : name)
        {
            text.Append(char.IsControl(c) ? string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}") : c.ToString());
        }

        return text.Append('"').ToString();
    }
}
