using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;
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
            tasks =>
            {
                tasks.AddOrchestrator<ImageAuditOrchestrator>(OrchestratorNames.ImageAudit);
                tasks.AddActivity<ActivityAdapter<PrepareImage, ImageWorkItem, PrepareResult>>(nameof(PrepareImage));
                tasks.AddActivity<ActivityAdapter<AttackSlice, ImageCheckpoint, ImageCheckpoint>>(nameof(AttackSlice));
                tasks.AddActivity<ActivityAdapter<FinalizeImage, FinalizeInput, ImageAuditResult>>(nameof(FinalizeImage));
                tasks.AddActivity<ActivityAdapter<RecordUploadFailure, UploadFailureInput, bool>>(nameof(RecordUploadFailure));
                tasks.AddActivity<ActivityAdapter<AcquireImageSlot, string, bool>>(nameof(AcquireImageSlot));
                tasks.AddActivity<ActivityAdapter<ReleaseImageSlot, string, bool>>(nameof(ReleaseImageSlot));
                tasks.AddOrchestrator<AuditOrchestrator>(OrchestratorNames.Audit);
                tasks.AddActivity<ActivityAdapter<ListAuditImages, AuditListInput, AuditListPart>>(nameof(ListAuditImages));
                tasks.AddActivity<ActivityAdapter<LoadAuditChunk, AuditChunkInput, AuditChunk>>(nameof(LoadAuditChunk));
                tasks.AddActivity<ActivityAdapter<RecordImageFailure, ImageFailureInput, bool>>(nameof(RecordImageFailure));
                tasks.AddActivity<ActivityAdapter<SummarizeAuditChunk, AuditPartialInput, int>>(nameof(SummarizeAuditChunk));
                tasks.AddActivity<ActivityAdapter<WriteAuditSummary, AuditSummaryInput, AuditResult>>(nameof(WriteAuditSummary));
            },
            new DurableTaskTestHostOptions
            {
                // The activities are the app's own singletons (one model per "worker"), handed to the host's container.
                ConfigureServices = s =>
                {
                    s.AddSingleton(services.GetRequiredService<PrepareImage>());
                    s.AddSingleton(services.GetRequiredService<AttackSlice>());
                    s.AddSingleton(services.GetRequiredService<FinalizeImage>());
                    s.AddSingleton(services.GetRequiredService<RecordUploadFailure>());
                    s.AddSingleton(services.GetRequiredService<AcquireImageSlot>());
                    s.AddSingleton(services.GetRequiredService<ReleaseImageSlot>());
                    s.AddSingleton(services.GetRequiredService<ListAuditImages>());
                    s.AddSingleton(services.GetRequiredService<LoadAuditChunk>());
                    s.AddSingleton(services.GetRequiredService<RecordImageFailure>());
                    s.AddSingleton(services.GetRequiredService<SummarizeAuditChunk>());
                    s.AddSingleton(services.GetRequiredService<WriteAuditSummary>());
                },
            });
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
