namespace AttackCore.Reporting;

/// <summary>The tool that wrote a report.</summary>
public sealed record ToolInfo
{
    /// <summary>Gets the tool's name.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the tool's version (informational version of the assembly).</summary>
    public required string Version { get; init; }
}
