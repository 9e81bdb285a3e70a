namespace AdvAudit.Functions.Orchestration;

/// <summary>The names orchestrations are scheduled by (stable: they are stored in the task hub).</summary>
public static class OrchestratorNames
{
    /// <summary>The per-image audit.</summary>
    public const string ImageAudit = "ImageAudit";

    /// <summary>The bulk audit.</summary>
    public const string Audit = "Audit";
}
