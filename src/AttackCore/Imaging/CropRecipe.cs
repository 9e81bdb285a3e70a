using System.Globalization;
using AttackCore.Models;

namespace AttackCore.Imaging;

/// <summary>
/// How <see cref="ImagePreprocessor"/> brings an image to a model's square input: a <see cref="CropRule"/> with its
/// parameters. Made by <see cref="ShortSide"/> or <see cref="Central"/>, which check them, or taken from
/// <see cref="ModelSpec.Recipe"/>.
/// </summary>
public sealed record CropRecipe
{
    /// <summary>TF-slim's <c>central_fraction</c> in <c>preprocess_for_eval</c>.</summary>
    public const double TfSlimCentralFraction = 0.875;

    private CropRecipe(CropRule rule, int inputSize, int resizeTo, double centralFraction, ResizeFilter filter)
    {
        Rule = rule;
        InputSize = inputSize;
        ResizeTo = resizeTo;
        CentralFraction = centralFraction;
        Filter = filter;
    }

    /// <summary>Gets the rule.</summary>
    public CropRule Rule { get; }

    /// <summary>Gets the side of the square output in pixels.</summary>
    public int InputSize { get; }

    /// <summary>Gets the shortest side after resizing, for <see cref="CropRule.ShortSide"/> (<see cref="InputSize"/> otherwise).</summary>
    public int ResizeTo { get; }

    /// <summary>Gets the fraction of each side kept, for <see cref="CropRule.CentralFraction"/> (1 otherwise).</summary>
    public double CentralFraction { get; }

    /// <summary>Gets the resampling filter.</summary>
    public ResizeFilter Filter { get; }

    /// <summary>torchvision's <c>Resize(resizeTo)</c> then <c>CenterCrop(inputSize)</c> on a PIL image (timm's eval transform too).</summary>
    /// <param name="resizeTo">The shortest side after resizing; at least <paramref name="inputSize"/>.</param>
    /// <param name="inputSize">The side of the square output; positive.</param>
    /// <param name="filter">PIL's filter for the resize.</param>
    /// <returns>The recipe.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range, or the filter is not defined.</exception>
    public static CropRecipe ShortSide(int resizeTo, int inputSize, ResizeFilter filter = ResizeFilter.Bilinear)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(resizeTo, inputSize);
        if (!Enum.IsDefined(filter))
        {
            throw new ArgumentOutOfRangeException(nameof(filter), filter, $"The filter must be one of {string.Join(", ", Enum.GetNames<ResizeFilter>())}.");
        }

        return new CropRecipe(CropRule.ShortSide, inputSize, resizeTo, 1.0, filter);
    }

    /// <summary>TF-slim's <c>central_crop(centralFraction)</c> then a bilinear resize to <paramref name="inputSize"/> square.</summary>
    /// <param name="centralFraction">The fraction of each side kept, in (0, 1].</param>
    /// <param name="inputSize">The side of the square output; positive.</param>
    /// <returns>The recipe.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The fraction or the size is out of range.</exception>
    public static CropRecipe Central(double centralFraction, int inputSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        if (!(centralFraction > 0 && centralFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(centralFraction), centralFraction, "The central fraction must be in (0, 1].");
        }

        return new CropRecipe(CropRule.CentralFraction, inputSize, inputSize, centralFraction, ResizeFilter.Bilinear);
    }

    /// <summary>Says the rule in words, for reports.</summary>
    /// <returns>For example "resize shortest side to 342 (bilinear), center crop 299".</returns>
    public string Describe() => Rule == CropRule.CentralFraction
        ? string.Create(CultureInfo.InvariantCulture, $"central crop {CentralFraction} of each side, resize to {InputSize}x{InputSize} (bilinear, TF)")
        : string.Create(CultureInfo.InvariantCulture, $"resize shortest side to {ResizeTo} ({Filter.ToString().ToLowerInvariant()}), center crop {InputSize}");
}
