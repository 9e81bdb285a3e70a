namespace AttackCore.Tests.TestSupport;

/// <summary>
/// A fact that needs a model from the shared folder beside the repository (<c>../shared/models/&lt;name&gt;</c>);
/// it is skipped, with the reason shown, when that folder is absent (xunit 2 has no dynamic skip).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class SharedModelFactAttribute : FactAttribute
{
    /// <summary>Initializes a new instance of the <see cref="SharedModelFactAttribute"/> class.</summary>
    /// <param name="modelFolder">The folder name under ../shared/models (e.g. "mobilenet_v2_1.0_224").</param>
    /// <param name="otherFolders">Further shared models the test needs (a target and its surrogate).</param>
    public SharedModelFactAttribute(string modelFolder, params string[] otherFolders)
    {
        ModelFolder = modelFolder;
        foreach (string folder in otherFolders.Prepend(modelFolder))
        {
            var path = SharedModelPath(folder);
            if (path is null || !File.Exists(Path.Combine(path, "model.onnx")))
            {
                Skip = $"Shared model '{folder}' not found at {path ?? "(repository root not found)"}; these tests need ../shared/models/{folder}/model.onnx beside the repository.";
                break;
            }
        }
    }

    /// <summary>Gets the folder name under ../shared/models.</summary>
    public string ModelFolder { get; }

    /// <summary>Returns the absolute folder of a shared model (it may not exist).</summary>
    public static string? SharedModelPath(string modelFolder) => RepoPaths.FromRoot(Path.Combine("..", "shared", "models", modelFolder));
}
