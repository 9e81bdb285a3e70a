namespace AdvAudit.Functions.Upload;

/// <summary>Where an input's results go: <c>results/&lt;input path without extension&gt;/</c> (DESIGN.md).</summary>
public static class ResultPaths
{
    /// <summary>Gets the result folder of an input blob: <c>a/b.png</c> gives <c>a/b</c>.</summary>
    /// <param name="blobName">The input blob's name inside its container.</param>
    /// <returns>The folder (no trailing slash).</returns>
    /// <remarks>Only the last segment's extension is removed (<c>a.v1/b</c> stays <c>a.v1/b</c>); a name that is only an extension (<c>.png</c>) is kept whole.</remarks>
    public static string FolderFor(string blobName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(blobName);
        string name = blobName.Trim('/');
        int slash = name.LastIndexOf('/');
        int dot = name.LastIndexOf('.');
        return dot > slash + 1 ? name[..dot] : name;
    }
}
