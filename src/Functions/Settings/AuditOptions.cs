namespace AdvAudit.Functions.Settings;

/// <summary>Bulk audits (section <c>Audit</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>The section name.</summary>
    public const string Section = "Audit";

    /// <summary>Gets or sets the most per-image orchestrations of one audit running at once.</summary>
    /// <value>Defaults to 8. Between 1 and 100.</value>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>
    /// Gets or sets the most images one execution of the audit orchestration fans out before it continues as new, so
    /// its history holds at most about three events per image of one chunk however large the audit.
    /// </summary>
    /// <value>Defaults to 100. Between 1 and 1,000.</value>
    public int ImagesPerExecution { get; set; } = 100;
}
