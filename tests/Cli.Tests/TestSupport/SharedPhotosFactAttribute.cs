using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests.TestSupport;

/// <summary>
/// A fact that runs the CLI on the shared MobileNet v2 and the shared photos beside the repository
/// (<c>../shared/models/mobilenet_v2_1.0_224/model.onnx</c>, <c>../shared/images</c>); skipped, with the reason
/// shown, when either is absent.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SharedPhotosFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="SharedPhotosFactAttribute"/> class.</summary>
    public SharedPhotosFactAttribute()
    {
        if (SharedAssets.MissingReason is string reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>Where the shared model and photos are, and whether they are there.</summary>
internal static class SharedAssets
{
    public const string ModelFolder = "mobilenet_v2_1.0_224";

    public const string Preset = "mobilenet-v2";

    public static string ModelPath { get; } =
        Path.Combine(SharedModelFactAttribute.SharedModelPath(ModelFolder) ?? "(repository root not found)", "model.onnx");

    public static string ImagesPath { get; } =
        RepoPaths.FromRoot(Path.Combine("..", "shared", "images")) ?? "(repository root not found)";

    /// <summary>Gets the shared photos, sorted by name.</summary>
    public static IReadOnlyList<string> Photos =>
        Directory.Exists(ImagesPath)
            ? Directory.EnumerateFiles(ImagesPath, "*.png").Order(StringComparer.Ordinal).ToList()
            : [];

    public static string? MissingReason =>
        !File.Exists(ModelPath) ? $"Shared model not found at {ModelPath}; these tests need ../shared/models/{ModelFolder}/model.onnx beside the repository."
        : Photos.Count == 0 ? $"Shared photos not found at {ImagesPath}; these tests need the PNG photos in ../shared/images beside the repository."
        : null;

    public static string Photo(string fileName) => Path.Combine(ImagesPath, fileName);

    /// <summary>The arguments that select the shared model.</summary>
    public static string[] ModelArgs => ["--model", ModelPath, "--preset", Preset];
}
