using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Upload;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// The bulk audit (<see cref="OrchestratorNames.Audit"/>): <see cref="ListAuditImages"/> one chunk at a time, then one
/// per-image sub-orchestration (<see cref="ImageAuditOrchestrator"/>, with the audit's options) per input, at most
/// <see cref="AuditInput.MaxConcurrency"/> at once, a partial summary per chunk (<see cref="SummarizeAuditChunk"/>), then
/// <see cref="WriteAuditSummary"/>, which merges them.
/// </summary>
/// <remarks>
/// <para><b>Bounded activities.</b> Each activity works on one chunk (or, the summary, on one small partial per chunk),
/// so none runs longer with the size of the audit than its chunk takes: the listing is one call per chunk
/// (<see cref="ListCallsPerExecution"/> per execution), and no activity reads all names or labels of the request.</para>
/// <para><b>Bounded history.</b> The listing is stored in chunks of <see cref="Settings.AuditOptions.ImagesPerExecution"/>
/// images; one execution fans out one chunk (<see cref="LoadAuditChunk"/>) and then continues as new with the
/// progress in its input. An execution's history therefore holds two events per image of one chunk (the
/// sub-orchestration scheduled and completed) plus a few for its activities, whatever the size of the audit. Concurrency drains at the end
/// of each chunk: at most <see cref="AuditInput.MaxConcurrency"/> run at once, and fewer while a chunk finishes.</para>
/// <para><b>No work twice.</b> Each image's sub-orchestration id is derived from the audit id, container, name and
/// ETag (<see cref="AuditStore.ImageInstanceId"/>), so a replay addresses the same instance. A sub-orchestration that
/// fails after its activities' retries gets error.json (<see cref="RecordImageFailure"/>) and counts as failed; it is
/// not started again.</para>
/// <para><b>Outages and resume.</b> Activities run with <see cref="ActivityRetry"/>: through a storage outage they are
/// retried for the audit's outage tolerance. A failure that outlasts it fails only that image, and a failed
/// <see cref="RecordImageFailure"/> does not fail the audit (<see cref="WriteAuditSummary"/> gives every input still
/// without a result its error.json). An audit that failed all the same (storage down through the summary) or was
/// stopped is resumed by <c>POST /api/audits/{id}/resume</c> (<see cref="AuditApi.ResumeAsync"/>): a new run (instance
/// <c>audit-&lt;id&gt;-r&lt;n&gt;</c>) with <see cref="AuditInput.Resume"/> set, which runs only the inputs without a complete result.</para>
/// <para>The custom status is an <see cref="AuditProgress"/>, updated as each image finishes.</para>
/// </remarks>
public sealed partial class AuditOrchestrator : TaskOrchestrator<AuditInput, AuditResult?>
{
    /// <summary>The most <see cref="ListAuditImages"/> calls (chunks listed) in one execution before it continues as new, so the listing's history stays small.</summary>
    public const int ListCallsPerExecution = 20;

    /// <inheritdoc/>
    public override async Task<AuditResult?> RunAsync(TaskOrchestrationContext context, AuditInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        ILogger logger = context.CreateReplaySafeLogger<AuditOrchestrator>();
        TaskOptions retry = ActivityRetry.For(input.OutageToleranceMinutes);
        AuditProgress progress = input.Progress;
        AuditManifestInfo? listed = input.Listed;
        if (listed is null)
        {
            context.SetCustomStatus(progress);
            AuditListInput next = input.Listing ?? new AuditListInput(input.AuditId);
            for (int call = 0; listed is null && call < ListCallsPerExecution; call++)
            {
                AuditListPart part = await context.CallActivityAsync<AuditListPart>(nameof(ListAuditImages), next, retry);
                listed = part.Listed;
                next = part.Next ?? next;
            }

            if (listed is null)
            {
                Log.Listing(logger, input.AuditId, next.Chunk, next.Items + next.Missing);
                context.ContinueAsNew(input with { Listing = next, Progress = progress with { Total = next.Items + next.Missing } }, preserveUnprocessedEvents: false);
                return null;
            }

            progress = progress with { Phase = AuditPhase.Attacking, Total = listed.Items + listed.Missing, Done = listed.Missing, Failed = listed.Missing };
            context.SetCustomStatus(progress);
        }

        int chunk = input.NextChunk;
        if (chunk < listed.Chunks)
        {
            AuditChunk loaded = await context.CallActivityAsync<AuditChunk>(nameof(LoadAuditChunk), new AuditChunkInput(input.AuditId, chunk, input.Resume), retry);
            progress = loaded.Finished.Aggregate(progress, Count);
            List<ImageWorkItem> items = [.. loaded.Items.Select(i => i with { OutageToleranceMinutes = input.OutageToleranceMinutes })];
            progress = await FanOutAsync(context, items, Math.Max(1, input.MaxConcurrency), progress, retry);
            await context.CallActivityAsync<int>(nameof(SummarizeAuditChunk), new AuditPartialInput(input.AuditId, chunk), retry);
            if (chunk + 1 < listed.Chunks)
            {
                Log.Continuing(logger, input.AuditId, chunk + 1, listed.Chunks, progress.Done, progress.Total);
                context.ContinueAsNew(input with { Listed = listed, NextChunk = chunk + 1, Progress = progress }, preserveUnprocessedEvents: false);
                return null;
            }
        }

        progress = progress with { Phase = AuditPhase.Summarizing, Running = 0 };
        context.SetCustomStatus(progress);
        AuditResult result = await context.CallActivityAsync<AuditResult>(nameof(WriteAuditSummary), new AuditSummaryInput(input.AuditId, input.StartedUtc, context.CurrentUtcDateTime), retry);
        context.SetCustomStatus(progress with { Phase = AuditPhase.Completed });
        Log.Done(logger, input.AuditId, result.Images, result.Fooled, result.Failed);
        return result;
    }

