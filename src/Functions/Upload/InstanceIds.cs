using System.Security.Cryptography;
using System.Text;

namespace AdvAudit.Functions.Upload;

/// <summary>
/// The orchestration instance id of one version of one upload, so that a repeated or duplicated event for the same
/// version finds the instance already there and schedules nothing, while a new version (new ETag) gets its own run.
/// </summary>
/// <remarks>
/// <c>img-</c> + the first 40 hex digits (160 bits) of SHA-256 over <c>container \n name \n etag</c>, UTF-8, with
/// the ETag's quotes and weak prefix removed (Event Grid and the blob API quote it differently). Stable across
/// processes, releases and hosts; a hash, so any blob name fits the task hub's id rules.
/// </remarks>
public static class InstanceIds
{
    /// <summary>The prefix of per-image instance ids.</summary>
    public const string ImagePrefix = "img-";

    /// <summary>Gets the instance id of one blob version.</summary>
    /// <param name="container">The container.</param>
    /// <param name="name">The blob name.</param>
    /// <param name="etag">The version's ETag, quoted or not.</param>
    /// <returns>The instance id.</returns>
    public static string ForImage(string container, string name, string etag)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(etag);
        string key = string.Join('\n', container, name, NormalizeETag(etag));
        return ImagePrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..40];
    }

    /// <summary>Removes the weak prefix and quotes from an ETag.</summary>
    /// <param name="etag">The ETag.</param>
    /// <returns>The bare value.</returns>
    public static string NormalizeETag(string etag)
    {
        ArgumentNullException.ThrowIfNull(etag);
        string value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }

        return value.Trim('"');
    }
}
