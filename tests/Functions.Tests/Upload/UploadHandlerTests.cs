using System.Collections.Concurrent;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Settings;
using AdvAudit.Functions.Storage;
using AdvAudit.Functions.Tests.TestSupport;
using AdvAudit.Functions.Upload;
using AttackCore.Tests.TestSupport;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AdvAudit.Functions.Tests.Upload;

/// <summary>The upload handler against real Azurite blobs and the in-process durable engine.</summary>
public sealed class UploadHandlerTests
{
    private static readonly string SamplePng = RepoPaths.FromRoot("samples/fashion-mnist")!;

    private sealed class Harness : IAsyncDisposable
    {
        public required ServiceProvider Services { get; init; }

        public required DurableTaskTestHost Host { get; init; }

        public required ConcurrentBag<ImageWorkItem> Started { get; init; }

        public UploadHandler Sut => Services.GetRequiredService<UploadHandler>();

        public BlobStore Store => Services.GetRequiredService<BlobStore>();

        public StorageOptions Storage => Services.GetRequiredService<IOptions<StorageOptions>>().Value;

        public DurableTaskClient Client => Host.Client;

        public static async Task<Harness> StartAsync(string tag, Action<Dictionary<string, string?>>? settings = null, TimeProvider? time = null)
        {
            Dictionary<string, string?> values = TestServices.Settings(tag);
            settings?.Invoke(values);
            ServiceProvider services = TestServices.Build(values, s =>
            {
                if (time is not null)
                {
                    s.AddSingleton(time);
                }
            });
            var started = new ConcurrentBag<ImageWorkItem>();

            // A stand-in for the real orchestration: it records its typed input.
            DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(tasks =>
                tasks.AddOrchestratorFunc<ImageWorkItem, string>(OrchestratorNames.ImageAudit, (_, item) =>
                {
                    started.Add(item);
                    return Task.FromResult(item.Name);
                }));
            var harness = new Harness { Services = services, Host = host, Started = started };
            await harness.Store.EnsureContainerAsync(harness.Storage.UploadsContainer);
            await harness.Store.EnsureContainerAsync(harness.Storage.ResultsContainer);
            return harness;
        }

        public async Task<BlobInfo> UploadAsync(string name, byte[] content)
        {
            await Store.WriteAsync(Storage.UploadsContainer, name, BinaryData.FromBytes(content), "application/octet-stream");
            return (await Store.TryGetInfoAsync(Storage.UploadsContainer, name))!;
        }

