namespace AdvAudit.Functions.Orchestration;

/// <summary>Activity: releases an upload's admission slot (<see cref="ImageSlots"/>) once its result folder is written.</summary>
public sealed class ReleaseImageSlot : IActivity<string, bool>
{
    private readonly ImageSlots _slots;

    /// <summary>Initializes a new instance of the <see cref="ReleaseImageSlot"/> class.</summary>
    /// <param name="slots">The slots.</param>
    public ReleaseImageSlot(ImageSlots slots) => _slots = slots ?? throw new ArgumentNullException(nameof(slots));

    /// <inheritdoc/>
    /// <param name="input">The orchestration's instance id.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns><see langword="true"/> when a slot was released.</returns>
    public Task<bool> ExecuteAsync(string input, CancellationToken cancellationToken) => _slots.ReleaseAsync(input, cancellationToken);
}
