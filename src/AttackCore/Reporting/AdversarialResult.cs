namespace AttackCore.Reporting;

/// <summary>
/// The classification of the adversarial image after it was quantized to 8 bits, written as PNG,
/// read back and classified again: what a user of <c>adversarial.png</c> will see.
/// </summary>
public sealed record AdversarialResult
{
    /// <summary>Gets the five most probable classes of the PNG read back, most probable first.</summary>
    public required IReadOnlyList<ClassScore> Top5 { get; init; }

    /// <summary>Gets whether the PNG read back still meets the attack's success criterion.</summary>
    public required bool Verified { get; init; }

    /// <summary>Gets what the verification found, in words (for example why it failed after quantization).</summary>
    public required string VerificationNote { get; init; }
}
