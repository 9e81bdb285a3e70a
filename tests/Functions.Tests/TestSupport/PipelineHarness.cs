using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Upload;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>
/// The whole per-image pipeline: the app's services over Azurite (containers unique to one test) and the real
/// orchestrator and activities in the in-process durable test host.
/// </summary>
internal sealed class PipelineHarness : IAsyncDisposable
{
    private PipelineHarness(ServiceProvider services, DurableTaskTestHost host)
    {
        Services = services;
        Host = host;
    }

    public ServiceProvider Services { get; }

    public DurableTaskTestHost Host { get; }

    public DurableTaskClient Client => Host.Client;

    public BlobStore Store => Services.GetRequiredService<BlobStore>();

    public StorageOptions Storage => Services.GetRequiredService<IOptions<StorageOptions>>().Value;

    public static async Task<PipelineHarness> StartAsync(string tag, Action<Dictionary<string, string?>> settings, Action<IServiceCollection>? more = null)
    {
        Dictionary<string, string?> values = TestServices.Settings(tag);
        settings(values);
        ServiceProvider services = TestServices.Build(values, more);
        DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(
            tasks => PipelineTasks.Register(tasks, typeof(ActivityAdapter<,,>)),
            new DurableTaskTestHostOptions { ConfigureServices = s => PipelineTasks.AddActivities(s, services) });
        var harness = new PipelineHarness(services, host);
        await harness.Store.EnsureContainerAsync(harness.Storage.UploadsContainer);
        await harness.Store.EnsureContainerAsync(harness.Storage.ResultsContainer);
        await harness.Store.EnsureContainerAsync(harness.Storage.AttackWorkContainer);
        return harness;
    }

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
        await Host.DisposeAsync();
        await Services.DisposeAsync();
    }
}
