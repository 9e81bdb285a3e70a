using System.Diagnostics.CodeAnalysis;

namespace AttackCore.Models;

/// <summary>
/// Specs of the common Inception_V3 exports (and a small MobileNet V2 for tests), selectable by name.
/// </summary>
/// <remarks>
/// <para>
/// Cropping: each preset follows the evaluation code of the family its weights come from, exactly (see
/// <see cref="Imaging.ImagePreprocessor"/>). torchvision weights: <c>Resize(342)</c> (bilinear, on Pillow) and
/// <c>CenterCrop(299)</c> (256 and 224 for the torch.hub export). timm: its eval transform with the model's
/// config, for Inception_V3 <c>crop_pct</c> 0.875 and bicubic, so <c>Resize(floor(299 / 0.875) = 341)</c> then
/// <c>CenterCrop(299)</c>. TF-slim (the Inception_V3 checkpoint and both MobileNets, which TF-slim evaluates with
/// <c>inception_preprocessing</c>): <c>central_crop(0.875)</c> of each side, then a bilinear resize to the input
/// size that does not keep the aspect ratio. Keras ships no evaluation crop of its own; its preset uses TF-slim's.
/// </para>
/// <para>
/// Only presets with a <see cref="ModelSpec.DownloadUrl"/> can be fetched automatically; the others describe
/// files the user exports and passes by path (with a sidecar JSON, or by choosing the preset by name and
/// giving the file's path).
/// </para>
/// </remarks>
public static class ModelPresets
{
    /// <summary>The name of the default preset, <see cref="InceptionV3Timm"/>.</summary>
    public const string DefaultName = "inception-v3";

    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>
    /// Gets the ONNX Model Zoo export of timm's <c>inception_v3.tv_in1k</c> (torchvision weights):
    /// <c>Computer_Vision/inception_v3_Opset17_timm/inception_v3_Opset17.onnx</c>, input [1, 3, 299, 299]
    /// (batch fixed to 1 in the file; the classifier makes it symbolic), 95,317,116 bytes.
    /// Resize 341 (bicubic) then crop 299 (timm's <c>crop_pct</c> 0.875: floor(299 / 0.875)), 1000 logits, and
    /// [-1, 1] input: timm's config for this model uses the "Inception" mean and std (0.5, 0.5, 0.5), because these weights were trained on
    /// [-1, 1] input (torchvision reaches the same domain through <c>transform_input</c>, which timm does not
    /// have). The default preset.
    /// </summary>
    /// <remarks>
    /// The URL points at GitHub's media server because the file is stored with Git LFS: the <c>raw</c> URL
    /// only redirects there.
    /// </remarks>
    public static ModelSpec InceptionV3Timm { get; } = new()
    {
        Name = "inception-v3-timm",
        InputSize = 299,
        ResizeTo = 341,
        Interpolation = ResizeFilter.Bicubic,
        Scaling = InputScaling.MinusOneToOne,
        NumClasses = 1000,
        Output = OutputKind.Logits,
        Sha256 = "d714dcf66d2a2819681b7e1900deab67d5a4be0725014390bd044d1fea746b1c",
        DownloadUrl = new Uri("https://media.githubusercontent.com/media/onnx/models/main/Computer_Vision/inception_v3_Opset17_timm/inception_v3_Opset17.onnx"),
    };

    /// <summary>
    /// Gets the ONNX Model Zoo export of the torch.hub Inception_V3
    /// (<c>Computer_Vision/inception_v3_Opset17_torch_hub/inception_v3_Opset17.onnx</c>). It was traced at
    /// 224 x 224 (input [1, 3, 224, 224]) with torchvision's <c>transform_input</c> baked in, so it takes
    /// ImageNet mean/std input: resize 256 (bilinear), crop 224, torchvision's recipe at this size; 1000 logits.
    /// </summary>
    public static ModelSpec InceptionV3TorchHub { get; } = new()
    {
        Name = "inception-v3-torchhub",
        InputSize = 224,
        ResizeTo = 256,
        Scaling = InputScaling.MeanStd,
        Mean = ImageNetMean,
        Std = ImageNetStd,
        NumClasses = 1000,
        Output = OutputKind.Logits,
        Sha256 = "2bf53d021ea7c60ee8238f144681b3d5b9546dea373dbe244cb0698795142676",
        DownloadUrl = new Uri("https://media.githubusercontent.com/media/onnx/models/main/Computer_Vision/inception_v3_Opset17_torch_hub/inception_v3_Opset17.onnx"),
    };

    /// <summary>
    /// Gets a user export of torchvision's <c>inception_v3(weights=IMAGENET1K_V1)</c>: resize 342 (bilinear),
    /// center crop 299, ImageNet mean/std (the model's <c>transform_input</c> maps it back to [-1, 1] inside),
    /// NCHW RGB, 1000 logits.
    /// </summary>
    public static ModelSpec InceptionV3Torchvision { get; } = new()
    {
        Name = "inception-v3-torchvision",
        InputSize = 299,
        ResizeTo = 342,
        Scaling = InputScaling.MeanStd,
        Mean = ImageNetMean,
        Std = ImageNetStd,
        NumClasses = 1000,
        Output = OutputKind.Logits,
    };

