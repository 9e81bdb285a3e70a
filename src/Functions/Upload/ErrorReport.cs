using System.Text.Json;
using AdvAudit.Functions.Storage;

namespace AdvAudit.Functions.Upload;

/// <summary>The <c>error.json</c> written next to where a rejected input's results would be (the CLI's fields, plus the blob version).</summary>
/// <param name="Input">The input blob's name.</param>
/// <param name="Container">The input container.</param>
/// <param name="ETag">The rejected version's ETag.</param>
/// <param name="Reason">A machine-readable reason (e.g. <c>TooLarge</c>, <c>UnknownFormat</c>, <c>Corrupt</c>).</param>
/// <param name="Message">What was wrong and what to do, for a person.</param>
public sealed record ErrorReport(string Input, string Container, string ETag, string Reason, string Message)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Gets the report as the marker file of its result folder.</summary>
    /// <returns>The file.</returns>
    public ResultFile ToFile() => new(BlobStore.ErrorMarker, BinaryData.FromString(JsonSerializer.Serialize(this, Json)), "application/json");

    /// <summary>Reads an <c>error.json</c>.</summary>
    /// <param name="json">The text.</param>
    /// <returns>The report.</returns>
    public static ErrorReport Parse(string json) => JsonSerializer.Deserialize<ErrorReport>(json, Json) ?? throw new JsonException("error.json is empty.");
}
