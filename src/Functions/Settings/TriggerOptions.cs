namespace AdvAudit.Functions.Settings;

/// <summary>How uploads are picked up (section <c>Trigger</c>).</summary>
public sealed class TriggerOptions
{
    /// <summary>The section name.</summary>
    public const string Section = "Trigger";

    /// <summary>Gets or sets which trigger function does the work: <c>Polling</c> or <c>EventGrid</c>.</summary>
    /// <value>Defaults to <c>Polling</c> (works against Azurite; Azure deployments use <c>EventGrid</c>).</value>
    /// <remarks>
    /// The other trigger function should also be turned off with its host switch
    /// (<see cref="SettingNames.PollingTriggerDisabled"/> or <see cref="SettingNames.EventGridTriggerDisabled"/>) so it
    /// costs nothing; if it is left on, it still only logs and returns.
    /// </remarks>
    public string Source { get; set; } = "Polling";

    /// <summary>Gets or sets the largest upload accepted, in MiB.</summary>
    /// <value>Defaults to 50. Between 1 and 1024.</value>
    public int MaxImageMb { get; set; } = 50;

    /// <summary>
    /// Gets or sets the most uploads attacked at once (admission control): a per-upload run waits, with a durable timer
    /// and no state written, until it gets one of these slots (<see cref="Orchestration.ImageSlots"/>), so 10,000 images
    /// dropped at once do not all write their attack state. Bulk audits are bounded by <see cref="AuditOptions.MaxConcurrency"/> instead.
    /// </summary>
    /// <value>Defaults to 16. Between 1 and 10,000.</value>
    public int MaxImagesInFlight { get; set; } = 16;

    /// <summary>Gets the parsed <see cref="Source"/>.</summary>
    public UploadSource ParsedSource => Enum.TryParse(Source, ignoreCase: true, out UploadSource s) ? s : UploadSource.Polling;
}

/// <summary>Where an upload event comes from.</summary>
public enum UploadSource
{
    /// <summary>The host scans the container (blob logs and receipts); fine locally, slow at scale.</summary>
    Polling,

    /// <summary>Blob-created events delivered by Event Grid.</summary>
    EventGrid,
}
