using System.Net;
using System.Net.Sockets;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using Azure;
using Microsoft.Extensions.DependencyInjection;

namespace AdvAudit.Functions.Tests.Storage;

/// <summary>What is left of a blob operation after its retries: an outage becomes <see cref="StorageUnavailableException"/>, refusals keep their status.</summary>
public sealed class StorageUnavailableTests
{
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task UnreachableStorage_AfterEveryRetry_IsStorageUnavailable_NamingThePipelineAndTheLastError()
    {
        Dictionary<string, string?> settings = TestServices.Settings("down");
        settings[SettingNames.StorageConnection] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:{ClosedPort()}/devstoreaccount1;";
        await using ServiceProvider services = TestServices.Build(settings);
        BlobStore store = services.GetRequiredService<BlobStore>();

        StorageUnavailableException read = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.ReadAsync("c", "a.png"));
        StorageUnavailableException write = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.WriteAsync("c", "a.png", BinaryData.FromString("x"), "text/plain"));

        Assert.Contains(StorageResilience.BlobRead, read.Message, StringComparison.Ordinal);
        Assert.Contains(StorageResilience.BlobWrite, write.Message, StringComparison.Ordinal);
        Assert.True(StorageResilience.IsTransient(read.InnerException!), read.InnerException!.ToString());
    }

    [AzuriteFact]
    public async Task Refusals_KeepTheirStatus_NotAnOutage()
    {
        await using ServiceProvider services = TestServices.Build(TestServices.Settings("refuse"));
        BlobStore store = services.GetRequiredService<BlobStore>();
        string container = Azurite.UniqueContainer("refuse");
        await store.EnsureContainerAsync(container);

        RequestFailedException missing = await Assert.ThrowsAsync<RequestFailedException>(() => store.ReadAsync(container, "missing.png"));

        Assert.Equal(404, missing.Status);
    }
}
