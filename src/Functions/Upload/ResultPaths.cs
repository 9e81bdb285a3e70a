namespace AdvAudit.Functions.Upload;

/// <summary>Where an input's results go: <c>results/&lt;input path&gt;/</c>, the input's whole name, extension included.</summary>
public static class ResultPaths
{
    /// <summary>Gets the result folder of an input blob: <c>a/b.png</c> gives <c>a/b.png</c>.</summary>
    /// <param name="blobName">The input blob's name inside its container.</param>
    /// <returns>The folder (no leading or trailing slash).</returns>
    /// <remarks>
    /// The extension stays, so two inputs never share a folder (<c>a.png</c> and <c>a.jpg</c> give <c>a.png/</c> and
    /// <c>a.jpg/</c>), whenever each is uploaded: a rule that dropped the extension when unambiguous would give a later
    /// <c>a.jpg</c> the folder an earlier <c>a.png</c> already owns. The mapping depends on the name alone.
    /// </remarks>
    public static string FolderFor(string blobName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(blobName);
        return blobName.Trim('/');
    }
}
