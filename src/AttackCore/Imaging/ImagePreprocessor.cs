using AttackCore.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace AttackCore.Imaging;

/// <summary>
/// Brings a decoded image to a model's input size the way ImageNet evaluation does: resize the shortest side,
/// then take the center square.
/// </summary>
public static class ImagePreprocessor
{
    /// <summary>Resizes and center-crops an image to <paramref name="spec"/>'s input size.</summary>
    /// <param name="image">The source image; not modified.</param>
    /// <param name="spec">Gives <see cref="ModelSpec.EffectiveResizeTo"/> and <see cref="ModelSpec.InputSize"/>.</param>
    /// <returns>A new <see cref="ModelSpec.InputSize"/>-square image that the caller owns and must dispose.</returns>
    public static Image<Rgb24> Preprocess(Image<Rgb24> image, ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return ResizeAndCenterCrop(image, spec.EffectiveResizeTo, spec.InputSize);
    }

    /// <summary>
    /// Resizes so the shortest side is <paramref name="resizeShortSide"/> (bilinear, aspect ratio kept), then
    /// crops the center <paramref name="cropSize"/> x <paramref name="cropSize"/> square.
    /// </summary>
    /// <remarks>
    /// <para>The long side becomes round(long x resizeShortSide / short), halves rounded away from zero. The crop
    /// starts at ((width - cropSize) / 2, (height - cropSize) / 2) with integer division, so an odd margin leaves
    /// the extra pixel on the right or bottom, as torchvision's <c>CenterCrop</c> does.</para>
    /// <para>An image that is already <paramref name="cropSize"/> square is returned as an exact copy even when
    /// <paramref name="resizeShortSide"/> is larger: it is taken to be model input already (an adversarial
    /// image saved as PNG and read back for verification must reach the model pixel for pixel, not resampled).
    /// A resize whose target equals the current size is likewise skipped, so only the crop applies.</para>
    /// <para>An image more than <see cref="MaxAspectBeforeCropFirst"/> times longer than wide (or the reverse) is
    /// cropped to the kept region first and then resized, so a long strip costs no more than a photo; its crop
    /// matches resize-then-crop within rounding.</para>
    /// <para>Resampling uses <see cref="KnownResamplers.Triangle"/> (bilinear); when shrinking, ImageSharp widens
    /// the kernel with the scale factor, which anti-aliases like PIL's bilinear rather than sampling four pixels.</para>
    /// </remarks>
    /// <param name="image">The source image; not modified.</param>
    /// <param name="resizeShortSide">The shortest side after resizing; at least <paramref name="cropSize"/>.</param>
    /// <param name="cropSize">The side of the square output; positive.</param>
    /// <returns>A new <paramref name="cropSize"/>-square image that the caller owns and must dispose.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cropSize"/> is not positive or exceeds <paramref name="resizeShortSide"/>.</exception>
    public static Image<Rgb24> ResizeAndCenterCrop(Image<Rgb24> image, int resizeShortSide, int cropSize)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(cropSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(resizeShortSide, cropSize);

        if (image.Width == cropSize && image.Height == cropSize)
        {
            return image.Clone();
        }

        (int width, int height) = ResizedSize(image.Width, image.Height, resizeShortSide);
        if ((long)Math.Max(width, height) > MaxAspectBeforeCropFirst * (long)Math.Min(width, height))
        {
            return CropThenResize(image, width, height, cropSize);
        }

        bool resize = width != image.Width || height != image.Height;
        var crop = new Rectangle((width - cropSize) / 2, (height - cropSize) / 2, cropSize, cropSize);
        return image.Clone(context =>
        {
            if (resize)
            {
                context.Resize(width, height, KnownResamplers.Triangle);
            }

            context.Crop(crop);
        });
    }

    /// <summary>
    /// Beyond this long-to-short ratio the image is cropped before it is resized. Resizing first costs in proportion
    /// to the resized image, which a strip makes huge: a 12000x1 PNG at a short side of 342 would become
    /// 4,104,000x342 (30 s and 4 GB) to keep 299x299 of it. No ordinary photo is this elongated, so photos keep the
    /// exact resize-then-crop result.
    /// </summary>
    internal const int MaxAspectBeforeCropFirst = 4;

    /// <summary>
    /// Crops the source to the region that the center crop of the resized image would keep, then resizes only that
    /// region to the output: the work is bounded by the source and the output, never by the resized size. The region
    /// is rounded outwards to whole source pixels, so the result matches resize-then-crop within rounding.
    /// </summary>
    private static Image<Rgb24> CropThenResize(Image<Rgb24> image, int resizedWidth, int resizedHeight, int cropSize)
    {
        (int x, int w, int targetX, int targetWidth) = SourceSpan(image.Width, resizedWidth, cropSize);
        (int y, int h, int targetY, int targetHeight) = SourceSpan(image.Height, resizedHeight, cropSize);
        var options = new ResizeOptions
        {
            Size = new Size(cropSize, cropSize),
            Mode = ResizeMode.Manual,
            TargetRectangle = new Rectangle(targetX, targetY, targetWidth, targetHeight),
            Sampler = KnownResamplers.Triangle,
        };
        return image.Clone(context => context.Crop(new Rectangle(x, y, w, h)).Resize(options));
    }

    // The source pixels under resized pixels [(resized - crop) / 2, that + crop) with one pixel of margin for the
    // kernel, as start and length, and where that span lands in output pixels (offset and size, rounded), so the
    // cropped span is scaled exactly as the whole image would have been.
    private static (int Start, int Length, int Target, int TargetLength) SourceSpan(int source, int resized, int crop)
    {
        double scale = (double)source / resized;
        int keptStart = (resized - crop) / 2;
        int start = Math.Clamp((int)Math.Floor(keptStart * scale) - 1, 0, source - 1);
        int end = Math.Clamp((int)Math.Ceiling((keptStart + crop) * scale) + 1, start + 1, source);
        int target = (int)Math.Round((start / scale) - keptStart, MidpointRounding.AwayFromZero);
        int targetEnd = (int)Math.Round((end / scale) - keptStart, MidpointRounding.AwayFromZero);
        return (start, end - start, target, Math.Max(1, targetEnd - target));
    }

    /// <summary>The size after scaling the shortest side to <paramref name="shortSide"/>, aspect ratio kept.</summary>
    internal static (int Width, int Height) ResizedSize(int width, int height, int shortSide)
    {
        if (width <= height)
        {
            return (shortSide, ScaleLongSide(height, width, shortSide));
        }

        return (ScaleLongSide(width, height, shortSide), shortSide);
    }

    private static int ScaleLongSide(int longSide, int shortSideBefore, int shortSideAfter) =>
        Math.Max(shortSideAfter, (int)Math.Round((double)longSide * shortSideAfter / shortSideBefore, MidpointRounding.AwayFromZero));
}