    /// <summary>Runs the chunk's images with at most <paramref name="limit"/> at once; the loop runs once per image.</summary>
    private static async Task<AuditProgress> FanOutAsync(TaskOrchestrationContext context, List<ImageWorkItem> items, int limit, AuditProgress progress, TaskOptions retry)
    {
        var running = new List<Task<ImageAuditResult>>(limit);
        int next = 0;
        for (int finished = 0; finished < items.Count; finished++)
        {
            while (running.Count < limit && next < items.Count)
            {
                running.Add(RunImageAsync(context, items[next++], retry));
            }

            context.SetCustomStatus(progress with { Running = running.Count });
            Task<ImageAuditResult> done = await Task.WhenAny(running);
            running.Remove(done);
            progress = Count(progress, (await done).Outcome);
        }

        context.SetCustomStatus(progress with { Running = 0 });
        return progress with { Running = 0 };
    }

    private static async Task<ImageAuditResult> RunImageAsync(TaskOrchestrationContext context, ImageWorkItem item, TaskOptions retry)
    {
        string instanceId = item.WorkId ?? throw new InvalidOperationException("An audit's work item needs its WorkId.");
        string message;
        string reason = "AuditFailed";
        try
        {
            ImageAuditResult? result = await context.CallSubOrchestratorAsync<ImageAuditResult?>(OrchestratorNames.ImageAudit, item, new SubOrchestrationOptions { InstanceId = instanceId });
            if (result is not null && result.Outcome != ImageOutcome.Gone)
            {
                return result;
            }

            // PrepareImage writes no error.json for a version that is gone (the upload trigger audits the new one); an audit
            // still owes that input a result folder.
            (reason, message) = result is null
                ? (reason, "The image's orchestration ended without a result.")
                : ("Gone", result.Message ?? "The listed version of the blob was deleted or replaced before it was audited.");
        }
        catch (TaskFailedException e)
        {
            message = e.FailureDetails?.ErrorMessage ?? e.Message;
        }

        try
        {
            await context.CallActivityAsync<bool>(nameof(RecordImageFailure), new ImageFailureInput(item, message, reason), retry);
        }
        catch (TaskFailedException)
        {
            // Storage is still down after the outage tolerance: the audit goes on, and the summary gives every input
            // still without a result its error.json (or, if storage never returns, the audit fails and is resumed).
        }

        return new ImageAuditResult { Outcome = ImageOutcome.Failed, ResultFolder = item.ResultFolder, Message = message };
    }

    private static AuditProgress Count(AuditProgress p, ImageOutcome outcome) => outcome switch
    {
        ImageOutcome.Fooled => p with { Done = p.Done + 1, Fooled = p.Fooled + 1 },
        ImageOutcome.NotFooled => p with { Done = p.Done + 1, NotFooled = p.NotFooled + 1 },
        ImageOutcome.AlreadyMisclassified => p with { Done = p.Done + 1, Skipped = p.Skipped + 1 },
        _ => p with { Done = p.Done + 1, Failed = p.Failed + 1 },
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 520, Level = LogLevel.Information, Message = "Audit {AuditId}: chunk {Chunk} of {Chunks} next, {Done} of {Total} done; continuing as new")]
        public static partial void Continuing(ILogger logger, string auditId, int chunk, int chunks, int done, int total);

        [LoggerMessage(EventId = 522, Level = LogLevel.Information, Message = "Audit {AuditId}: {Chunks} chunks ({Inputs} inputs) listed so far; continuing as new")]
        public static partial void Listing(ILogger logger, string auditId, int chunks, int inputs);

        [LoggerMessage(EventId = 521, Level = LogLevel.Information, Message = "Audit {AuditId} done: {Images} images, {Fooled} fooled, {Failed} failed")]
        public static partial void Done(ILogger logger, string auditId, int images, int fooled, int failed);
    }
}
