using System.Collections.Concurrent;
using AdvAudit.Functions.Audit;
using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Upload;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;

namespace AdvAudit.Functions.Tests.Audit;

/// <summary>The audit orchestrator's own logic in the in-process durable host, with fake activities and a fake per-image orchestration.</summary>
public sealed class AuditOrchestratorTests
{
    [Fact]
    public async Task RunAsync_SevenImagesInChunksOfThree_ListsInCalls_BoundsConcurrency_ContinuesAsNewPerChunk_SummarizesEachChunk_AndRecordsFailuresAndGoneBlobs()
    {
        var executions = new ConcurrentQueue<int>();
        var failuresRecorded = new ConcurrentQueue<string>();
        var started = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var listCalls = new ConcurrentQueue<int>();
        var partials = new ConcurrentQueue<int>();
        int running = 0, most = 0;
        await using DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(tasks =>
        {
            tasks.AddOrchestratorFunc<AuditInput, AuditResult?>(OrchestratorNames.Audit, (context, input) =>
            {
                if (!context.IsReplaying)
                {
                    executions.Enqueue(input.NextChunk);
                }

                return new AuditOrchestrator().RunAsync(context, input);
            });
            // The listing takes more calls than one execution makes: the audit continues as new in the middle of it.
            tasks.AddActivityFunc<AuditListInput, AuditListPart>(nameof(ListAuditImages), (_, l) =>
            {
                listCalls.Enqueue(l.Chunk);
                return l.Chunk < AuditOrchestrator.ListCallsPerExecution + 4
                    ? new AuditListPart(l with { Chunk = l.Chunk + 1, Continuation = "t" + l.Chunk }, null)
                    : new AuditListPart(null, new AuditManifestInfo(Chunks: 3, Items: 7, Missing: 1));
            });
            tasks.AddActivityFunc<AuditPartialInput, int>(nameof(SummarizeAuditChunk), (_, p) =>
            {
                partials.Enqueue(p.Chunk);
                return 3;
            });
            tasks.AddActivityFunc<AuditChunkInput, AuditChunk>(nameof(LoadAuditChunk), (_, c) => new AuditChunk(
            [
                .. Enumerable.Range(c.Chunk * 3, c.Chunk == 2 ? 1 : 3).Select(i => new ImageWorkItem
                {
                    Container = "up", Name = i == 4 ? "bad.png" : $"{i}.png", ETag = "e", ResultFolder = $"audits/x/images/{i}", WorkId = $"aud-x-{i}",
                }),
            ],
            []));
            tasks.AddOrchestratorFunc<ImageWorkItem, ImageAuditResult?>(OrchestratorNames.ImageAudit, async (context, item) =>
            {
                await context.CallActivityAsync<bool>("Work", item.Name);
                return item.Name switch
                {
                    "bad.png" => throw new InvalidOperationException("model exploded"),
                    "5.png" => new ImageAuditResult { Outcome = ImageOutcome.Gone, ResultFolder = item.ResultFolder, Message = "replaced" },
                    "0.png" => new ImageAuditResult { Outcome = ImageOutcome.NotFooled, ResultFolder = item.ResultFolder },
                    _ => new ImageAuditResult { Outcome = ImageOutcome.Fooled, ResultFolder = item.ResultFolder },
                };
            });
            tasks.AddActivityFunc<string, bool>("Work", async (context, name) =>
            {
                started.AddOrUpdate(context.InstanceId, 1, (_, n) => n + 1);
                int now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                await Task.Delay(150);
                Interlocked.Decrement(ref running);
                return true;
            });
            tasks.AddActivityFunc<ImageFailureInput, bool>(nameof(RecordImageFailure), (_, f) =>
            {
                failuresRecorded.Enqueue($"{f.Item.Name} {f.Reason}: {f.Message}");
                return true;
            });
            tasks.AddActivityFunc<AuditSummaryInput, AuditResult>(nameof(WriteAuditSummary), (_, s) => new AuditResult("audits/" + s.AuditId + "/summary.json", 8, 5, 2));
        });

        string id = await host.Client.ScheduleNewOrchestrationInstanceAsync(OrchestratorNames.Audit, new AuditInput { AuditId = "x", MaxConcurrency = 2, StartedUtc = DateTimeOffset.UnixEpoch });
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        OrchestrationMetadata done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal([0, 0, 1, 2], executions);
        Assert.Equal(Enumerable.Range(0, AuditOrchestrator.ListCallsPerExecution + 5), listCalls);
        Assert.Equal([0, 1, 2], partials);
        Assert.Equal(2, most);
        Assert.Equal(7, started.Count);
        Assert.All(started.Values, n => Assert.Equal(1, n));
        Assert.Equal(2, failuresRecorded.Count);
        Assert.Contains(failuresRecorded, f => f.StartsWith("bad.png AuditFailed: ", StringComparison.Ordinal) && f.Contains("model exploded", StringComparison.Ordinal));
        Assert.Contains("5.png Gone: replaced", failuresRecorded);
        Assert.Equal(
            new AuditProgress { Phase = AuditPhase.Completed, Total = 8, Done = 8, Fooled = 4, NotFooled = 1, Skipped = 0, Failed = 3, Running = 0 },
            done.ReadCustomStatusAs<AuditProgress>());
        Assert.Equal(new AuditResult("audits/x/summary.json", 8, 5, 2), done.ReadOutputAs<AuditResult>());
    }

