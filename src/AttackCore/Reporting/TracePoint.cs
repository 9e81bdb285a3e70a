namespace AttackCore.Reporting;

/// <summary>The attack's state after a number of queries, for the loss and confidence charts.</summary>
public sealed record TracePoint
{
    /// <summary>Gets the queries spent so far by the attack.</summary>
    public required int Queries { get; init; }

    /// <summary>Gets the best loss so far (the margin loss: the attack has succeeded once it is below zero).</summary>
    public required double Loss { get; init; }

    /// <summary>Gets the softmax probability of the true class.</summary>
    public required double TrueConfidence { get; init; }

    /// <summary>Gets the softmax probability of <see cref="WinningClass"/>.</summary>
    public required double WinningConfidence { get; init; }

    /// <summary>Gets the target class for targeted attacks, else the most probable class other than the true one.</summary>
    public required int WinningClass { get; init; }
}
