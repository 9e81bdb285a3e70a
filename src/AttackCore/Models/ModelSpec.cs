using System.Text.Json.Serialization;
using AttackCore.Imaging;

namespace AttackCore.Models;

/// <summary>Memory layout of the model's input tensor.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TensorLayout>))]
public enum TensorLayout
{
    /// <summary>[N, channels, height, width] (PyTorch, most ONNX exports).</summary>
    Nchw,

    /// <summary>[N, height, width, channels] (TensorFlow / Keras exports).</summary>
    Nhwc,
}

/// <summary>Order of the colour channels the model expects.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChannelOrder>))]
public enum ChannelOrder
{
    /// <summary>Red, green, blue.</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe-style exports).</summary>
    Bgr,

    /// <summary>
    /// Grayscale: the model looks at one gray value per pixel. A one-channel input is gray whatever the order says;
    /// a three-channel input with this order is fed the gray value in every channel (a gray model behind an RGB
    /// wrapper). Either way the attack works on the gray image alone.
    /// </summary>
    Gray,
}

/// <summary>How a colour image becomes the gray image a grayscale model sees (8-bit in, 8-bit out).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GrayConversion>))]
public enum GrayConversion
{
    /// <summary>
    /// ITU-R BT.601 luma, Y = 0.299 R + 0.587 G + 0.114 B, in Pillow's fixed point
    /// ((19595 R + 38470 G + 7471 B + 32768) >> 16, what <c>Image.convert("L")</c> and torchvision's
    /// <c>Grayscale()</c> compute).
    /// </summary>
    Bt601,

    /// <summary>ITU-R BT.709 luma, Y = 0.2126 R + 0.7152 G + 0.0722 B, rounded to the nearest 8-bit value.</summary>
    Bt709,

    /// <summary>The channel mean, (R + G + B) / 3, rounded to the nearest 8-bit value (halves up).</summary>
    Mean,
}

/// <summary>How 8-bit pixels become model input values.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InputScaling>))]
public enum InputScaling
{
    /// <summary>x = (p / 255 - mean[c]) / std[c] (torchvision, timm).</summary>
    MeanStd,

    /// <summary>x = p / 127.5 - 1, the range [-1, 1] (Keras, TF-slim).</summary>
    MinusOneToOne,

    /// <summary>x = p / 255, the range [0, 1].</summary>
    ZeroToOne,
}

/// <summary>How an image is cut down to the model's square input; each value reproduces one family's evaluation code.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CropRule>))]
public enum CropRule
{
    /// <summary>
    /// Resize the shortest side to <see cref="ModelSpec.ResizeTo"/> (aspect ratio kept), then take the center square:
    /// torchvision's <c>Resize(resizeTo)</c> + <c>CenterCrop(inputSize)</c> on a PIL image, which timm's eval transform
    /// also uses (with <c>resizeTo = floor(inputSize / crop_pct)</c>).
    /// </summary>
    ShortSide,

    /// <summary>
    /// Keep the central <see cref="ModelSpec.CentralFraction"/> of each side, then resize that region to the input size
    /// without keeping its aspect ratio: TF-slim's <c>preprocess_for_eval</c> (<c>tf.image.central_crop</c>, then
    /// <c>tf.image.resize_bilinear</c> with <c>align_corners=False</c>).
    /// </summary>
    CentralFraction,
}

/// <summary>The resampling filter of a resize.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ResizeFilter>))]
public enum ResizeFilter
{
    /// <summary>Bilinear: PIL's triangle filter for <see cref="CropRule.ShortSide"/>, TF's four-pixel bilinear for <see cref="CropRule.CentralFraction"/>.</summary>
    Bilinear,

    /// <summary>PIL's bicubic (a = -0.5), as timm configures for Inception_V3; only with <see cref="CropRule.ShortSide"/>.</summary>
    Bicubic,
}

/// <summary>What the model's output tensor holds.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OutputKind>))]
public enum OutputKind
{
    /// <summary>Pre-softmax scores.</summary>
    Logits,

