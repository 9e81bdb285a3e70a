namespace AttackCore.Reporting;

/// <summary>The classification of the clean image and the class the attack moves away from.</summary>
public sealed record CleanResult
{
    /// <summary>Value of <see cref="TrueClassSource"/> when the true class is the clean image's top-1 class.</summary>
    public const string SourceCleanTop1 = "clean-top1";

    /// <summary>Value of <see cref="TrueClassSource"/> when the true class was given with the input.</summary>
    public const string SourceGiven = "given";

    /// <summary>Gets the five most probable classes of the clean image, most probable first.</summary>
    public required IReadOnlyList<ClassScore> Top5 { get; init; }

    /// <summary>Gets the class taken as the truth; an untargeted attack succeeds when the top-1 class is no longer this one.</summary>
    public required ClassRef TrueClass { get; init; }

    /// <summary>Gets where <see cref="TrueClass"/> came from: <see cref="SourceCleanTop1"/> or <see cref="SourceGiven"/>.</summary>
    public required string TrueClassSource { get; init; }
}
