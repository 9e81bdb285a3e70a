using System.Text.Json;
using System.Text.Json.Serialization;

namespace AttackCore.Reporting;

/// <summary>
/// The <c>error.json</c> written where a rejected input's results would be: which input, a machine-readable reason
/// and a message for a person. The one record and serializer of that file: the command line writes it as is, and the
/// Functions app derives a record that adds where the input blob was (container and ETag), written by the same
/// <see cref="ToJson"/>.
/// </summary>
/// <param name="Input">The input's name (a path relative to what was given, or a blob name).</param>
/// <param name="Reason">A machine-readable reason (e.g. <c>TooLarge</c>, <c>UnknownFormat</c>, <c>Corrupt</c>, <c>NotFound</c>).</param>
/// <param name="Message">What was wrong and what to do, for a person.</param>
public record InputErrorReport(
    [property: JsonPropertyOrder(0)] string Input,
    [property: JsonPropertyOrder(10)] string Reason,
    [property: JsonPropertyOrder(11)] string Message)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Gets the report as the text of <c>error.json</c>, with every field of the record's runtime type.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, GetType(), Json);

    /// <summary>Reads an <c>error.json</c>.</summary>
    /// <typeparam name="T">The record to read into (a derived one reads its added fields too).</typeparam>
    /// <param name="json">The text.</param>
    /// <returns>The report.</returns>
    /// <exception cref="JsonException">The text is not such a report.</exception>
    public static T Parse<T>(string json)
        where T : InputErrorReport =>
        JsonSerializer.Deserialize<T>(json, Json) ?? throw new JsonException("error.json is empty.");
}