    /// <summary>Softmax probabilities; the classifier turns them into log-probabilities.</summary>
    Probabilities,
}

/// <summary>
/// Everything needed to feed images to an ONNX image classifier and read its answer.
/// Loadable from a JSON file beside the model (<c>model.onnx</c> + <c>model.json</c>).
/// </summary>
public sealed record ModelSpec
{
    /// <summary>Gets a short name used in reports (for example <c>inception-v3-timm</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Gets the path of the ONNX file; relative paths are resolved against the JSON file's folder.</summary>
    public string? OnnxPath { get; init; }

    /// <summary>Gets the name of the input tensor; <see langword="null"/> takes the model's first input.</summary>
    public string? InputName { get; init; }

    /// <summary>Gets the name of the output tensor; <see langword="null"/> takes the model's first output.</summary>
    public string? OutputName { get; init; }

    /// <summary>Gets the input height and width in pixels (square inputs are the norm: 299 for Inception_V3).</summary>
    public required int InputSize { get; init; }

    /// <summary>
    /// Gets the shortest side the image is resized to before the center crop of <see cref="InputSize"/>
    /// (<see cref="CropRule.ShortSide"/> only; for a timm model, floor(inputSize / crop_pct)).
    /// </summary>
    /// <value>Defaults to <see cref="InputSize"/> (no margin cropped away).</value>
    public int? ResizeTo { get; init; }

    /// <summary>Gets how the image is cut down to the input size.</summary>
    /// <value>Defaults to <see cref="CropRule.ShortSide"/> (torchvision's resize and center crop).</value>
    public CropRule Crop { get; init; } = CropRule.ShortSide;

    /// <summary>Gets the fraction of each side kept by <see cref="CropRule.CentralFraction"/>; ignored by the other rule.</summary>
    /// <value>Defaults to 0.875, TF-slim's <c>central_fraction</c> for evaluation. Must be in (0, 1].</value>
    public double? CentralFraction { get; init; }

    /// <summary>Gets the resampling filter of the resize.</summary>
    /// <value>Defaults to <see cref="ResizeFilter.Bilinear"/>.</value>
    public ResizeFilter Interpolation { get; init; } = ResizeFilter.Bilinear;

    /// <summary>Gets the input tensor layout.</summary>
    /// <value>Defaults to <see cref="TensorLayout.Nchw"/>.</value>
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;

    /// <summary>Gets the channel order of the input tensor.</summary>
    /// <value>Defaults to <see cref="ChannelOrder.Rgb"/>.</value>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>
    /// Gets the number of channels of the model's input tensor, 1 or 3; <see langword="null"/> reads it from the ONNX
    /// input shape when the shape declares it (a declared value always wins over the spec, and a contradiction is an
    /// error), else 1 for <see cref="ChannelOrder.Gray"/> and 3 otherwise.
    /// </summary>
    public int? Channels { get; init; }

    /// <summary>Gets how a colour input becomes gray for a grayscale model (<see cref="AttackChannels"/> 1); unused for colour models.</summary>
    /// <value>Defaults to <see cref="GrayConversion.Bt601"/>.</value>
    public GrayConversion GrayConversion { get; init; } = GrayConversion.Bt601;

    /// <summary>Gets how pixel values are scaled.</summary>
    /// <value>Defaults to <see cref="InputScaling.MeanStd"/>.</value>
    public InputScaling Scaling { get; init; } = InputScaling.MeanStd;

    /// <summary>
    /// Gets the per-channel mean (RGB order, [0,1] units) for <see cref="InputScaling.MeanStd"/>: 3 values, or 1 for a
    /// one-channel model (or one value for every channel of a gray model).
    /// </summary>
    /// <value>Defaults to the ImageNet mean (0.485, 0.456, 0.406).</value>
    public IReadOnlyList<float> Mean { get; init; } = [0.485f, 0.456f, 0.406f];

