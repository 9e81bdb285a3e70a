using System.Text.Json.Serialization;
using AdvAudit.Functions.Storage;
using AttackCore.Engine;
using AttackCore.Reporting;

namespace AdvAudit.Functions.Upload;

/// <summary>The <c>error.json</c> written next to where a rejected blob's results would be: the engine's error report plus the blob version.</summary>
/// <param name="Input">The input blob's name.</param>
/// <param name="Container">The input container.</param>
/// <param name="ETag">The rejected version's ETag.</param>
/// <param name="Reason">A machine-readable reason (e.g. <c>TooLarge</c>, <c>UnknownFormat</c>, <c>Corrupt</c>).</param>
/// <param name="Message">What was wrong and what to do, for a person.</param>
public sealed record ErrorReport(
    string Input,
    [property: JsonPropertyOrder(1)] string Container,
    [property: JsonPropertyOrder(2)] string ETag,
    string Reason,
    string Message) : InputErrorReport(Input, Reason, Message)
{
    /// <summary>Gets the report as the marker file of its result folder.</summary>
    /// <returns>The file.</returns>
    public ResultFile ToFile() => ResultFile.From(ResultFolder.Files(this)[0]);

    /// <summary>Reads an <c>error.json</c>.</summary>
    /// <param name="json">The text.</param>
    /// <returns>The report.</returns>
    public static ErrorReport Parse(string json) => Parse<ErrorReport>(json);
}
