using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>Which durable backend runs a pipeline harness's orchestrations.</summary>
public enum DurableBackend
{
    /// <summary>The in-process test host's in-memory orchestration service (<see cref="SidecarDurableHost.InMemoryAsync"/>).</summary>
    InMemory,

    /// <summary>
    /// The Azure Storage provider (<see cref="AzureStorageDurableHost"/>) in the harness's Azurite account: real
    /// queues, tables and leases.
    /// </summary>
    AzureStorage,
}

/// <summary>
/// The whole per-image pipeline: the app's services over Azurite (containers unique to one test) and the real
/// orchestrator and activities on a durable backend: the in-process durable test host, or the Azure Storage provider
/// in the same Azurite account.
/// </summary>
internal sealed class PipelineHarness : IAsyncDisposable
{
    private readonly IAsyncDisposable _durable;

    private PipelineHarness(ServiceProvider services, IAsyncDisposable durable, DurableTaskClient client)
    {
        Services = services;
        _durable = durable;
        Client = client;
    }

    public ServiceProvider Services { get; }

    /// <summary>The in-memory backend's warnings and errors, on the console.</summary>
    private static readonly ILoggerFactory QuietLogs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));

    public DurableTaskClient Client { get; }

    public BlobStore Store => Services.GetRequiredService<BlobStore>();

    public StorageOptions Storage => Services.GetRequiredService<IOptions<StorageOptions>>().Value;

    public static async Task<PipelineHarness> StartAsync(string tag, Action<Dictionary<string, string?>> settings, Action<IServiceCollection>? more = null, DurableBackend backend = DurableBackend.InMemory)
    {
        Dictionary<string, string?> values = TestServices.Settings(tag);
        settings(values);
        ServiceProvider services = TestServices.Build(values, more);

        PipelineHarness harness;
        if (backend == DurableBackend.AzureStorage)
        {
            AzureStorageDurableHost durable = await AzureStorageDurableHost.StartAsync(
                values[SettingNames.StorageConnection]!, AzureStorageDurableHost.UniqueTaskHub(tag), Register, s => PipelineTasks.AddActivities(s, services));
            harness = new PipelineHarness(services, durable, durable.Client);
        }
        else
        {
            SidecarDurableHost host = await SidecarDurableHost.InMemoryAsync(Register, s => PipelineTasks.AddActivities(s, services), QuietLogs);
            harness = new PipelineHarness(services, host, host.Client);
        }

        await harness.Store.EnsureContainerAsync(harness.Storage.UploadsContainer);
        await harness.Store.EnsureContainerAsync(harness.Storage.ResultsContainer);
        await harness.Store.EnsureContainerAsync(harness.Storage.AttackWorkContainer);
        return harness;
    }

    /// <summary>The app's orchestrators and activities, as the Functions host registers them.</summary>
    private static void Register(DurableTaskRegistry tasks) => PipelineTasks.Register(tasks, typeof(ActivityAdapter<,,>));

    /// <summary>Uploads a blob and hands its event to the upload handler, as the blob trigger does.</summary>
    public async Task<(UploadOutcome Outcome, string InstanceId, BlobInfo Blob)> UploadAsync(string name, byte[] content, IDictionary<string, string>? metadata = null)
    {
        await Store.WriteAsync(Storage.UploadsContainer, name, BinaryData.FromBytes(content), "image/png");
        if (metadata is not null)
        {
            await Store.Service.GetBlobContainerClient(Storage.UploadsContainer).GetBlobClient(name).SetMetadataAsync(metadata);
        }

        BlobInfo blob = (await Store.TryGetInfoAsync(Storage.UploadsContainer, name))!;
        UploadOutcome outcome = await Services.GetRequiredService<UploadHandler>().HandleAsync(Storage.UploadsContainer, name, UploadSource.Polling, Client);
        return (outcome, InstanceIds.ForImage(Storage.UploadsContainer, name, blob.ETag), blob);
    }

    public async Task<OrchestrationMetadata> WaitAsync(string instanceId, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    public async Task<byte[]> ReadResultAsync(string folder, string file) =>
        (await Store.ReadAsync(Storage.ResultsContainer, BlobStore.Join(folder, file))).ToArray();

    public async ValueTask DisposeAsync()
    {
        await _durable.DisposeAsync();
        await Services.DisposeAsync();
    }
}
