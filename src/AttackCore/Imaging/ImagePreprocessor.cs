using AttackCore.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Imaging;

/// <summary>
/// Brings a decoded image to a model's input size exactly as the model family's evaluation code does: torchvision's
/// resize of the shortest side and center crop on Pillow (timm too), or TF-slim's central crop and bilinear resize.
/// </summary>
public static class ImagePreprocessor
{
    /// <summary>Brings an image to <paramref name="spec"/>'s input size with the spec's <see cref="ModelSpec.Recipe"/>.</summary>
    /// <param name="image">The source image; not modified.</param>
    /// <param name="spec">Gives the crop rule and the input size.</param>
    /// <returns>A new <see cref="ModelSpec.InputSize"/>-square image that the caller owns and must dispose.</returns>
    public static Image<Rgb24> Preprocess(Image<Rgb24> image, ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Preprocess(image, spec.Recipe);
    }

    /// <summary>Brings an image to <paramref name="recipe"/>'s input size with its rule.</summary>
    /// <remarks>
    /// <para><see cref="CropRule.ShortSide"/> (torchvision <c>Resize(resizeTo)</c> + <c>CenterCrop(inputSize)</c>): the
    /// shortest side becomes resizeTo and the long side (int)(resizeTo x long / short), truncated as torchvision's
    /// <c>int(...)</c> does; Pillow's resampling (see <see cref="PilResampler"/>) with the recipe's filter; the crop
    /// starts at round((resized - inputSize) / 2) on each axis with halves rounded to even, as Python's <c>round</c>
    /// does (a margin of 3 puts 2 pixels on the left). Only the kept window is computed, so a 12000x1 strip costs no
    /// more than a photo.</para>
    /// <para><see cref="CropRule.CentralFraction"/> (TF-slim): see <see cref="TfBilinear"/>; the aspect ratio is not
    /// kept, as in TF-slim.</para>
    /// <para>An image that is already inputSize square is returned as an exact copy whatever the rule: it is taken to
    /// be model input already (an adversarial image saved as PNG and read back for verification must reach the model
    /// pixel for pixel, not resampled).</para>
    /// </remarks>
    /// <param name="image">The source image; not modified.</param>
    /// <param name="recipe">The rule and its parameters.</param>
    /// <returns>A new <see cref="CropRecipe.InputSize"/>-square image that the caller owns and must dispose.</returns>
    public static Image<Rgb24> Preprocess(Image<Rgb24> image, CropRecipe recipe)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(recipe);
        int size = recipe.InputSize;
        if (image.Width == size && image.Height == size)
        {
            return image.Clone();
        }

        if (recipe.Rule == CropRule.CentralFraction)
        {
            return TfBilinear.Resize(image, TfBilinear.CentralCrop(image.Width, image.Height, recipe.CentralFraction), size);
        }

        (int width, int height) = ResizedSize(image.Width, image.Height, recipe.ResizeTo);
        var window = new Rectangle(CenterCropStart(width, size), CenterCropStart(height, size), size, size);
        return PilResampler.ResizeWindow(image, new Size(width, height), window, recipe.Filter);
    }

    /// <summary>
    /// The size after scaling the shortest side to <paramref name="shortSide"/>, aspect ratio kept: torchvision's
    /// <c>int(shortSide * long / short)</c> for the long side, truncated.
    /// </summary>
    internal static (int Width, int Height) ResizedSize(int width, int height, int shortSide)
    {
        if (width <= height)
        {
            return (shortSide, ScaleLongSide(height, width, shortSide));
        }

        return (ScaleLongSide(width, height, shortSide), shortSide);
    }

    /// <summary>torchvision's <c>CenterCrop</c> offset: <c>int(round((size - crop) / 2.0))</c>, halves to even.</summary>
    internal static int CenterCropStart(int size, int crop) => (int)Math.Round((size - crop) / 2.0, MidpointRounding.ToEven);

    // Python divides the exact product by the short side in double and truncates; the product of two ints is exact in
    // a double below 2^53, so this gives the same number. A long side beyond int (a strip millions of times longer
    // than wide, past any decode limit's default) throws rather than wrapping.
    private static int ScaleLongSide(int longSide, int shortSideBefore, int shortSideAfter) =>
        checked((int)((double)((long)shortSideAfter * longSide) / shortSideBefore));
}
