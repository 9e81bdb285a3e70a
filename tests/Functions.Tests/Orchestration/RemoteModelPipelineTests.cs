using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Serving;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AttackCore.Models;
using AttackCore.Models.Remote;
using AttackCore.Reporting;
using AttackCore.Tests.Models.Remote;
using AttackCore.Tests.TestSupport;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>
/// The Functions pipeline attacking a model reached over HTTP (Kestrel on 127.0.0.1 serving the bundled Fashion-MNIST
/// model): the remote spec as a local setting or as a JSON blob in the models container, its API key from an app setting.
/// </summary>
public sealed class RemoteModelPipelineTests : IAsyncLifetime, IDisposable
{
    private const string KeySetting = "FASHION_SERVICE_KEY";
    private static readonly string FashionFolder = RepoPaths.FromRoot("models/fashion-mnist-cnn")!;
    private readonly TempFolder _temp = new();
    private OnnxClassifier _model = null!;
    private ClassifierServer _server = null!;

    public async Task InitializeAsync()
    {
        _model = new OnnxClassifier(ModelSpecLoader.Load(Path.Combine(FashionFolder, "model.json")), new OnnxClassifierOptions { Provider = ExecutionProviderKind.Cpu });
        _server = await ClassifierServer.StartAsync(_model);
        _server.Behavior.RequiredAuthorization = "Bearer from-app-settings";
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _model.Dispose();
        _temp.Dispose();
    }

    [AzuriteFact]
    public async Task Upload_RemoteSpecSetting_FooledThroughTheServiceWithKeyFromAppSettings()
    {
        string spec = _temp.Write("remote.json", Spec(labelsPath: Path.Combine(FashionFolder, "labels.txt")));
        await using PipelineHarness h = await PipelineHarness.StartAsync("remote", s =>
        {
            s[SettingNames.ModelLocalPath] = spec;
            s[SettingNames.ModelPreset] = string.Empty;
            s[SettingNames.AttackEps] = "0.1";
            s[SettingNames.AttackMaxQueries] = "1000";
            s[SettingNames.AttackSliceQueries] = "50";
            s[KeySetting] = "from-app-settings";
        });
        (_, string id, _) = await h.UploadAsync("fashion/0000-ankle-boot.png", File.ReadAllBytes(RepoPaths.FromRoot("samples/fashion-mnist/0000-ankle-boot.png")!));

        OrchestrationMetadata done = await h.WaitAsync(id, TimeSpan.FromMinutes(4));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(ImageOutcome.Fooled, done.ReadOutputAs<ImageAuditResult>()!.Outcome);
        AttackReport report = SchemaCheck.Report(System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync("fashion/0000-ankle-boot.png", "report.json")));
        Assert.Equal(("remote", _server.Url.ToString()), (report.Model.Provider, report.Model.Endpoint));

        // What the report claims, checked with the local file: the adversarial PNG fools it.
        using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(await h.ReadResultAsync("fashion/0000-ankle-boot.png", "adversarial.png"));   // gray PNG, R = G = B
        var pixels = new float[28 * 28];
        AttackCore.Imaging.TensorImage.WriteChw(image, pixels);
        var logits = new float[10];
        _model.Predict(pixels, 1, logits);
        Assert.NotEqual(report.Clean.TrueClass.Index, LogitMath.ArgMax(logits));
        Assert.True(_server.Requests > 0);

