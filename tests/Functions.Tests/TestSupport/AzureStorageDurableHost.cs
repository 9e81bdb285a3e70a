using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>
/// The Azure Storage durable backend (DurableTask.AzureStorage: control and work-item queues, the history and instance
/// tables, partition leases; blobs for messages over 45 KiB, which the pipeline's inputs, kept small, do not reach) over
/// an Azurite account, served to the DurableTask gRPC worker and client by the test host's gRPC sidecar
/// (<see cref="SidecarDurableHost"/>). The task hub is this host's alone and is deleted when it is disposed.
/// </summary>
internal sealed class AzureStorageDurableHost : IAsyncDisposable
{
    private readonly AzureStorageOrchestrationService _service;
    private readonly SidecarDurableHost _host;
    private readonly ILoggerFactory _loggerFactory;

    private AzureStorageDurableHost(AzureStorageOrchestrationService service, SidecarDurableHost host, ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory;
        _service = service;
        _host = host;
    }

    public DurableTaskClient Client => _host.Client;

    /// <summary>Gets a task hub name no other test uses: letters and digits, starting with a letter, at most 45 characters.</summary>
    public static string UniqueTaskHub(string tag)
    {
        string letters = new([.. tag.Where(char.IsAsciiLetterOrDigit)]);
        return "t" + Guid.NewGuid().ToString("N")[..20] + letters[..Math.Min(letters.Length, 24)];
    }

    /// <summary>Creates the task hub in the account and starts the sidecar, then the worker and client connected to it.</summary>
    /// <param name="connectionString">An account with blob, queue and table endpoints.</param>
    /// <param name="taskHub">The task hub's name (its queues, tables and lease container are named after it).</param>
    /// <param name="tasks">The orchestrators and activities the worker runs.</param>
    /// <param name="services">The worker's own services (the activities' dependencies).</param>
    /// <returns>The running host.</returns>
    public static async Task<AzureStorageDurableHost> StartAsync(string connectionString, string taskHub, Action<DurableTaskRegistry> tasks, Action<IServiceCollection> services)
    {
        ILoggerProvider? log = FileLoggerProvider.FromEnvironment();
        ILoggerFactory loggerFactory = LoggerFactory.Create(b =>
        {
            if (log is not null)
            {
                b.AddProvider(log);
            }
        });
        var settings = new AzureStorageOrchestrationServiceSettings
        {
            LoggerFactory = loggerFactory,
            TaskHubName = taskHub,
            StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
            WorkerId = "advaudit-test-" + Guid.NewGuid().ToString("N")[..8],

            // Two control queues (four by default) still spread instances over partitions and their leases, with
            // half the polling of an idle hub.
            PartitionCount = 2,

            // The defaults suit a long-lived app: an idle queue is polled at most every 30 s, and a message whose
            // worker failed to complete it stays invisible for 5 minutes. A test waits on both, so both are short.
            MaxQueuePollingInterval = TimeSpan.FromSeconds(1),
            ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(30),
            WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(30),
        };
        var service = new AzureStorageOrchestrationService(settings);
        await service.CreateIfNotExistsAsync();
        SidecarDurableHost host = await SidecarDurableHost.StartAsync(new SidecarHistoryAdapter(service), service, tasks, services, loggerFactory);
        return new AzureStorageDurableHost(service, host, loggerFactory);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();

        // The sidecar stops the service without waiting for it (from a lifetime callback): stopped here, it no longer
        // renews its leases in the tables that go, with its queues and lease blobs, with the task hub.
        await _service.StopAsync(isForced: true);
        await _service.DeleteAsync();
        _loggerFactory.Dispose();
    }
}