        public Task<UploadOutcome> DeliverAsync(string name, UploadSource source = UploadSource.Polling) =>
            Sut.HandleAsync(Storage.UploadsContainer, name, source, Client);

        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            await Services.DisposeAsync();
        }
    }

    private static byte[] Png() => File.ReadAllBytes(Directory.GetFiles(SamplePng, "*.png").OrderBy(f => f, StringComparer.Ordinal).First());

    [AzuriteFact]
    public async Task SameEventTwice_SchedulesOnce()
    {
        await using Harness h = await Harness.StartAsync("dup");
        BlobInfo blob = await h.UploadAsync("shoes/a.png", Png());
        string id = InstanceIds.ForImage(h.Storage.UploadsContainer, "shoes/a.png", blob.ETag);

        UploadOutcome first = await h.DeliverAsync("shoes/a.png");
        UploadOutcome second = await h.DeliverAsync("shoes/a.png");

        Assert.Equal((UploadOutcome.Scheduled, UploadOutcome.Duplicate), (first, second));
        OrchestrationMetadata done = await h.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        ImageWorkItem item = Assert.Single(h.Started);
        Assert.Equal(("shoes/a.png", "shoes/a.png", InstanceIds.NormalizeETag(blob.ETag)), (item.Name, item.ResultFolder, item.ETag));
        Assert.Equal(UploadOutcome.Duplicate, await h.DeliverAsync("shoes/a.png"));
    }

    [AzuriteFact]
    public async Task DuplicatedEventsAtOnce_ScheduleOnce()
    {
        await using Harness h = await Harness.StartAsync("race");
        await h.UploadAsync("b.png", Png());

        UploadOutcome[] outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => h.DeliverAsync("b.png")));

        Assert.Equal(1, outcomes.Count(o => o == UploadOutcome.Scheduled));
        Assert.Equal(3, outcomes.Count(o => o == UploadOutcome.Duplicate));
    }

    [AzuriteFact]
    public async Task ClaimLeftByADeadHandler_IsTakenOverAfterTheTimeout()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using Harness h = await Harness.StartAsync("stale", time: time);
        BlobInfo blob = await h.UploadAsync("e.png", Png());
        string id = InstanceIds.ForImage(h.Storage.UploadsContainer, "e.png", blob.ETag);
        Assert.True(await h.Store.TryCreateAsync(h.Storage.AttackWorkContainer, "claims/" + id, BinaryData.FromString(id)));

        UploadOutcome whileFresh = await h.DeliverAsync("e.png");
        time.Advance(TimeSpan.FromMinutes(6));
        UploadOutcome afterTimeout = await h.DeliverAsync("e.png");

        Assert.Equal((UploadOutcome.Duplicate, UploadOutcome.Scheduled), (whileFresh, afterTimeout));
    }

    [AzuriteFact]
    public async Task NewVersionOfTheSameName_IsScheduledAgain()
    {
        await using Harness h = await Harness.StartAsync("ver");
        await h.UploadAsync("c.png", Png());
        Assert.Equal(UploadOutcome.Scheduled, await h.DeliverAsync("c.png"));

        await h.UploadAsync("c.png", Png());

        Assert.Equal(UploadOutcome.Scheduled, await h.DeliverAsync("c.png"));
    }

    [AzuriteFact]
    public async Task CorruptBlob_GetsErrorJson_AndTheOriginalStays()
    {
        await using Harness h = await Harness.StartAsync("bad");
        byte[] text = "this is not a picture"u8.ToArray();
        BlobInfo before = await h.UploadAsync("docs/notes.png", text);

        UploadOutcome outcome = await h.DeliverAsync("docs/notes.png");

        Assert.Equal(UploadOutcome.Rejected, outcome);
        ErrorReport error = ErrorReport.Parse((await h.Store.ReadAsync(h.Storage.ResultsContainer, "docs/notes.png/error.json")).ToString());
        Assert.Equal(("docs/notes.png", "UnknownFormat"), (error.Input, error.Reason));
        Assert.Contains("text", error.Message, StringComparison.OrdinalIgnoreCase);
        BlobInfo after = (await h.Store.TryGetInfoAsync(h.Storage.UploadsContainer, "docs/notes.png"))!;
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(text, (await h.Store.ReadAsync(h.Storage.UploadsContainer, "docs/notes.png")).ToArray());
        Assert.Equal(BlobStore.ErrorMarker, await h.Store.GetCompletionAsync(h.Storage.ResultsContainer, "docs/notes.png"));
        Assert.Empty(h.Started);
    }

    [AzuriteFact]
    public async Task BlobOverTheSizeLimit_GetsErrorJsonWithoutBeingRead()
    {
        await using Harness h = await Harness.StartAsync("big", s => s[SettingNames.TriggerMaxImageMb] = "1");
        await h.UploadAsync("huge.png", new byte[(1024 * 1024) + 1]);

        UploadOutcome outcome = await h.DeliverAsync("huge.png");

        Assert.Equal(UploadOutcome.Rejected, outcome);
        ErrorReport error = ErrorReport.Parse((await h.Store.ReadAsync(h.Storage.ResultsContainer, "huge.png/error.json")).ToString());
        Assert.Equal("TooLarge", error.Reason);
        Assert.Contains("Trigger__MaxImageMb", error.Message, StringComparison.Ordinal);
        Assert.True(await h.Store.ExistsAsync(h.Storage.UploadsContainer, "huge.png"));
    }

    [AzuriteFact]
    public async Task MetadataBomb_GetsErrorJsonWithoutInflating()
    {
        await using Harness h = await Harness.StartAsync("bomb");
        byte[] bomb = AttackCore.Tests.Imaging.PngChunks.InsertAfterIhdr(Png(), AttackCore.Tests.Imaging.PngChunks.Ztxt("Comment", AttackCore.Tests.Imaging.PngChunks.ZlibOfZeros(256L * 1024 * 1024)));
        await h.UploadAsync("bombs/b.png", bomb);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        UploadOutcome outcome = await h.DeliverAsync("bombs/b.png");

        Assert.Equal(UploadOutcome.Rejected, outcome);
        ErrorReport error = ErrorReport.Parse((await h.Store.ReadAsync(h.Storage.ResultsContainer, "bombs/b.png/error.json")).ToString());
        Assert.Equal("UnsafeMetadata", error.Reason);
        Assert.Contains("zTXt", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Empty(h.Started);
    }

    [AzuriteFact]
    public async Task DeletedBeforeHandling_IsGone()
    {
        await using Harness h = await Harness.StartAsync("gone");

        Assert.Equal(UploadOutcome.Gone, await h.DeliverAsync("never-there.png"));
    }

    [AzuriteFact]
    public async Task EventFromTheUnselectedTrigger_IsIgnored()
    {
        await using Harness h = await Harness.StartAsync("src");
        await h.UploadAsync("d.png", Png());

        Assert.Equal(UploadOutcome.Ignored, await h.DeliverAsync("d.png", UploadSource.EventGrid));
        Assert.Equal(UploadOutcome.Scheduled, await h.DeliverAsync("d.png", UploadSource.Polling));
    }
}
