using System.Security.Cryptography;
using AttackCore.Imaging;
using AttackCore.Reporting;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Engine;

/// <summary>
/// An input image made ready for the model: decoded with limits, brought to the model's input size
/// with the model's crop rule (<see cref="CropRecipe"/>), and kept as 8-bit pixels. The attack
/// perturbs exactly this crop, and the adversarial image is written at this size.
/// </summary>
public sealed class PreparedImage
{
    private PreparedImage(InputInfo input, float[] clean, byte[] cleanPng, int size)
    {
        Input = input;
        Clean = clean;
        CleanPng = cleanPng;
        Size = size;
    }

    /// <summary>Gets what the report says about the input file.</summary>
    public InputInfo Input { get; }

    /// <summary>Gets the clean crop as CHW floats in [0,1] on the 8-bit grid. Owned by this object; do not change it.</summary>
    public float[] Clean { get; }

    /// <summary>Gets the clean crop as a PNG file.</summary>
    public byte[] CleanPng { get; }

    /// <summary>Gets the side of the square crop in pixels.</summary>
    public int Size { get; }

    /// <summary>Decodes and preprocesses one input file.</summary>
    /// <param name="name">The input's name as the user knows it (file or blob name).</param>
    /// <param name="data">The file's bytes.</param>
    /// <param name="recipe">How the image becomes the model's input (the model spec's <c>Recipe</c>).</param>
    /// <param name="limits">Decoding limits; <see langword="null"/> uses <see cref="DecodeLimits.Default"/>.</param>
    /// <returns>The prepared image.</returns>
    /// <exception cref="InvalidImageException">The data is not an acceptable image; the message says why and what to do.</exception>
    public static PreparedImage Load(string name, byte[] data, CropRecipe recipe, DecodeLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(recipe);
        int inputSize = recipe.InputSize;
        using Image<Rgb24> decoded = ImageDecoder.Decode(data, limits ?? DecodeLimits.Default);
        using Image<Rgb24> crop = ImagePreprocessor.Preprocess(decoded, recipe);
        var clean = new float[3 * inputSize * inputSize];
        TensorImage.WriteChw(crop, clean);
        var input = new InputInfo
        {
            Name = name,
            Width = decoded.Width,
            Height = decoded.Height,
            Bytes = data.LongLength,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(data)),
        };
        return new PreparedImage(input, clean, PngCodec.Encode(crop), inputSize);
    }
}
