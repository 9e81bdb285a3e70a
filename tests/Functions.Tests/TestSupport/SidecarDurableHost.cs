using System.Net;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Tests.TestSupport;

/// <summary>
/// A durable backend (any <see cref="IOrchestrationService"/>) served by the test host's gRPC sidecar on a free loopback
/// port, with the DurableTask gRPC worker and client connected to it: the shape of the Functions host's sidecar.
/// </summary>
internal sealed class SidecarDurableHost : IAsyncDisposable
{
    private readonly WebApplication _sidecar;
    private readonly GrpcChannel _channel;
    private readonly IHost _worker;

    private SidecarDurableHost(WebApplication sidecar, GrpcChannel channel, IHost worker)
    {
        _sidecar = sidecar;
        _channel = channel;
        _worker = worker;
        Client = worker.Services.GetRequiredService<DurableTaskClient>();
    }

    public DurableTaskClient Client { get; }

    /// <summary>
    /// The in-memory backend of the in-process test host, with work-item limits of its own: the package's service runs
    /// at most <see cref="Environment.ProcessorCount"/> activities and orchestration episodes at once and, at that limit,
    /// looks for the next only every 500 ms, which on a 2-core machine paces an audit of thousands of 30 ms activities
    /// at four a second. The Functions host has limits of its own too (host.json: 8 and 8).
    /// </summary>
    /// <param name="tasks">The orchestrators and activities the worker runs.</param>
    /// <param name="services">The worker's own services (the activities' dependencies).</param>
    /// <param name="loggerFactory">The backend's and the worker's logs.</param>
    /// <param name="limit">The most activities, and separately the most orchestration episodes, run at once.</param>
    /// <returns>The running host.</returns>
    public static Task<SidecarDurableHost> InMemoryAsync(Action<DurableTaskRegistry> tasks, Action<IServiceCollection> services, ILoggerFactory loggerFactory, int limit = 32)
    {
        var service = new LimitedInMemoryService(loggerFactory, limit);
        return StartAsync(service, service, tasks, services, loggerFactory);
    }

    /// <summary>Starts the sidecar over <paramref name="service"/>, then the worker and client connected to it.</summary>
    /// <param name="service">The backend the sidecar dispatches from.</param>
    /// <param name="client">The backend's client side (instances started, queried, waited for).</param>
    /// <param name="tasks">The orchestrators and activities the worker runs.</param>
    /// <param name="services">The worker's own services (the activities' dependencies).</param>
    /// <param name="loggerFactory">The sidecar's and the worker's logs.</param>
    /// <returns>The running host.</returns>
    public static async Task<SidecarDurableHost> StartAsync(IOrchestrationService service, IOrchestrationServiceClient client, Action<DurableTaskRegistry> tasks, Action<IServiceCollection> services, ILoggerFactory loggerFactory)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(service);
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        WebApplication sidecar = builder.Build();
        sidecar.MapGrpcService<TaskHubGrpcServer>();
        await sidecar.StartAsync();
        string address = sidecar.Urls.Single();

        var channel = GrpcChannel.ForAddress(address);
        HostApplicationBuilder workerBuilder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        services(workerBuilder.Services);
        workerBuilder.Services.AddSingleton(loggerFactory);
        workerBuilder.Services.AddDurableTaskWorker(b =>
        {
            b.UseGrpc(channel);
            b.AddTasks(tasks);
        });
        workerBuilder.Services.AddDurableTaskClient(b =>
        {
            b.UseGrpc(channel);
            b.RegisterDirectly();
        });
        IHost worker = workerBuilder.Build();
        await worker.StartAsync();
        return new SidecarDurableHost(sidecar, channel, worker);
    }

    public async ValueTask DisposeAsync()
    {
        await _worker.StopAsync();
        _worker.Dispose();
        await _channel.ShutdownAsync();
        _channel.Dispose();
        await _sidecar.StopAsync();
        await _sidecar.DisposeAsync();
    }

    /// <summary>The package's in-memory service with its two work-item limits replaced (the interface re-implemented for those two members only).</summary>
    private sealed class LimitedInMemoryService(ILoggerFactory loggerFactory, int limit) : InMemoryOrchestrationService(loggerFactory), IOrchestrationService
    {
        int IOrchestrationService.MaxConcurrentTaskOrchestrationWorkItems => limit;

        int IOrchestrationService.MaxConcurrentTaskActivityWorkItems => limit;
    }
}
