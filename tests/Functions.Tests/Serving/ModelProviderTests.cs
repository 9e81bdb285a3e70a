using AdvAudit.Functions.Serving;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Models;
using AttackCore.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Tests.Serving;

public sealed class ModelProviderTests
{
    private static readonly string FashionFolder = RepoPaths.FromRoot("models/fashion-mnist-cnn")!;

    private static ServiceProvider Build(Action<Dictionary<string, string?>> settings)
    {
        Dictionary<string, string?> values = TestServices.Settings("model");
        values[SettingNames.ModelProvider] = "cpu";
        settings(values);
        return TestServices.Build(values);
    }

    [Fact]
    public async Task GetAsync_LocalJsonSpec_ServesOneBatchingClassifierPerWorker()
    {
        using ServiceProvider services = Build(s =>
        {
            s[SettingNames.ModelLocalPath] = Path.Combine(FashionFolder, "model.json");
            s[SettingNames.ModelPreset] = string.Empty;
        });
        ModelProvider sut = services.GetRequiredService<ModelProvider>();

        ServedModel[] models = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => sut.GetAsync()));

        Assert.All(models, m => Assert.Same(models[0], m));
        Assert.IsType<BatchingClassifier>(models[0].Classifier);
        Assert.Equal(("fashion-mnist-cnn", 28, 10), (models[0].Info.Name, models[0].Spec.InputSize, models[0].Classifier.NumClasses));
    }

    [Fact]
    public async Task GetAsync_WrongSha256Setting_FailsNamingTheSetting_AndTriesAgainNextTime()
    {
        using ServiceProvider services = Build(s =>
        {
            s[SettingNames.ModelLocalPath] = Path.Combine(FashionFolder, "model.onnx");
            s[SettingNames.ModelSha256] = new string('0', 64);
        });
        ModelProvider sut = services.GetRequiredService<ModelProvider>();

        ModelSpecException first = await Assert.ThrowsAsync<ModelSpecException>(() => sut.GetAsync());
        ModelSpecException second = await Assert.ThrowsAsync<ModelSpecException>(() => sut.GetAsync());

        Assert.Contains(SettingNames.ModelSha256, first.Message, StringComparison.Ordinal);
        Assert.NotSame(first, second);
    }

    [AzuriteFact]
    public async Task GetAsync_BlobWithSidecar_DownloadsOnceIntoTheCacheAndUsesTheSidecar()
    {
        using var cache = new TempFolder();
        using ServiceProvider services = Build(s =>
        {
            s[SettingNames.ModelBlobName] = "fashion/cnn.onnx";
            s[SettingNames.ModelCacheDir] = cache.Path;
            s[SettingNames.ModelPreset] = "inception-v3"; // the sidecar wins over the preset
        });
        BlobStore store = services.GetRequiredService<BlobStore>();
        string container = services.GetRequiredService<IOptions<StorageOptions>>().Value.ModelsContainer;
        await store.EnsureContainerAsync(container);
        await store.WriteAsync(container, "fashion/cnn.onnx", BinaryData.FromBytes(File.ReadAllBytes(Path.Combine(FashionFolder, "model.onnx"))), "application/octet-stream");
        await store.WriteAsync(container, "fashion/cnn.json", BinaryData.FromString(File.ReadAllText(Path.Combine(FashionFolder, "model.json"))), "application/json");
        await store.WriteAsync(container, "fashion/labels.txt", BinaryData.FromString(File.ReadAllText(Path.Combine(FashionFolder, "labels.txt"))), "text/plain");

        ServedModel model = await services.GetRequiredService<ModelProvider>().GetAsync();

        Assert.Equal("fashion-mnist-cnn", model.Spec.Name);
        Assert.StartsWith(cache.Path, model.Spec.OnnxPath, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllLines(Path.Combine(FashionFolder, "labels.txt")).Where(l => l.Length > 0), model.Classifier.Labels);
        Assert.Single(Directory.GetFiles(cache.Path, "cnn.onnx", SearchOption.AllDirectories));
    }

    [AzuriteFact]
    public async Task GetAsync_MissingBlob_SaysWhichSettingNamesIt()
    {
        using ServiceProvider services = Build(s => s[SettingNames.ModelBlobName] = "nothing-here.onnx");

        ModelUnavailableException e = await Assert.ThrowsAsync<ModelUnavailableException>(() => services.GetRequiredService<ModelProvider>().GetAsync());

        Assert.Contains(SettingNames.ModelBlobName, e.Message, StringComparison.Ordinal);
    }
}
