namespace AdvAudit.Functions.Storage;

/// <summary>
/// Storage stayed unreachable through every retry of one blob operation (connection refused, timeouts, 5xx):
/// an outage, not a fault of the input. Activities let it escape, and the orchestrations' retry handler
/// (<see cref="Orchestration.ActivityRetry"/>) keeps retrying such failures for the configured outage tolerance
/// (<see cref="Settings.ResilienceOptions.OutageToleranceMinutes"/>) instead of failing the image.
/// </summary>
public sealed class StorageUnavailableException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="StorageUnavailableException"/> class.</summary>
    public StorageUnavailableException()
        : base("Storage is unavailable.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="StorageUnavailableException"/> class.</summary>
    /// <param name="message">What failed.</param>
    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="StorageUnavailableException"/> class.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The last attempt's error.</param>
    public StorageUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
