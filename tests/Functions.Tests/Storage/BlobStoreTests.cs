using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Tests.Storage;

public class BlobStoreTests
{
    [AzuriteFact]
    public async Task WriteThenRead_RoundTripsContentTypeAndMetadata()
    {
        using ServiceProvider services = TestServices.Build(TestServices.Settings("store"));
        BlobStore sut = services.GetRequiredService<BlobStore>();
        string container = services.GetRequiredService<IOptions<StorageOptions>>().Value.ResultsContainer;
        await sut.EnsureContainerAsync(container);

        await sut.WriteAsync(container, "a/b.txt", BinaryData.FromString("hello"), "text/plain");
        BlobInfo? info = await sut.TryGetInfoAsync(container, "a/b.txt");
        BinaryData data = await sut.ReadAsync(container, "a/b.txt", info!.ETag);

        Assert.Equal(("hello", 5L, "text/plain"), (data.ToString(), info.Length, info.ContentType));
        Assert.Null(await sut.TryGetInfoAsync(container, "a/missing.txt"));
    }

    [AzuriteFact]
    public async Task ReadWithOldETag_FailsAtOnceWith412()
    {
        using ServiceProvider services = TestServices.Build(TestServices.Settings("etag"));
        BlobStore sut = services.GetRequiredService<BlobStore>();
        string container = services.GetRequiredService<IOptions<StorageOptions>>().Value.UploadsContainer;
        await sut.EnsureContainerAsync(container);
        await sut.WriteAsync(container, "x.bin", BinaryData.FromString("v1"), "application/octet-stream");
        string oldEtag = (await sut.TryGetInfoAsync(container, "x.bin"))!.ETag;
        await sut.WriteAsync(container, "x.bin", BinaryData.FromString("v2"), "application/octet-stream");

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => sut.ReadAsync(container, "x.bin", oldEtag));

        Assert.Equal(412, error.Status);
    }

    [AzuriteFact]
    public async Task MissingContainer_ReadIs404_NotRetriedForever()
    {
        using ServiceProvider services = TestServices.Build(TestServices.Settings("nocont"));
        BlobStore sut = services.GetRequiredService<BlobStore>();

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => sut.ReadAsync("no-such-container-" + Guid.NewGuid().ToString("N")[..8], "x.png"));

        Assert.Equal(404, error.Status);
    }

    [AzuriteFact]
    public async Task WriteResultFolder_WritesTheMarkerLast_AndIsCompleteOnlyThen()
    {
        using ServiceProvider services = TestServices.Build(TestServices.Settings("folder"));
        BlobStore sut = services.GetRequiredService<BlobStore>();
        string container = services.GetRequiredService<IOptions<StorageOptions>>().Value.ResultsContainer;
        await sut.EnsureContainerAsync(container);
        Assert.Null(await sut.GetCompletionAsync(container, "a/b"));

        await sut.WriteResultFolderAsync(container, "a/b",
        [
            new ResultFile(BlobStore.ReportMarker, BinaryData.FromString("{}"), "application/json"),
            new ResultFile("adversarial.png", BinaryData.FromBytes([1, 2, 3]), "image/png"),
        ]);

        var png = (await sut.TryGetInfoAsync(container, "a/b/adversarial.png"))!;
        Assert.Equal(BlobStore.ReportMarker, await sut.GetCompletionAsync(container, "a/b"));
        Assert.Equal(3, png.Length);
    }

    [AzuriteFact]
    public async Task WriteResultFolder_WithoutMarker_IsRefused()
    {
        using ServiceProvider services = TestServices.Build(TestServices.Settings("nomark"));
        BlobStore sut = services.GetRequiredService<BlobStore>();

        await Assert.ThrowsAsync<ArgumentException>(() => sut.WriteResultFolderAsync("results", "a", [new ResultFile("x.png", BinaryData.FromBytes([1]), "image/png")]));
    }
}