        // The image's own accounting, summed over its activities: every request the service saw was this image's.
        RemoteQueryInfo remote = Assert.IsType<RemoteQueryInfo>(report.Remote);
        Assert.Equal((_server.Url.ToString(), 1), (remote.Endpoint, remote.BatchImages));
        Assert.Equal(_server.Requests, remote.Requests);
        Assert.Equal(remote.Queries - remote.CacheHits, remote.Requests);
        Assert.True(remote.Queries > report.Outcome.Queries, $"{remote.Queries} remote queries include the clean and verification queries beyond the attack's {report.Outcome.Queries}");
        Assert.Equal((0, 0), (remote.Retries, remote.FailedRequests));
    }

    [AzuriteFact]
    public async Task Upload_ServiceRefusesTheKey_StopsAfterOneRequestWithErrorJsonNamingTheEndpoint()
    {
        string spec = _temp.Write("remote.json", Spec(labelsPath: Path.Combine(FashionFolder, "labels.txt")));
        await using PipelineHarness h = await PipelineHarness.StartAsync("remote401", s =>
        {
            s[SettingNames.ModelLocalPath] = spec;
            s[SettingNames.ModelPreset] = string.Empty;
            s[KeySetting] = "a-wrong-key";
        });
        (_, string id, _) = await h.UploadAsync("fashion/0000-ankle-boot.png", File.ReadAllBytes(RepoPaths.FromRoot("samples/fashion-mnist/0000-ankle-boot.png")!));

        OrchestrationMetadata done = await h.WaitAsync(id, TimeSpan.FromMinutes(2));

        // A 401 is permanent: the durable retry policy does not ask again (each retry would be another refused request).
        Assert.Equal(1, _server.Requests);
        Assert.NotEqual(ImageOutcome.Fooled, done.ReadOutputAs<ImageAuditResult>()?.Outcome);
        string error = System.Text.Encoding.UTF8.GetString(await h.ReadResultAsync("fashion/0000-ankle-boot.png", "error.json"));
        Assert.Contains("401", error, StringComparison.Ordinal);
        Assert.Contains(_server.Url.ToString(), error, StringComparison.Ordinal);
        Assert.True(await h.Store.ExistsAsync(h.Storage.UploadsContainer, "fashion/0000-ankle-boot.png"));   // the original stays
    }

    [AzuriteFact]
    public async Task Audit_ThroughTheService_EveryReportCountsItsOwnRequests()
    {
        string spec = _temp.Write("remote.json", Spec(labelsPath: Path.Combine(FashionFolder, "labels.txt")));
        await using PipelineHarness h = await PipelineHarness.StartAsync("raudit", s =>
        {
            TestServices.QuickFashionAudit(s);
            s[SettingNames.ModelLocalPath] = spec;
            s[KeySetting] = "from-app-settings";
        });
        string[] files = [.. Directory.GetFiles(RepoPaths.FromRoot("samples/fashion-mnist")!, "*.png").Order(StringComparer.Ordinal).Take(4)];
        foreach (string file in files)
        {
            await h.Store.WriteAsync(h.Storage.UploadsContainer, "batch/" + Path.GetFileName(file), BinaryData.FromBytes(await File.ReadAllBytesAsync(file)), "image/png");
        }

        string audit = await AuditCalls.StartAsync(h, new { prefix = "batch/", options = new { eps = 0.1, maxQueries = 1000 } });
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        OrchestrationMetadata done = await h.Client.WaitForInstanceCompletionAsync(AdvAudit.Functions.Audit.AuditStore.InstanceId(audit), getInputsAndOutputs: true, cts.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Dictionary<string, List<string>> markers = await AuditCalls.MarkersAsync(h, audit);
        Assert.Equal(files.Length, markers.Count);
        var reports = new List<AttackReport>();
        foreach ((string folder, List<string> found) in markers)
        {
            Assert.Equal([BlobStore.ReportMarker], found);
            reports.Add(ReportJson.Deserialize(await AuditCalls.ReadTextAsync(h, folder + "/" + BlobStore.ReportMarker)));
        }

        // Four images attacked at once through one shared client: each report has its own counts, and they add up.
        Assert.All(reports, r => Assert.True(r.Remote is { BatchImages: 1, Requests: > 0 }, "each report has its own remote counts"));
        Assert.Equal(_server.Requests, reports.Sum(r => r.Remote!.Requests));
        Assert.Equal(_server.ImageHashes.Count, reports.Sum(r => r.Remote!.Requests));
    }

    [AzuriteFact]
    public async Task GetAsync_RemoteSpecBlob_ServesTheServiceWithLabelsFromBeside()
    {
        using var cache = new TempFolder();
        Dictionary<string, string?> settings = TestServices.Settings("rmodel");
        settings[SettingNames.ModelBlobName] = "svc/fashion-remote.json";
        settings[SettingNames.ModelCacheDir] = cache.Path;
        settings[KeySetting] = "from-app-settings";
        using ServiceProvider services = TestServices.Build(settings);
        BlobStore store = services.GetRequiredService<BlobStore>();
        string container = services.GetRequiredService<IOptions<StorageOptions>>().Value.ModelsContainer;
        await store.EnsureContainerAsync(container);
        await store.WriteAsync(container, "svc/fashion-remote.json", BinaryData.FromString(Spec(labelsPath: "labels.txt")), "application/json");
        await store.WriteAsync(container, "svc/labels.txt", BinaryData.FromString(File.ReadAllText(Path.Combine(FashionFolder, "labels.txt"))), "text/plain");

        ServedModel model = await services.GetRequiredService<ModelProvider>().GetAsync();

        Assert.IsType<RemoteClassifier>(model.Classifier);
        Assert.Null(model.Onnx);
        Assert.Equal(File.ReadAllLines(Path.Combine(FashionFolder, "labels.txt")).Where(l => l.Length > 0), model.Classifier.Labels);
        var pixels = new float[28 * 28];
        var remote = new float[10];
        var local = new float[10];
        model.Classifier.Predict(pixels, 1, remote);
        _model.Predict(pixels, 1, local);
        Assert.Equal(local, remote);
    }

    private string Spec(string labelsPath) => $$"""
        {
          "name": "fashion-remote",
          "inputSize": 28,
          "channels": 1,
          "channelOrder": "Gray",
          "scaling": "ZeroToOne",
          "numClasses": 10,
          "labelsPath": "{{labelsPath.Replace("\\", "\\\\", StringComparison.Ordinal)}}",
          "remote": { "url": "{{_server.Url}}", "headers": { "Authorization": "Bearer ${{{KeySetting}}}" } }
        }
        """;
}
