namespace AttackCore.Reporting;

/// <summary>A surrogate model a surrogate-based attack crafted on (a white-box model the attacker owns, never queried as the target).</summary>
public sealed record SurrogateInfo
{
    /// <summary>Gets the surrogate's name (its spec's name).</summary>
    public required string Name { get; init; }

    /// <summary>Gets the lower-case hex SHA-256 of its ONNX file; omitted for a surrogate that is not an ONNX file.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Gets the surrogate's own input size in pixels; the target's crop is resized to it inside its gradient graph.</summary>
    public required int InputSize { get; init; }
}
