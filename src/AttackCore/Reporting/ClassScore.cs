namespace AttackCore.Reporting;

/// <summary>One class in a ranking: which class and how strongly the model chose it.</summary>
public sealed record ClassScore
{
    /// <summary>Gets the model's output index of the class.</summary>
    public required int Index { get; init; }

    /// <summary>Gets the class label.</summary>
    public required string Label { get; init; }

    /// <summary>Gets the softmax probability of the class, in [0, 1].</summary>
    public required double Probability { get; init; }

    /// <summary>Gets the raw score (logit, or log-probability for models that output probabilities).</summary>
    public required double Logit { get; init; }
}
