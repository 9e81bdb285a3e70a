namespace AdvAudit.Functions.Settings;

/// <summary>Retry and timeout of blob I/O and the model download (section <c>Resilience</c>).</summary>
public sealed class ResilienceOptions
{
    /// <summary>The section name.</summary>
    public const string Section = "Resilience";

    /// <summary>Gets or sets the retries after the first attempt on transient errors.</summary>
    /// <value>Defaults to 5. Between 0 and 20.</value>
    public int MaxRetries { get; set; } = 5;

    /// <summary>Gets or sets the first retry delay in milliseconds; each further delay doubles, with jitter.</summary>
    /// <value>Defaults to 500. Between 0 and 60,000.</value>
    public int BaseDelayMs { get; set; } = 500;

    /// <summary>Gets or sets the time limit of one blob read or write attempt, in seconds.</summary>
    /// <value>Defaults to 60. Between 1 and 600.</value>
    public int AttemptTimeoutSeconds { get; set; } = 60;

    /// <summary>Gets or sets the time limit of one model download attempt, in seconds.</summary>
    /// <value>Defaults to 900. Between 10 and 3600.</value>
    public int ModelDownloadTimeoutSeconds { get; set; } = 900;

    /// <summary>
    /// Gets or sets how long an orchestration keeps retrying an activity that failed because storage was unreachable
    /// (after the blob retries above), in minutes, before the image fails.
    /// </summary>
    /// <value>Defaults to 15. Between 1 and 1440. Other activity failures get 3 attempts, 5 s and 10 s apart.</value>
    public int OutageToleranceMinutes { get; set; } = 15;
}
