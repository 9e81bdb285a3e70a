using System.Security.Cryptography;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace AttackCore.Engine;

/// <summary>
/// An input image made ready for the model: decoded with limits, made gray first when the model is grayscale
/// (<see cref="ChannelSpace"/>), brought to the model's input size with the model's crop rule
/// (<see cref="CropRecipe"/>), and kept as 8-bit pixels. The attack perturbs exactly this crop, and the adversarial
/// image is written at this size (as an 8-bit grayscale PNG for a gray model).
/// </summary>
/// <remarks>
/// A colour input to a gray model is converted before the resize, as <c>image.convert("L")</c> followed by the resize
/// does in a Pillow pipeline; on a gray input (R = G = B) the conversion changes nothing, so the order does not matter
/// there.
/// </remarks>
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

    /// <summary>Gets the clean crop as CHW floats in [0,1] on the 8-bit grid (3 planes, or 1 gray plane). Owned by this object; do not change it.</summary>
    public float[] Clean { get; }

    /// <summary>Gets the clean crop as a PNG file (8-bit RGB, or 8-bit grayscale for a gray model).</summary>
    public byte[] CleanPng { get; }

    /// <summary>Gets the side of the square crop in pixels.</summary>
    public int Size { get; }

    /// <summary>Gets the planes of <see cref="Clean"/>: 3 (RGB) or 1 (gray).</summary>
    public int Channels => Clean.Length / (Size * Size);

    /// <summary>Decodes and preprocesses one input file for a model: its crop rule and its channels (<see cref="ModelSpec.Pixels"/>).</summary>
    /// <param name="name">The input's name as the user knows it (file or blob name).</param>
    /// <param name="data">The file's bytes.</param>
    /// <param name="spec">The model, with its channels resolved (the classifier's <c>Spec</c>).</param>
    /// <param name="limits">Decoding limits; <see langword="null"/> uses <see cref="DecodeLimits.Default"/>.</param>
    /// <returns>The prepared image.</returns>
    /// <exception cref="InvalidImageException">The data is not an acceptable image; the message says why and what to do.</exception>
    public static PreparedImage Load(string name, byte[] data, ModelSpec spec, DecodeLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Load(name, data, spec.Recipe, limits, spec.Pixels);
    }

    /// <summary>Decodes and preprocesses one input file.</summary>
    /// <param name="name">The input's name as the user knows it (file or blob name).</param>
    /// <param name="data">The file's bytes.</param>
    /// <param name="recipe">How the image becomes the model's input (the model spec's <c>Recipe</c>).</param>
    /// <param name="limits">Decoding limits; <see langword="null"/> uses <see cref="DecodeLimits.Default"/>.</param>
    /// <param name="pixels">The attack's channels; <see langword="null"/> is <see cref="ChannelSpace.Rgb"/>.</param>
    /// <returns>The prepared image.</returns>
    /// <exception cref="InvalidImageException">The data is not an acceptable image; the message says why and what to do.</exception>
    public static PreparedImage Load(string name, byte[] data, CropRecipe recipe, DecodeLimits? limits = null, ChannelSpace? pixels = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(recipe);
        ChannelSpace space = pixels ?? ChannelSpace.Rgb;
        int inputSize = recipe.InputSize;
        using Image<Rgb24> decoded = ImageDecoder.Decode(data, limits ?? DecodeLimits.Default);
        using Image<Rgb24>? gray = space.IsGray ? GrayImage.ToGray(decoded, space.Conversion) : null;
        using Image<Rgb24> crop = ImagePreprocessor.Preprocess(gray ?? decoded, recipe);
        var clean = new float[space.Length(inputSize, inputSize)];
        TensorImage.WriteChw(crop, clean, space.Conversion);
        var input = new InputInfo
        {
            Name = name,
            Width = decoded.Width,
            Height = decoded.Height,
            Bytes = data.LongLength,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(data)),
        };
        byte[] png = space.IsGray ? PngCodec.EncodeChw(clean, inputSize, inputSize) : PngCodec.Encode(crop);
        return new PreparedImage(input, clean, png, inputSize);
    }
}
