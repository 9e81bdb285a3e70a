using AdvAudit.Functions.Upload;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// The per-image audit (<see cref="OrchestratorNames.ImageAudit"/>): <see cref="PrepareImage"/> (which runs the first
/// slice), then <see cref="AttackSlice"/> activities until the attack stage is over. The activity in which it ends
/// writes the result folder and returns the result in its checkpoint (<see cref="ImageCheckpoint.Result"/>), so an
/// attack that ends in the first slice takes one activity; <see cref="FinalizeImage"/> ends the rest (the slice bound
/// reached, or a checkpoint saved without <see cref="ImageCheckpoint.ResultFolder"/>).
/// </summary>
/// <remarks>
/// <para>It only coordinates: every blob and model call is in an activity, and only the small
/// <see cref="ImageCheckpoint"/> passes through the history. One execution runs at most
/// <see cref="ImageCheckpoint.SlicesPerExecution"/> slices, then continues as new with the checkpoint in its input
/// (<see cref="ImageWorkItem.Checkpoint"/>), so the history stays small however long the attack; the loop in one
/// execution is bounded by that count. The attack itself ends: each slice spends at least one query, and the query
/// budget is finite.</para>
/// <para><b>Admission.</b> An upload's run first acquires a slot (<see cref="AcquireImageSlot"/>, at most
/// <see cref="Settings.TriggerOptions.MaxImagesInFlight"/> at once), waiting on durable timers while all are taken, and
/// releases it (<see cref="ReleaseImageSlot"/>) once its result folder is written; a waiting run has written nothing but
/// its small input. A bulk audit's images skip this: the audit bounds them itself.</para>
/// <para>The custom status is an <see cref="AuditStatus"/> (queries used, lowest margin, slices), set after every
/// slice. Activities run with a durable retry rule (<see cref="ActivityRetry"/>) for failures the I/O pipelines did not
/// absorb: storage down for longer than the blob retries is retried for the input's outage tolerance, anything else
/// (a worker recycled mid-slice) a few times.</para>
/// </remarks>
public sealed partial class ImageAuditOrchestrator : TaskOrchestrator<ImageWorkItem, ImageAuditResult?>
{
    /// <summary>The longest wait between two tries for an admission slot.</summary>
    public static readonly TimeSpan MaxSlotWait = TimeSpan.FromSeconds(15);

    /// <summary>The most tries for a slot in one execution before it continues as new, so a long wait keeps the history small.</summary>
    public const int SlotTriesPerExecution = 20;

    /// <inheritdoc/>
    public override async Task<ImageAuditResult?> RunAsync(TaskOrchestrationContext context, ImageWorkItem input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        ILogger logger = context.CreateReplaySafeLogger<ImageAuditOrchestrator>();
        TaskOptions retry = ActivityRetry.For(input.OutageToleranceMinutes);
        if (!IsUpload(input))
        {
            // An audit's image: a failure goes to the audit, which records it (RecordImageFailure).
            return await RunStagesAsync(context, input, retry);
        }

        ImageAuditResult? result;
        try
        {
            // Admission: an upload writes no state until it holds a slot; renewed at the start of every execution.
            for (int wait = 0; !await context.CallActivityAsync<bool>(nameof(AcquireImageSlot), context.InstanceId, retry); wait++)
            {
                if (wait == SlotTriesPerExecution)
                {
                    context.ContinueAsNew(input with { SlotWaits = input.SlotWaits + wait }, preserveUnprocessedEvents: false);
                    return null;
                }

                await context.CreateTimer(SlotWait(context.InstanceId, input.SlotWaits + wait), CancellationToken.None);
            }

            result = await RunStagesAsync(context, input with { SlotWaits = 0 }, retry);
        }
        catch (TaskFailedException e)
        {
            // Every retry spent (on the slot or a stage): the upload still ends with a result (error.json), and its
            // checkpoints are deleted; releasing a slot it never got does nothing.
            string message = e.FailureDetails?.ErrorMessage ?? e.Message;
            await context.CallActivityAsync<bool>(nameof(RecordUploadFailure), new UploadFailureInput(input with { Checkpoint = null }, message, CheckpointStore.PrefixFor(context.InstanceId)), retry);
            Log.Failed(logger, input.Name, message);
            result = new ImageAuditResult { Outcome = ImageOutcome.Failed, ResultFolder = input.ResultFolder, Message = message };
        }

        if (result is not null)
        {
            // Null: the execution continued as new and keeps its slot.
            await context.CallActivityAsync<bool>(nameof(ReleaseImageSlot), context.InstanceId, retry);
        }

        return result;
    }

