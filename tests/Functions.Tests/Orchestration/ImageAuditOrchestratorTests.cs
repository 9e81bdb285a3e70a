using System.Collections.Concurrent;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Upload;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;

namespace AdvAudit.Functions.Tests.Orchestration;

/// <summary>The orchestrator's own logic, in the in-process durable host with fake activities (no storage, no model).</summary>
public sealed class ImageAuditOrchestratorTests
{
    private static ImageWorkItem Item() => new() { Container = "uploads", Name = "a/b.png", ETag = "0x1", ResultFolder = "a/b" };

    private static ImageCheckpoint Start(int slicesPerExecution) => new()
    {
        WorkPrefix = "runs/x/",
        JobBlob = "runs/x/job.json",
        StateBlob = "runs/x/state-000000.bin",
        SlicesPerExecution = slicesPerExecution,
        MaxQueries = 1000,
        Queries = 1,
    };

    private sealed record Recorded(ConcurrentBag<int?> ExecutionStarts, ConcurrentQueue<int> Slices, ConcurrentQueue<string> Finalized)
    {
        public ConcurrentQueue<string> Slots { get; } = new();
    }

    private static async Task<(DurableTaskTestHost Host, Recorded Calls)> StartAsync(int slicesPerExecution, int finishAfter, Func<ImageWorkItem, PrepareResult>? prepare = null, int failFirstSlices = 0, int busySlotTries = 0, bool slotFails = false, bool sliceWritesResult = false)
    {
        var calls = new Recorded([], new(), new());
        int failures = 0, slotTries = 0;
        DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(tasks =>
        {
            tasks.AddActivityFunc<string, bool>(nameof(AcquireImageSlot), (_, _) =>
            {
                if (slotFails)
                {
                    throw new IOException("slot container unreachable");
                }

                bool got = Interlocked.Increment(ref slotTries) > busySlotTries;
                calls.Slots.Enqueue(got ? "acquired" : "busy");
                return got;
            });
            tasks.AddActivityFunc<string, bool>(nameof(ReleaseImageSlot), (_, _) =>
            {
                calls.Slots.Enqueue("released");
                return true;
            });
            // The real orchestrator, wrapped to record which checkpoint each execution starts from.
            tasks.AddOrchestratorFunc<ImageWorkItem, ImageAuditResult?>(OrchestratorNames.ImageAudit, (context, input) =>
            {
                if (!context.IsReplaying)
                {
                    calls.ExecutionStarts.Add(input.Checkpoint?.Slice);
                }

                return new ImageAuditOrchestrator().RunAsync(context, input);
            });
            tasks.AddActivityFunc<ImageWorkItem, PrepareResult>(nameof(PrepareImage), (_, item) => prepare?.Invoke(item) ?? new PrepareResult(Start(slicesPerExecution)));
            tasks.AddActivityFunc<ImageCheckpoint, ImageCheckpoint>(nameof(AttackSlice), (_, c) =>
            {
                if (Interlocked.Increment(ref failures) <= failFirstSlices)
                {
                    throw new IOException("storage hiccup");
                }

                int next = c.Slice + 1;
                calls.Slices.Enqueue(next);
                ImageCheckpoint after = c with { Slice = next, StateBlob = c.StateBlobAfter(next), Queries = c.Queries + 3, LowestMargin = 1.0 / next, Finished = next >= finishAfter };
                return sliceWritesResult && after.Finished
                    ? after with { Result = new ImageAuditResult { Outcome = ImageOutcome.NotFooled, ResultFolder = "r/a.png", Queries = (int)after.Queries } }
                    : after;
            });
            tasks.AddActivityFunc<UploadFailureInput, bool>(nameof(RecordUploadFailure), (_, f) =>
            {
                calls.Slots.Enqueue("error.json: " + f.Message);
                return true;
            });
            tasks.AddActivityFunc<FinalizeInput, ImageAuditResult>(nameof(FinalizeImage), (_, f) =>
            {
                calls.Finalized.Enqueue(f.Checkpoint.StateBlob!);
                return new ImageAuditResult { Outcome = ImageOutcome.Fooled, ResultFolder = f.ResultFolder, Success = true, Queries = (int)f.Checkpoint.Queries };
            });
        });
        return (host, calls);
    }