    /// <summary>
    /// Gets a user export (tf2onnx) of <c>keras.applications.InceptionV3</c>: [-1, 1] input
    /// (<c>preprocess_input</c>), NHWC as Keras keeps it, TF-slim's central crop (87.5 % of each side) resized to 299,
    /// 1000 softmax probabilities (Keras' default <c>classifier_activation</c>), turned into log-probabilities.
    /// </summary>
    public static ModelSpec InceptionV3Keras { get; } = new()
    {
        Name = "inception-v3-keras",
        InputSize = 299,
        Crop = CropRule.CentralFraction,
        CentralFraction = Imaging.CropRecipe.TfSlimCentralFraction,
        Layout = TensorLayout.Nhwc,
        Scaling = InputScaling.MinusOneToOne,
        NumClasses = 1000,
        Output = OutputKind.Probabilities,
    };

    /// <summary>
    /// Gets a user export of the TF-slim checkpoint <c>inception_v3_2016_08_28</c>: 1001 classes with
    /// "background" at index 0 (<see cref="ModelSpec.BackgroundOffset"/> 1), [-1, 1] input, NHWC, and TF-slim's
    /// <c>central_crop(0.875)</c> resized to 299. Export the logits node (<c>InceptionV3/Logits/SpatialSqueeze</c>); for the
    /// <c>Predictions</c> node set <c>output</c> to <c>Probabilities</c> in a sidecar JSON.
    /// </summary>
    public static ModelSpec InceptionV3TfSlim { get; } = new()
    {
        Name = "inception-v3-tfslim",
        InputSize = 299,
        Crop = CropRule.CentralFraction,
        CentralFraction = Imaging.CropRecipe.TfSlimCentralFraction,
        Layout = TensorLayout.Nhwc,
        Scaling = InputScaling.MinusOneToOne,
        NumClasses = 1001,
        BackgroundOffset = 1,
        Output = OutputKind.Logits,
    };

    /// <summary>
    /// Gets a user-supplied TF-slim MobileNet V2 1.0 at 224 converted to ONNX NCHW (as the test model in
    /// <c>shared/models/mobilenet_v2_1.0_224</c>): [-1, 1] input, TF-slim's <c>central_crop(0.875)</c> resized to
    /// 224, 1001 logits with background at index 0.
    /// </summary>
    public static ModelSpec MobileNetV2 { get; } = new()
    {
        Name = "mobilenet-v2",
        InputSize = 224,
        Crop = CropRule.CentralFraction,
        CentralFraction = Imaging.CropRecipe.TfSlimCentralFraction,
        Scaling = InputScaling.MinusOneToOne,
        NumClasses = 1001,
        BackgroundOffset = 1,
        Output = OutputKind.Logits,
    };

    /// <summary>
    /// Gets a user-supplied TF-slim MobileNet V1 at 160 x 160 (any depth multiplier; the test model in
    /// <c>shared/models/mobilenet_v1_0.5_160</c> is 0.5) converted to ONNX NCHW: [-1, 1] input, TF-slim's
    /// <c>central_crop(0.875)</c> resized to 160, 1001 logits with background at index 0. The same label space as <see cref="MobileNetV2"/> with
    /// another architecture and input size, which makes the pair a small transfer test.
    /// </summary>
    public static ModelSpec MobileNetV1 { get; } = new()
    {
        Name = "mobilenet-v1",
        InputSize = 160,
        Crop = CropRule.CentralFraction,
        CentralFraction = Imaging.CropRecipe.TfSlimCentralFraction,
        Scaling = InputScaling.MinusOneToOne,
        NumClasses = 1001,
        BackgroundOffset = 1,
        Output = OutputKind.Logits,
    };

    private static readonly Dictionary<string, ModelSpec> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        [DefaultName] = InceptionV3Timm,
        ["inception-v3-timm"] = InceptionV3Timm,
        ["inception-v3-torchhub"] = InceptionV3TorchHub,
        ["inception-v3-torchvision"] = InceptionV3Torchvision,
        ["inception-v3-keras"] = InceptionV3Keras,
        ["inception-v3-tfslim"] = InceptionV3TfSlim,
        ["mobilenet-v2"] = MobileNetV2,
        ["mobilenet-v1"] = MobileNetV1,
    };

    /// <summary>Gets the preset names accepted by <see cref="TryGet"/> (case-insensitive), the default first.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        DefaultName, "inception-v3-timm", "inception-v3-torchhub", "inception-v3-torchvision",
        "inception-v3-keras", "inception-v3-tfslim", "mobilenet-v2", "mobilenet-v1",
    ];

    /// <summary>Looks up a preset by name (case-insensitive).</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="spec">The preset, when found.</param>
    /// <returns><see langword="true"/> when <paramref name="name"/> is a preset.</returns>
    public static bool TryGet(string name, [NotNullWhen(true)] out ModelSpec? spec)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ByName.TryGetValue(name.Trim(), out spec);
    }
}
