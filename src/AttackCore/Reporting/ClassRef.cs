namespace AttackCore.Reporting;

/// <summary>A class named without a score: the true class or the target class.</summary>
public sealed record ClassRef
{
    /// <summary>Gets the model's output index of the class.</summary>
    public required int Index { get; init; }

    /// <summary>Gets the class label.</summary>
    public required string Label { get; init; }
}