    /// <summary>Gets the per-channel standard deviation (RGB order, [0,1] units) for <see cref="InputScaling.MeanStd"/>; as many values as <see cref="Mean"/>.</summary>
    /// <value>Defaults to the ImageNet std (0.229, 0.224, 0.225).</value>
    public IReadOnlyList<float> Std { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>Gets the number of scores the model outputs per image.</summary>
    public required int NumClasses { get; init; }

    /// <summary>
    /// Gets how many leading outputs are not ImageNet classes (1 for TF-slim's "background" at index 0).
    /// ImageNet class j is output index j + offset.
    /// </summary>
    /// <value>Defaults to 0.</value>
    public int BackgroundOffset { get; init; }

    /// <summary>Gets whether the output holds logits or probabilities.</summary>
    /// <value>Defaults to <see cref="OutputKind.Logits"/>.</value>
    public OutputKind Output { get; init; } = OutputKind.Logits;

    /// <summary>
    /// Gets the labels file (one label per output index, or per ImageNet class when it has
    /// <see cref="NumClasses"/> - <see cref="BackgroundOffset"/> lines); <see langword="null"/> uses the
    /// bundled ImageNet labels. Relative paths are resolved against the JSON file's folder.
    /// </summary>
    public string? LabelsPath { get; init; }

    /// <summary>Gets the expected SHA-256 (hex) of the ONNX file, checked when the model is loaded or downloaded.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Gets where the ONNX file can be downloaded from when it is not on disk.</summary>
    public Uri? DownloadUrl { get; init; }

    /// <summary>
    /// Gets a value indicating whether a download over plain <c>http</c> without a <see cref="Sha256"/> is accepted.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>: such a download is refused, because anyone on the network path
    /// could replace the file and nothing would notice. Give <see cref="Sha256"/> or an <c>https</c> URL instead when
    /// you can; set this (<c>"allowInsecureDownload": true</c> in the spec JSON) only to accept that risk.</value>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool AllowInsecureDownload { get; init; }

    /// <summary>Gets the number of channels of the model's input tensor: <see cref="Channels"/>, else 1 for <see cref="ChannelOrder.Gray"/>, else 3.</summary>
    [JsonIgnore]
    public int InputChannels => Channels ?? (ChannelOrder == ChannelOrder.Gray ? 1 : 3);

    /// <summary>
    /// Gets the number of channels the attack works in: 1 for a grayscale model (a one-channel input or
    /// <see cref="ChannelOrder.Gray"/>), else 3. Attack images, norms, eps and the written PNGs are in this space.
    /// </summary>
    [JsonIgnore]
    public int AttackChannels => ChannelOrder == ChannelOrder.Gray || InputChannels == 1 ? 1 : 3;

    /// <summary>Gets the attack's pixel space: <see cref="AttackChannels"/> with the <see cref="GrayConversion"/> colour inputs go through.</summary>
    [JsonIgnore]
    public ChannelSpace Pixels => AttackChannels == 1 ? ChannelSpace.Gray(GrayConversion) : ChannelSpace.Rgb;
    /// <summary>
    /// Gets the service that answers for this model when it is reached over HTTP instead of loaded from an ONNX file
    /// (<see cref="OnnxPath"/> is then omitted); see <see cref="Remote.RemoteClassifier"/>.
    /// </summary>
    public Remote.RemoteEndpoint? Remote { get; init; }

    /// <summary>Gets the shortest side to resize to: <see cref="ResizeTo"/> or <see cref="InputSize"/>.</summary>
    [JsonIgnore]
    public int EffectiveResizeTo => ResizeTo ?? InputSize;

    /// <summary>Gets the fraction kept by <see cref="CropRule.CentralFraction"/>: <see cref="CentralFraction"/> or 0.875.</summary>
    [JsonIgnore]
    public double EffectiveCentralFraction => CentralFraction ?? CropRecipe.TfSlimCentralFraction;

    /// <summary>Gets the crop rule with its parameters, as <see cref="Imaging.ImagePreprocessor"/> takes it.</summary>
    [JsonIgnore]
    public CropRecipe Recipe => Crop == CropRule.CentralFraction
        ? CropRecipe.Central(EffectiveCentralFraction, InputSize)
        : CropRecipe.ShortSide(EffectiveResizeTo, InputSize, Interpolation);
}
