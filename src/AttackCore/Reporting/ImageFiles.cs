namespace AttackCore.Reporting;

/// <summary>Names of the image files written beside the report, relative to the report's folder.</summary>
public sealed record ImageFiles
{
    /// <summary>Gets the clean image at the model's input size (what the model saw).</summary>
    /// <value>Defaults to <c>clean.png</c>.</value>
    public string Clean { get; init; } = "clean.png";

    /// <summary>Gets the adversarial image; <see langword="null"/> when none was written.</summary>
    /// <value>Defaults to <c>adversarial.png</c>.</value>
    public string? Adversarial { get; init; } = "adversarial.png";

    /// <summary>Gets the amplified perturbation around mid-grey; <see langword="null"/> when none was written.</summary>
    /// <value>Defaults to <c>perturbation.png</c>.</value>
    public string? Perturbation { get; init; } = "perturbation.png";
}
