using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Imaging;

/// <summary>An amplified picture of a perturbation and the factor it was amplified by.</summary>
/// <param name="Image">Mid-gray where nothing changed (an <see cref="Image{L8}"/> for a gray perturbation, else <see cref="Image{Rgb24}"/>); owned by this object and disposed with it.</param>
/// <param name="Amplification">
/// What each change was multiplied by before it was added to mid-gray (0.5 / max |delta|), so that a report can
/// say "amplified 42x"; 1 when nothing changed.
/// </param>
public sealed record PerturbationRendering(Image Image, double Amplification) : IDisposable
{
    /// <summary>Disposes <see cref="Image"/>.</summary>
    public void Dispose() => Image.Dispose();
}
