using AdvAudit.Functions.Settings;
using AttackCore.Tests.TestSupport;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>The bundled Fashion-MNIST model as the pipeline tests serve it, and as a blob in the models container (a transfer target or a surrogate).</summary>
internal static class FashionModel
{
    public static string Folder { get; } = RepoPaths.FromRoot("models/fashion-mnist-cnn")!;

    public static string Samples { get; } = RepoPaths.FromRoot("samples/fashion-mnist")!;

    /// <summary>Serves the bundled model from its local spec on the CPU, attacked at eps 0.1.</summary>
    public static void Serve(Dictionary<string, string?> s)
    {
        ArgumentNullException.ThrowIfNull(s);
        s[SettingNames.ModelLocalPath] = Path.Combine(Folder, "model.json");
        s[SettingNames.ModelPreset] = string.Empty;
        s[SettingNames.ModelProvider] = "cpu";
        s[SettingNames.AttackEps] = "0.1";
    }

    /// <summary>Uploads the model as <paramref name="onnxBlob"/> with its sidecar JSON (same stem) and labels beside it.</summary>
    public static async Task UploadAsync(PipelineHarness h, string onnxBlob)
    {
        ArgumentNullException.ThrowIfNull(h);
        string container = h.Storage.ModelsContainer;
        string folder = onnxBlob.Contains('/', StringComparison.Ordinal) ? onnxBlob[..(onnxBlob.LastIndexOf('/') + 1)] : string.Empty;
        await h.Store.EnsureContainerAsync(container);
        await h.Store.WriteAsync(container, onnxBlob, BinaryData.FromBytes(File.ReadAllBytes(Path.Combine(Folder, "model.onnx"))), "application/octet-stream");
        await h.Store.WriteAsync(container, Path.ChangeExtension(onnxBlob, ".json"), BinaryData.FromBytes(File.ReadAllBytes(Path.Combine(Folder, "model.json"))), "application/json");
        await h.Store.WriteAsync(container, folder + "labels.txt", BinaryData.FromBytes(File.ReadAllBytes(Path.Combine(Folder, "labels.txt"))), "text/plain");
    }
}
