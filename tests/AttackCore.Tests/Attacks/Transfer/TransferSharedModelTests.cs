using AttackCore.Attacks;
using AttackCore.Attacks.Transfer;
using AttackCore.Engine;
using AttackCore.Gradients;
using AttackCore.Imaging;
using AttackCore.Models;
using AttackCore.Reporting;
using AttackCore.Tests.TestSupport;

namespace AttackCore.Tests.Attacks.Transfer;

/// <summary>
/// The zero-query transfer attack between the two shared ImageNet models of different input sizes: MobileNet V1 (160)
/// crafting for MobileNet V2 (224) and the reverse, each surrogate resizing the target's crop inside its own graph.
/// </summary>
public class TransferSharedModelTests
{
    private const string V1 = "mobilenet_v1_0.5_160";
    private const string V2 = "mobilenet_v2_1.0_224";

    private static readonly string[] Photos = ["bird.png", "cat.png", "owl.png", "sunflower.png"];

    [SharedModelFact(V2, V1)]
    public void Run_MobileNetV1SurrogateAgainstMobileNetV2_FoolsSomeWithOneQueryEach() => AssertTransfers(target: (V2, "mobilenet-v2"), surrogate: (V1, "mobilenet-v1"));

    [SharedModelFact(V1, V2)]
    public void Run_MobileNetV2SurrogateAgainstMobileNetV1_FoolsSomeWithOneQueryEach() => AssertTransfers(target: (V1, "mobilenet-v1"), surrogate: (V2, "mobilenet-v2"));

    private static ModelSpec Shared(string folder, string preset)
    {
        string path = SharedModelFactAttribute.SharedModelPath(folder)!;
        Assert.True(ModelPresets.TryGet(preset, out ModelSpec? spec));
        return spec! with { OnnxPath = Path.Combine(path, "model.onnx"), LabelsPath = Path.Combine(path, "labels.txt") };
    }

    private static void AssertTransfers((string Folder, string Preset) target, (string Folder, string Preset) surrogate)
    {
        using var cache = new TempFolder();
        var cpu = new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu };
        ModelSpec targetSpec = Shared(target.Folder, target.Preset);
        using var model = new OnnxClassifier(targetSpec, cpu);
        using var crafter = OnnxGradientModel.ForPixelGrid(Shared(surrogate.Folder, surrogate.Preset), model.InputHeight, model.InputWidth, model.Channels, cpu, cache.Path);
        var photos = Photos
            .Select(name => PreparedImage.Load(name, File.ReadAllBytes(Path.Combine(SharedPhotosTheoryAttribute.Folder!, name)), targetSpec.Recipe))
            .ToList();
        var sut = new AttackRunner(model, ModelDescription.From(model), surrogates: [crafter]);

        IReadOnlyList<ImageResult> results = sut.Run(photos, new AttackRequest { Attack = new TransferOptions { Epsilon = 16 / 255.0 }, Minimize = false });

        Assert.All(results, r => Assert.Equal(1, r.Report.Outcome.Queries));
        Assert.All(results, r => Assert.Equal(10, r.Report.Outcome.SurrogateGradientEvaluations));
        Assert.All(results, r => Assert.Equal(surrogate.Preset, Assert.Single(r.Report.Attack.Surrogates!).Name));
        var fooled = results.Where(r => r.Report.Outcome.Status == OutcomeStatus.Fooled).ToList();
        Assert.NotEmpty(fooled);
        Assert.All(fooled, r => Assert.True(r.Report.Adversarial!.Verified));
        Assert.All(fooled, r => Assert.True(r.Report.Perturbation!.LInf <= (16 / 255.0) + 1e-6));
    }
}
