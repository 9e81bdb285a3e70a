namespace AttackCore.Reporting;

/// <summary>
/// What one other model (a transfer target) said about the clean and the adversarial image of a fooled input: the
/// adversarial image was made against the attacked model only, so this measures how well it transfers.
/// </summary>
/// <remarks>
/// Both images are the attacked model's crops (<c>clean.png</c> and <c>adversarial.png</c>), decoded and brought to
/// the target's input size with the target's own resize and center crop, then classified in one call. Class
/// indices are the target's own; labels are compared as text (case-insensitive), because two models may share a
/// label space with different background offsets.
/// </remarks>
public sealed record TransferResult
{
    /// <summary>Gets the target model.</summary>
    public required ModelInfo Model { get; init; }

    /// <summary>Gets the target's five most probable classes for the clean image, most probable first.</summary>
    public required IReadOnlyList<ClassScore> CleanTop5 { get; init; }

    /// <summary>Gets the target's five most probable classes for <c>adversarial.png</c>, most probable first.</summary>
    public required IReadOnlyList<ClassScore> AdversarialTop5 { get; init; }

    /// <summary>Gets whether the target's clean top-1 label is the attacked model's clean top-1 label.</summary>
    public required bool AgreesOnClean { get; init; }

    /// <summary>
    /// Gets whether the adversarial image fools the target too: untargeted, its adversarial top-1 class differs from
    /// its own clean top-1 class; targeted, its adversarial top-1 label is the attack's target label.
    /// </summary>
    public required bool Fooled { get; init; }
}