    [Fact]
    public async Task RunAsync_RecordingAFailureFails_TheAuditStillSummarizes_AndAResumedRunCountsFinishedInputs()
    {
        var summarized = new ConcurrentQueue<string>();
        var chunkInputs = new ConcurrentQueue<AuditChunkInput>();
        var tolerances = new ConcurrentQueue<int?>();
        await using DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(tasks =>
        {
            tasks.AddOrchestratorFunc<AuditInput, AuditResult?>(OrchestratorNames.Audit, (context, input) => new AuditOrchestrator().RunAsync(context, input));
            tasks.AddActivityFunc<AuditListInput, AuditListPart>(nameof(ListAuditImages), (_, _) => new AuditListPart(null, new AuditManifestInfo(Chunks: 1, Items: 3, Missing: 0)));
            tasks.AddActivityFunc<AuditPartialInput, int>(nameof(SummarizeAuditChunk), (_, _) => 3);
            tasks.AddActivityFunc<AuditChunkInput, AuditChunk>(nameof(LoadAuditChunk), (_, c) =>
            {
                chunkInputs.Enqueue(c);
                return new AuditChunk([new ImageWorkItem { Container = "up", Name = "bad.png", ETag = "e", ResultFolder = "audits/x/images/bad", WorkId = "aud-x-bad-r1" }], [ImageOutcome.Fooled, ImageOutcome.NotFooled]);
            });
            tasks.AddOrchestratorFunc<ImageWorkItem, ImageAuditResult?>(OrchestratorNames.ImageAudit, (_, item) =>
            {
                tolerances.Enqueue(item.OutageToleranceMinutes);
                return Task.FromException<ImageAuditResult?>(new InvalidOperationException("model exploded"));
            });
            tasks.AddActivityFunc<ImageFailureInput, bool>(nameof(RecordImageFailure), (_, _) => Task.FromException<bool>(new InvalidOperationException("storage refused the error.json")));
            tasks.AddActivityFunc<AuditSummaryInput, AuditResult>(nameof(WriteAuditSummary), (_, s) =>
            {
                summarized.Enqueue(s.AuditId);
                return new AuditResult("audits/x/summary.json", 3, 1, 1);
            });
        });

        string id = await host.Client.ScheduleNewOrchestrationInstanceAsync(OrchestratorNames.Audit, new AuditInput { AuditId = "x", MaxConcurrency = 2, StartedUtc = DateTimeOffset.UnixEpoch, Resume = 1, OutageToleranceMinutes = 7 });
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        OrchestrationMetadata done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, cts.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(["x"], summarized);
        Assert.Equal([new AuditChunkInput("x", 0, 1)], chunkInputs);
        Assert.Equal([7], tolerances);
        Assert.Equal(
            new AuditProgress { Phase = AuditPhase.Completed, Total = 3, Done = 3, Fooled = 1, NotFooled = 1, Failed = 1 },
            done.ReadCustomStatusAs<AuditProgress>());
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