    /// <summary>
    /// The wait before the next try for a slot: 1 s doubling to <see cref="MaxSlotWait"/>, plus up to a second fixed by
    /// the instance id (replay-safe), so thousands of waiting runs do not all ask at once.
    /// </summary>
    internal static TimeSpan SlotWait(string instanceId, int waits)
    {
        double seconds = Math.Min(MaxSlotWait.TotalSeconds, Math.Pow(2, Math.Min(waits, 16)));
        uint hash = 2166136261;
        foreach (char c in instanceId)
        {
            hash = (hash ^ c) * 16777619;
        }

        int jitterMs = (int)(hash % 1000);
        return TimeSpan.FromSeconds(seconds) + TimeSpan.FromMilliseconds(jitterMs);
    }

    private static async Task<ImageAuditResult?> RunStagesAsync(TaskOrchestrationContext context, ImageWorkItem input, TaskOptions retry)
    {
        ILogger logger = context.CreateReplaySafeLogger<ImageAuditOrchestrator>();
        ImageCheckpoint? checkpoint = input.Checkpoint;
        if (checkpoint is null)
        {
            PrepareResult prepared = await context.CallActivityAsync<PrepareResult>(nameof(PrepareImage), input, retry);
            if (prepared.Checkpoint is null)
            {
                Log.NotAttacked(logger, input.Name, prepared.Outcome ?? ImageOutcome.Rejected);
                return new ImageAuditResult { Outcome = prepared.Outcome ?? ImageOutcome.Rejected, ResultFolder = input.ResultFolder, Message = prepared.Message };
            }

            checkpoint = prepared.Checkpoint;
            context.SetCustomStatus(new AuditStatus(checkpoint.Queries, checkpoint.LowestMargin, checkpoint.Slice));
        }

        for (int i = 0; i < checkpoint.SlicesPerExecution && !checkpoint.Finished && checkpoint.Slice <= checkpoint.MaxQueries; i++)
        {
            checkpoint = await context.CallActivityAsync<ImageCheckpoint>(nameof(AttackSlice), checkpoint, retry);
            context.SetCustomStatus(new AuditStatus(checkpoint.Queries, checkpoint.LowestMargin, checkpoint.Slice));
        }

        if (checkpoint.Result is { } ended)
        {
            // The activity in which the attack ended wrote the result folder itself.
            Log.Done(logger, input.Name, ended.Outcome, ended.Queries);
            return ended;
        }

        if (!checkpoint.Finished && checkpoint.Slice <= checkpoint.MaxQueries)
        {
            Log.Continuing(logger, input.Name, checkpoint.Slice, checkpoint.Queries);
            context.ContinueAsNew(input with { Checkpoint = checkpoint }, preserveUnprocessedEvents: false);
            return null;
        }

        ImageAuditResult result = await context.CallActivityAsync<ImageAuditResult>(nameof(FinalizeImage), new FinalizeInput(checkpoint, input.ResultFolder) { Source = new BlobVersion(input.Container, input.Name, input.ETag), OnlyIfCurrent = IsUpload(input) }, retry);
        Log.Done(logger, input.Name, result.Outcome, result.Queries);
        return result;
    }

    // An upload's result folder is shared by every version of its name, so only the current version may write it. An
    // audit's folder is its own and describes the version the audit listed, so that result is written either way.
    private static bool IsUpload(ImageWorkItem input) => input.WorkId is null;

    private static partial class Log
    {
        [LoggerMessage(EventId = 433, Level = LogLevel.Error, Message = "{Name}: the run failed after every retry; error.json records it: {Message}")]
        public static partial void Failed(ILogger logger, string name, string message);

        [LoggerMessage(EventId = 430, Level = LogLevel.Information, Message = "{Name} was not attacked: {Outcome}")]
        public static partial void NotAttacked(ILogger logger, string name, ImageOutcome outcome);

        [LoggerMessage(EventId = 431, Level = LogLevel.Information, Message = "{Name}: {Slices} slices, {Queries} queries; continuing as new")]
        public static partial void Continuing(ILogger logger, string name, int slices, long queries);

        [LoggerMessage(EventId = 432, Level = LogLevel.Information, Message = "{Name}: {Outcome} after {Queries} queries")]
        public static partial void Done(ILogger logger, string name, ImageOutcome outcome, int queries);
    }
}
