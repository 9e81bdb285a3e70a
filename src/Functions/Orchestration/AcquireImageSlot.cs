namespace AdvAudit.Functions.Orchestration;

/// <summary>
/// Activity: acquires (or renews) an upload's admission slot (<see cref="ImageSlots"/>); the per-upload orchestration
/// calls it before <see cref="PrepareImage"/> writes any state, and at the start of each later execution.
/// </summary>
public sealed class AcquireImageSlot : IActivity<string, bool>
{
    private readonly ImageSlots _slots;

    /// <summary>Initializes a new instance of the <see cref="AcquireImageSlot"/> class.</summary>
    /// <param name="slots">The slots.</param>
    public AcquireImageSlot(ImageSlots slots) => _slots = slots ?? throw new ArgumentNullException(nameof(slots));

    /// <inheritdoc/>
    /// <param name="input">The orchestration's instance id.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns><see langword="true"/> when the run holds a slot.</returns>
    public Task<bool> ExecuteAsync(string input, CancellationToken cancellationToken) => _slots.TryAcquireAsync(input, cancellationToken);
}
