using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AdvAudit.Functions.Upload;
using AttackCore.Tests.TestSupport;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>Admission control of uploads: the slot blobs on Azurite, then uploads dropped at once through the real pipeline with a bound of 2.</summary>
public sealed class ImageSlotsTests
{
    private static readonly string FashionModel = RepoPaths.FromRoot("models/fashion-mnist-cnn/model.json")!;
    private static readonly string FashionSamples = RepoPaths.FromRoot("samples/fashion-mnist")!;

    private static void Bound(Dictionary<string, string?> s, int bound)
    {
        s[SettingNames.ModelLocalPath] = FashionModel;
        s[SettingNames.ModelPreset] = string.Empty;
        s[SettingNames.ModelProvider] = "cpu";
        s[SettingNames.AttackEps] = "0.1";
        s[SettingNames.AttackMaxQueries] = "300";
        s[SettingNames.AttackSliceQueries] = "20";
        s[SettingNames.AttackSlicesPerExecution] = "2";
        s[SettingNames.TriggerMaxImagesInFlight] = bound.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    [AzuriteFact]
    public async Task TryAcquireAsync_BoundOfTwo_GivesTwoSlots_IsIdempotent_AndReleaseFreesOne()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using ServiceProvider services = TestServices.Build(Settings("slots", 2), s => s.AddSingleton<TimeProvider>(time));
        ImageSlots sut = services.GetRequiredService<ImageSlots>();

        Assert.True(await sut.TryAcquireAsync("img-a", default));
        Assert.True(await sut.TryAcquireAsync("img-b", default));
        Assert.False(await sut.TryAcquireAsync("img-c", default));
        Assert.True(await sut.TryAcquireAsync("img-a", default));   // a retried acquire finds its own slot
        Assert.Equal(["img-a", "img-b"], (await sut.HoldersAsync(default)).Order(StringComparer.Ordinal));

        Assert.True(await sut.ReleaseAsync("img-a", default));
        Assert.False(await sut.ReleaseAsync("img-a", default));
        Assert.True(await sut.TryAcquireAsync("img-c", default));
        Assert.Equal(["img-b", "img-c"], (await sut.HoldersAsync(default)).Order(StringComparer.Ordinal));
    }

    [AzuriteFact]
    public async Task TryAcquireAsync_SlotNotRenewedForTheLease_IsTakenOverByOneRun()
    {
        using ServiceProvider services = TestServices.Build(Settings("stale", 1));
        ImageSlots sut = services.GetRequiredService<ImageSlots>();
        Assert.True(await sut.TryAcquireAsync("img-dead", default));
        var later = new FakeTimeProvider(DateTimeOffset.UtcNow + ImageSlots.Lease + TimeSpan.FromMinutes(1));
        using ServiceProvider after = TestServices.Build(Settings("stale", 1, services), s => s.AddSingleton<TimeProvider>(later));
        ImageSlots taker = after.GetRequiredService<ImageSlots>();

        Assert.False(await sut.TryAcquireAsync("img-new", default));   // still fresh by the real clock
        Assert.True(await taker.TryAcquireAsync("img-new", default));
        Assert.Equal(["img-new"], await taker.HoldersAsync(default));
    }

    [AzuriteFact]
    public async Task UploadsDroppedAtOnce_BoundOfTwo_NeverMoreThanTwoHoldState_AndAllFinishInTheirOwnFolders()
    {
        await using PipelineHarness h = await PipelineHarness.StartAsync("admit", s => Bound(s, 2));
        string[] files = [.. Directory.GetFiles(FashionSamples, "*.png").Order(StringComparer.Ordinal).Take(5)];
        // Same stem, two extensions: each keeps its own result folder.
        var uploads = new List<(string Name, byte[] Png)> { ("drop/a.png", File.ReadAllBytes(files[0])), ("drop/a.jpg", File.ReadAllBytes(files[0])) };
        uploads.AddRange(files.Skip(1).Select(f => ("drop/" + Path.GetFileName(f), File.ReadAllBytes(f))));

        var ids = new List<string>();
        foreach ((string name, byte[] png) in uploads)
        {
            (UploadOutcome outcome, string id, _) = await h.UploadAsync(name, png);
            Assert.Equal(UploadOutcome.Scheduled, outcome);
            ids.Add(id);
        }

        ImageSlots slots = h.Services.GetRequiredService<ImageSlots>();
        int mostHolders = 0, mostWithState = 0;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        Task<OrchestrationMetadata[]> all = Task.WhenAll(ids.Select(id => h.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token)));
        while (!all.IsCompleted)
        {
            mostHolders = Math.Max(mostHolders, (await slots.HoldersAsync(cts.Token)).Count);
            mostWithState = Math.Max(mostWithState, await RunsWithStateAsync(h, cts.Token));
            await Task.Delay(20, cts.Token);
        }

        OrchestrationMetadata[] done = await all;
        Assert.All(done, d => Assert.Equal(OrchestrationRuntimeStatus.Completed, d.RuntimeStatus));
        Assert.InRange(mostWithState, 1, 2);
        Assert.Equal(2, mostHolders);
        Assert.Empty(await slots.HoldersAsync(default));
        foreach ((string name, _) in uploads)
        {
            Assert.Equal(BlobStore.ReportMarker, await h.Store.GetCompletionAsync(h.Storage.ResultsContainer, ResultPaths.FolderFor(name)));
        }

        Assert.NotEqual(ResultPaths.FolderFor("drop/a.png"), ResultPaths.FolderFor("drop/a.jpg"));
    }

    private static Dictionary<string, string?> Settings(string tag, int bound, ServiceProvider? sameContainersAs = null)
    {
        Dictionary<string, string?> values = TestServices.Settings(tag);
        if (sameContainersAs is not null)
        {
            values[SettingNames.AttackWorkContainer] = sameContainersAs.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value.AttackWorkContainer;
        }

        values[SettingNames.TriggerMaxImagesInFlight] = bound.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return values;
    }

    /// <summary>The per-upload runs that have checkpoint blobs (attack state) in the work container now.</summary>
    private static async Task<int> RunsWithStateAsync(PipelineHarness h, CancellationToken cancellationToken)
    {
        var runs = new HashSet<string>(StringComparer.Ordinal);
        await foreach (BlobItem item in h.Store.Service.GetBlobContainerClient(h.Storage.AttackWorkContainer).GetBlobsAsync(new GetBlobsOptions { Prefix = CheckpointStore.PrefixOfAll(InstanceIds.ImagePrefix) }, cancellationToken))
        {
            runs.Add(item.Name.Split('/')[1]);
        }

        return runs.Count;
    }
}