    private static async Task<OrchestrationMetadata> RunAsync(DurableTaskTestHost host)
    {
        string id = await host.Client.ScheduleNewOrchestrationInstanceAsync(OrchestratorNames.ImageAudit, Item());
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token);
    }

    [Fact]
    public async Task RunAsync_MoreSlicesThanOneExecution_ContinuesAsNewEveryNSlices()
    {
        (DurableTaskTestHost host, Recorded calls) = await StartAsync(slicesPerExecution: 3, finishAfter: 7);
        await using (host)
        {
            OrchestrationMetadata done = await RunAsync(host);

            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal([null, 3, 6], calls.ExecutionStarts.OrderBy(s => s ?? -1));
            Assert.Equal(["acquired", "acquired", "acquired", "released"], calls.Slots);   // renewed by each execution
            Assert.Equal(Enumerable.Range(1, 7), calls.Slices);
            Assert.Equal(["runs/x/state-000007.bin"], calls.Finalized);
            Assert.Equal(new ImageAuditResult { Outcome = ImageOutcome.Fooled, ResultFolder = "a/b", Success = true, Queries = 22 }, done.ReadOutputAs<ImageAuditResult>());
            Assert.Equal(new AuditStatus(22, 1.0 / 7, 7), done.ReadCustomStatusAs<AuditStatus>());
        }
    }

    [Fact]
    public async Task RunAsync_AttackDoneWithinOneExecution_DoesNotContinueAsNew()
    {
        (DurableTaskTestHost host, Recorded calls) = await StartAsync(slicesPerExecution: 10, finishAfter: 2);
        await using (host)
        {
            OrchestrationMetadata done = await RunAsync(host);

            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal([null], calls.ExecutionStarts);
            Assert.Equal([1, 2], calls.Slices);
        }
    }

    [Fact]
    public async Task RunAsync_ImageRejected_EndsWithoutSlices()
    {
        (DurableTaskTestHost host, Recorded calls) = await StartAsync(3, 7, prepare: _ => new PrepareResult(null, ImageOutcome.Rejected, "not an image"));
        await using (host)
        {
            OrchestrationMetadata done = await RunAsync(host);

            Assert.Equal(new ImageAuditResult { Outcome = ImageOutcome.Rejected, ResultFolder = "a/b", Message = "not an image" }, done.ReadOutputAs<ImageAuditResult>());
            Assert.Empty(calls.Slices);
            Assert.Empty(calls.Finalized);
        }
    }

    [Fact]
    public async Task RunAsync_SliceFailsOnce_IsRetriedByTheDurableRetryPolicy()
    {
        (DurableTaskTestHost host, Recorded calls) = await StartAsync(slicesPerExecution: 5, finishAfter: 2, failFirstSlices: 1);
        await using (host)
        {
            OrchestrationMetadata done = await RunAsync(host);

            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal([1, 2], calls.Slices);
        }
    }

    [Fact]
    public async Task RunAsync_NoSlotFree_WaitsOnTimersWithoutPreparing_ThenRunsAndReleasesOnce()
    {
        int prepared = 0;
        (DurableTaskTestHost host, Recorded calls) = await StartAsync(slicesPerExecution: 10, finishAfter: 1, busySlotTries: 2, prepare: _ =>
        {
            Interlocked.Increment(ref prepared);
            return new PrepareResult(Start(10));
        });
        await using (host)
        {
            OrchestrationMetadata done = await RunAsync(host);

            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal(["busy", "busy", "acquired", "released"], calls.Slots);
            Assert.Equal(1, prepared);
            // Waited 1 s and 2 s (plus jitter) on durable timers between the tries.
            Assert.True(done.LastUpdatedAt - done.CreatedAt >= TimeSpan.FromSeconds(3), $"{done.LastUpdatedAt - done.CreatedAt}");
        }
    }

    [Fact]
    public async Task RunAsync_ImageRejected_StillReleasesItsSlot()
    {
        (DurableTaskTestHost host, Recorded calls) = await StartAsync(3, 7, prepare: _ => new PrepareResult(null, ImageOutcome.Rejected, "not an image"));
        await using (host)
        {
            await RunAsync(host);

            Assert.Equal(["acquired", "released"], calls.Slots);
        }
    }

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(1, 2.0)]
    [InlineData(3, 8.0)]
    [InlineData(40, 15.0)]
    public void SlotWait_DoublesToTheCap_PlusUnderASecondOfJitter(int waits, double seconds)
    {
        TimeSpan sut = ImageAuditOrchestrator.SlotWait("img-abc", waits);

        Assert.InRange(sut.TotalSeconds, seconds, seconds + 1);
        Assert.Equal(sut, ImageAuditOrchestrator.SlotWait("img-abc", waits));
    }

    [Fact]
    public async Task RunAsync_TheSliceThatEndsTheAttackWroteTheResult_ItIsTheOutput_NoFinalize()
    {
        (DurableTaskTestHost host, Recorded calls) = await StartAsync(slicesPerExecution: 10, finishAfter: 2, sliceWritesResult: true);
        await using (host)
        {
            OrchestrationMetadata done = await RunAsync(host);

            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            ImageAuditResult result = done.ReadOutputAs<ImageAuditResult>()!;
            Assert.Equal((ImageOutcome.NotFooled, 7), (result.Outcome, result.Queries));
            Assert.Equal([1, 2], calls.Slices);
            Assert.Empty(calls.Finalized);
            Assert.Equal(["acquired", "released"], calls.Slots);
        }
    }

    [Fact]
    public async Task RunAsync_PrepareEndedTheAttack_NoSliceNoFinalize()
    {
        (DurableTaskTestHost host, Recorded calls) = await StartAsync(10, 7, prepare: _ => new PrepareResult(Start(10) with
        {
            Finished = true,
            Result = new ImageAuditResult { Outcome = ImageOutcome.Fooled, ResultFolder = "r/a.png", Success = true, Queries = 12 },
        }));
        await using (host)
        {
            OrchestrationMetadata done = await RunAsync(host);

            Assert.Equal((ImageOutcome.Fooled, 12), (done.ReadOutputAs<ImageAuditResult>()!.Outcome, done.ReadOutputAs<ImageAuditResult>()!.Queries));
            Assert.Empty(calls.Slices);
            Assert.Empty(calls.Finalized);
        }
    }

    [Fact]
    public async Task RunAsync_SlotCannotBeAcquiredThroughEveryRetry_TheUploadGetsErrorJson()
    {
        (DurableTaskTestHost host, Recorded calls) = await StartAsync(10, 1, slotFails: true);
        await using (host)
        {
            OrchestrationMetadata done = await RunAsync(host);

            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal(ImageOutcome.Failed, done.ReadOutputAs<ImageAuditResult>()!.Outcome);
            Assert.Collection(calls.Slots, s => Assert.StartsWith("error.json: ", s, StringComparison.Ordinal), s => Assert.Equal("released", s));
        }
    }
}
