using AttackCore.Tests.TestSupport;

namespace AttackCli.Tests.TestSupport;

/// <summary>
/// A fact that needs both shared MobileNets (<c>../shared/models/mobilenet_v2_1.0_224</c> and
/// <c>../shared/models/mobilenet_v1_0.5_160</c>) and the shared photos; skipped, with the reason shown, when any is absent.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SharedTransferFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="SharedTransferFactAttribute"/> class.</summary>
    public SharedTransferFactAttribute()
    {
        if ((SharedAssets.MissingReason ?? TransferAssets.MissingReason) is string reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>Where the second shared model (the transfer partner of MobileNet v2) is.</summary>
internal static class TransferAssets
{
    public const string ModelFolder = "mobilenet_v1_0.5_160";

    public const string Preset = "mobilenet-v1";

    public static string ModelPath { get; } =
        Path.Combine(SharedModelFactAttribute.SharedModelPath(ModelFolder) ?? "(repository root not found)", "model.onnx");

    public static string? MissingReason =>
        File.Exists(ModelPath) ? null : $"Shared model not found at {ModelPath}; the transfer tests need ../shared/models/{ModelFolder}/model.onnx beside the repository.";
}
