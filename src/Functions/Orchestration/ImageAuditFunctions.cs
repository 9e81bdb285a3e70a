using AdvAudit.Functions.Upload;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// The Functions host's entry points for the per-image audit: thin adapters from the triggers to the class-based
/// orchestrator and activities (which the in-process durable test host runs directly).
/// </summary>
/// <remarks>
/// The durabletask source generator that would write these adapters is not used; each function name equals the
/// name the orchestrator schedules (<c>nameof</c> of the class), so the two registrations cannot drift apart.
/// </remarks>
public sealed class ImageAuditFunctions
{
    private readonly PrepareImage _prepare;
    private readonly AttackSlice _slice;
    private readonly FinalizeImage _finalize;
    private readonly RecordUploadFailure _failure;
    private readonly AcquireImageSlot _acquire;
    private readonly ReleaseImageSlot _release;

    /// <summary>Initializes a new instance of the <see cref="ImageAuditFunctions"/> class.</summary>
    /// <param name="prepare">The prepare activity.</param>
    /// <param name="slice">The slice activity.</param>
    /// <param name="finalize">The finalize activity.</param>
    /// <param name="failure">The activity that records a failed upload.</param>
    /// <param name="acquire">The activity that acquires an upload's admission slot.</param>
    /// <param name="release">The activity that releases it.</param>
    public ImageAuditFunctions(PrepareImage prepare, AttackSlice slice, FinalizeImage finalize, RecordUploadFailure failure, AcquireImageSlot acquire, ReleaseImageSlot release)
    {
        _acquire = acquire ?? throw new ArgumentNullException(nameof(acquire));
        _release = release ?? throw new ArgumentNullException(nameof(release));
        _failure = failure ?? throw new ArgumentNullException(nameof(failure));
        _prepare = prepare ?? throw new ArgumentNullException(nameof(prepare));
        _slice = slice ?? throw new ArgumentNullException(nameof(slice));
        _finalize = finalize ?? throw new ArgumentNullException(nameof(finalize));
    }

    /// <summary>The orchestrator function.</summary>
    /// <param name="context">The orchestration context.</param>
    /// <returns>The outcome, or <see langword="null"/> when the execution continued as new.</returns>
    [Function(OrchestratorNames.ImageAudit)]
    public Task<ImageAuditResult?> ImageAudit([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        ImageWorkItem input = context.GetInput<ImageWorkItem>() ?? throw new InvalidOperationException($"{OrchestratorNames.ImageAudit} needs an {nameof(ImageWorkItem)} input.");
        return new ImageAuditOrchestrator().RunAsync(context, input);
    }

    /// <summary>The <see cref="Orchestration.PrepareImage"/> activity.</summary>
    /// <param name="input">The blob version.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>The first checkpoint.</returns>
    [Function(nameof(Orchestration.PrepareImage))]
    public Task<PrepareResult> PrepareImage([ActivityTrigger] ImageWorkItem input, CancellationToken cancellationToken) => _prepare.ExecuteAsync(input, cancellationToken);

    /// <summary>The <see cref="Orchestration.AttackSlice"/> activity.</summary>
    /// <param name="input">The checkpoint.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>The next checkpoint.</returns>
    [Function(nameof(Orchestration.AttackSlice))]
    public Task<ImageCheckpoint> AttackSlice([ActivityTrigger] ImageCheckpoint input, CancellationToken cancellationToken) => _slice.ExecuteAsync(input, cancellationToken);

    /// <summary>The <see cref="Orchestration.FinalizeImage"/> activity.</summary>
    /// <param name="input">The last checkpoint and the result folder.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>The outcome.</returns>
    [Function(nameof(Orchestration.FinalizeImage))]
    public Task<ImageAuditResult> FinalizeImage([ActivityTrigger] FinalizeInput input, CancellationToken cancellationToken) => _finalize.ExecuteAsync(input, cancellationToken);

    /// <summary>The <see cref="Orchestration.RecordUploadFailure"/> activity.</summary>
    /// <param name="input">The failed upload.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>Whether error.json was written.</returns>
    [Function(nameof(Orchestration.RecordUploadFailure))]
    public Task<bool> RecordUploadFailure([ActivityTrigger] UploadFailureInput input, CancellationToken cancellationToken) => _failure.ExecuteAsync(input, cancellationToken);

    /// <summary>The <see cref="Orchestration.AcquireImageSlot"/> activity.</summary>
    /// <param name="instanceId">The orchestration's instance id.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>Whether the run holds a slot.</returns>
    [Function(nameof(Orchestration.AcquireImageSlot))]
    public Task<bool> AcquireImageSlot([ActivityTrigger] string instanceId, CancellationToken cancellationToken) => _acquire.ExecuteAsync(instanceId, cancellationToken);

    /// <summary>The <see cref="Orchestration.ReleaseImageSlot"/> activity.</summary>
    /// <param name="instanceId">The orchestration's instance id.</param>
    /// <param name="cancellationToken">Cancelled when the host shuts down.</param>
    /// <returns>Whether a slot was released.</returns>
    [Function(nameof(Orchestration.ReleaseImageSlot))]
    public Task<bool> ReleaseImageSlot([ActivityTrigger] string instanceId, CancellationToken cancellationToken) => _release.ExecuteAsync(instanceId, cancellationToken);
}
