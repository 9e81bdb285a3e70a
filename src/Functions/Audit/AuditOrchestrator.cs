using AdvAudit.Functions.Orchestration;
using AdvAudit.Functions.Upload;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Audit;

/// <summary>
/// The bulk audit (<see cref="OrchestratorNames.Audit"/>): <see cref="ListAuditImages"/>, then one per-image
/// sub-orchestration (<see cref="ImageAuditOrchestrator"/>, with the audit's options) per input, at most
/// <see cref="AuditInput.MaxConcurrency"/> at once, then <see cref="WriteAuditSummary"/>.
/// </summary>
/// <remarks>
/// <para><b>Bounded history.</b> The listing is stored in chunks of <see cref="Settings.AuditOptions.ImagesPerExecution"/>
/// images; one execution fans out one chunk (<see cref="LoadAuditChunk"/>) and then continues as new with the
/// progress in its input. An execution's history therefore holds two events per image of one chunk (the
/// sub-orchestration scheduled and completed) plus a few for its activities, whatever the size of the audit. Concurrency drains at the end
/// of each chunk: at most <see cref="AuditInput.MaxConcurrency"/> run at once, and fewer while a chunk finishes.</para>
/// <para><b>No work twice.</b> Each image's sub-orchestration id is derived from the audit id, container, name and
/// ETag (<see cref="AuditStore.ImageInstanceId"/>), so a replay addresses the same instance. A sub-orchestration that
/// fails after its activities' retries gets error.json (<see cref="RecordImageFailure"/>) and counts as failed; it is
/// not started again.</para>
/// <para>The custom status is an <see cref="AuditProgress"/>, updated as each image finishes.</para>
/// </remarks>
public sealed partial class AuditOrchestrator : TaskOrchestrator<AuditInput, AuditResult?>
{
    /// <inheritdoc/>
    public override async Task<AuditResult?> RunAsync(TaskOrchestrationContext context, AuditInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        ILogger logger = context.CreateReplaySafeLogger<AuditOrchestrator>();
        AuditProgress progress = input.Progress;
        AuditManifestInfo? listed = input.Listed;
        if (listed is null)
        {
            context.SetCustomStatus(progress);
            listed = await context.CallActivityAsync<AuditManifestInfo>(nameof(ListAuditImages), input.AuditId, ImageAuditOrchestrator.Retry);
            progress = progress with { Phase = AuditPhase.Attacking, Total = listed.Items + listed.Missing, Done = listed.Missing, Failed = listed.Missing };
            context.SetCustomStatus(progress);
        }

        int chunk = input.NextChunk;
        if (chunk < listed.Chunks)
        {
            List<ImageWorkItem> items = await context.CallActivityAsync<List<ImageWorkItem>>(nameof(LoadAuditChunk), new AuditChunkInput(input.AuditId, chunk), ImageAuditOrchestrator.Retry);
            progress = await FanOutAsync(context, items, Math.Max(1, input.MaxConcurrency), progress);
            if (chunk + 1 < listed.Chunks)
            {
                Log.Continuing(logger, input.AuditId, chunk + 1, listed.Chunks, progress.Done, progress.Total);
                context.ContinueAsNew(input with { Listed = listed, NextChunk = chunk + 1, Progress = progress }, preserveUnprocessedEvents: false);
                return null;
            }
        }

        progress = progress with { Phase = AuditPhase.Summarizing, Running = 0 };
        context.SetCustomStatus(progress);
        AuditResult result = await context.CallActivityAsync<AuditResult>(nameof(WriteAuditSummary), new AuditSummaryInput(input.AuditId, input.StartedUtc, context.CurrentUtcDateTime), ImageAuditOrchestrator.Retry);
        context.SetCustomStatus(progress with { Phase = AuditPhase.Completed });
        Log.Done(logger, input.AuditId, result.Images, result.Fooled, result.Failed);
        return result;
    }

    /// <summary>Runs the chunk's images with at most <paramref name="limit"/> at once; the loop runs once per image.</summary>
    private static async Task<AuditProgress> FanOutAsync(TaskOrchestrationContext context, List<ImageWorkItem> items, int limit, AuditProgress progress)
    {
        var running = new List<Task<ImageAuditResult>>(limit);
        int next = 0;
        for (int finished = 0; finished < items.Count; finished++)
        {
            while (running.Count < limit && next < items.Count)
            {
                running.Add(RunImageAsync(context, items[next++]));
            }

            context.SetCustomStatus(progress with { Running = running.Count });
            Task<ImageAuditResult> done = await Task.WhenAny(running);
            running.Remove(done);
            progress = Count(progress, await done);
        }

        context.SetCustomStatus(progress with { Running = 0 });
        return progress with { Running = 0 };
    }

    private static async Task<ImageAuditResult> RunImageAsync(TaskOrchestrationContext context, ImageWorkItem item)
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

        await context.CallActivityAsync<bool>(nameof(RecordImageFailure), new ImageFailureInput(item, message, reason), ImageAuditOrchestrator.Retry);
        return new ImageAuditResult { Outcome = ImageOutcome.Failed, ResultFolder = item.ResultFolder, Message = message };
    }

    private static AuditProgress Count(AuditProgress p, ImageAuditResult r) => r.Outcome switch
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

        [LoggerMessage(EventId = 521, Level = LogLevel.Information, Message = "Audit {AuditId} done: {Images} images, {Fooled} fooled, {Failed} failed")]
        public static partial void Done(ILogger logger, string auditId, int images, int fooled, int failed);
    }
}
