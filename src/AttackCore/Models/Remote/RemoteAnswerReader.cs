using System.Globalization;
using System.Text.Json;

namespace AttackCore.Models.Remote;

/// <summary>Reads the rows of scores out of a remote model's JSON answer, as the spec's paths and formats say.</summary>
internal sealed class RemoteAnswerReader(RemoteEndpoint endpoint, ModelSpec spec, IReadOnlyList<string> labels)
{
    private const float ProbabilityFloor = 1e-30f;
    private readonly Dictionary<string, int> _byLabel = IndexLabels(labels);

    /// <summary>Reads <paramref name="count"/> rows of scores from <paramref name="body"/>.</summary>
    /// <param name="body">The response body.</param>
    /// <param name="count">Images in the request.</param>
    /// <param name="batched">Whether the request used the batch form (answers under <see cref="RemoteEndpoint.ResultsPath"/>).</param>
    /// <returns>One row of <see cref="ModelSpec.NumClasses"/> scores per image (logits, log-probabilities, or one-hot for a label).</returns>
    /// <exception cref="FormatException">The body is not JSON or does not have the expected shape; the message says what was wrong.</exception>
    public float[][] Read(ReadOnlySpan<byte> body, int count, bool batched)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException e)
        {
            throw new FormatException($"the response is not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            var rows = new float[count][];
            if (!batched)
            {
                rows[0] = Row(document.RootElement);
                return rows;
            }

            if (!JsonPath.TryFind(document.RootElement, endpoint.ResultsPath, out JsonElement results) || results.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"resultsPath '{endpoint.ResultsPath}' does not name an array");
            }

            if (results.GetArrayLength() != count)
            {
                throw new FormatException(FormattableString.Invariant($"resultsPath '{endpoint.ResultsPath}' holds {results.GetArrayLength()} answers for {count} images"));
            }

            for (int i = 0; i < count; i++)
            {
                rows[i] = Row(results[i]);
            }

            return rows;
        }
    }

    private static Dictionary<string, int> IndexLabels(IReadOnlyList<string> labels)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
        {
            index.TryAdd(labels[i], i);
        }

        return index;
    }

    private float[] Row(JsonElement answer)
    {
        var row = new float[spec.NumClasses];
        if (endpoint.Answers == RemoteAnswers.Label)
        {
            row[LabelIndex(answer)] = 1f;
            return row;
        }

        if (!JsonPath.TryFind(answer, endpoint.ScoresPath, out JsonElement scores))
        {
            throw new FormatException($"scoresPath '{endpoint.ScoresPath}' is not in the response");
        }

        bool probabilities = spec.Output == OutputKind.Probabilities;
        if (endpoint.ScoresFormat == RemoteScoresFormat.Array)
        {
            if (scores.ValueKind != JsonValueKind.Array || scores.GetArrayLength() != spec.NumClasses)
            {
                throw new FormatException(FormattableString.Invariant($"scoresPath '{endpoint.ScoresPath}' must be an array of {spec.NumClasses} numbers; got {Describe(scores)}"));
            }

            for (int c = 0; c < row.Length; c++)
            {
                row[c] = Score(scores[c], probabilities, c);
            }

            return row;
        }

        if (scores.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"scoresPath '{endpoint.ScoresPath}' must be an object from class name to score; got {Describe(scores)}");
        }

        var seen = new bool[row.Length];
        foreach (JsonProperty property in scores.EnumerateObject())
        {
            int c = ClassOf(property.Name);
            row[c] = Score(property.Value, probabilities, c);
            seen[c] = true;
        }

        for (int c = 0; c < row.Length; c++)
        {
            if (!seen[c])
            {
                // A top-k answer leaves classes out: with probabilities they are (nearly) 0; a missing logit has no such value.
                row[c] = probabilities ? MathF.Log(ProbabilityFloor) : throw new FormatException($"the score map has no entry for class '{labels[c]}', and missing logits cannot be filled in (with \"output\": \"Probabilities\" they count as 0)");
            }
        }

        return row;
    }

    private int LabelIndex(JsonElement answer)
    {
        if (!JsonPath.TryFind(answer, endpoint.LabelPath, out JsonElement label))
        {
            throw new FormatException($"labelPath '{endpoint.LabelPath}' is not in the response");
        }

        if (label.ValueKind == JsonValueKind.String)
        {
            return ClassOf(label.GetString()!);
        }

        if (label.ValueKind == JsonValueKind.Number && label.TryGetInt32(out int index) && index >= 0 && index < spec.NumClasses)
        {
            return index;
        }

        throw new FormatException(FormattableString.Invariant($"labelPath '{endpoint.LabelPath}' must be a class name or an index in [0, {spec.NumClasses - 1}]; got {Describe(label)}"));
    }

    private int ClassOf(string name)
    {
        if (_byLabel.TryGetValue(name, out int c))
        {
            return c;
        }

        for (int i = 0; i < labels.Count; i++)
        {
            if (string.Equals(labels[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new FormatException($"class '{name}' is not one of the model's labels");
    }

    private static float Score(JsonElement value, bool probability, int index)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetSingle(out float score) || !float.IsFinite(score))
        {
            throw new FormatException(FormattableString.Invariant($"score {index} is not a finite number; got {Describe(value)}"));
        }

        if (!probability)
        {
            return score;
        }

        if (score is < 0f or > 1.0001f)
        {
            throw new FormatException(FormattableString.Invariant($"score {index} is {score}, not a probability in [0, 1] (set \"output\": \"Logits\" if the service returns logits)"));
        }

        return MathF.Log(MathF.Max(score, ProbabilityFloor));
    }

    private static string Describe(JsonElement value)
    {
        string text = value.GetRawText();
        return text.Length <= 80 ? text : string.Create(CultureInfo.InvariantCulture, $"{text[..80]}… ({value.ValueKind})");
    }
}
