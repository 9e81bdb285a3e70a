using AdvAudit.Functions.Upload;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// The per-image audit (<see cref="OrchestratorNames.ImageAudit"/>): <see cref="PrepareImage"/>, then
/// <see cref="AttackSlice"/> activities until the attack stage is over, then <see cref="FinalizeImage"/>.
/// </summary>
/// <remarks>
/// <para>It only coordinates: every blob and model call is in an activity, and only the small
/// <see cref="ImageCheckpoint"/> passes through the history. One execution runs at most
/// <see cref="ImageCheckpoint.SlicesPerExecution"/> slices, then continues as new with the checkpoint in its input
/// (<see cref="ImageWorkItem.Checkpoint"/>), so the history stays small however long the attack; the loop in one
/// execution is bounded by that count. The attack itself ends: each slice spends at least one query, and the query
/// budget is finite.</para>
/// <para>The custom status is an <see cref="AuditStatus"/> (queries used, lowest margin, slices), set after every
/// slice. Activities run with a durable retry rule (<see cref="ActivityRetry"/>) for failures the I/O pipelines did not
/// absorb: storage down for longer than the blob retries is retried for the input's outage tolerance, anything else
/// (a worker recycled mid-slice) a few times.</para>
/// </remarks>
public sealed partial class ImageAuditOrchestrator : TaskOrchestrator<ImageWorkItem, ImageAuditResult?>
{
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

        try
        {
            return await RunStagesAsync(context, input, retry);
        }
        catch (TaskFailedException e)
        {
            // Every retry spent: the upload still ends with a result (error.json), and its checkpoints are deleted.
            string message = e.FailureDetails?.ErrorMessage ?? e.Message;
            await context.CallActivityAsync<bool>(nameof(RecordUploadFailure), new UploadFailureInput(input with { Checkpoint = null }, message, CheckpointStore.PrefixFor(context.InstanceId)), retry);
            Log.Failed(logger, input.Name, message);
            return new ImageAuditResult { Outcome = ImageOutcome.Failed, ResultFolder = input.ResultFolder, Message = message };
        }
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
