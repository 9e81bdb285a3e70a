namespace AdvAudit.Functions.Settings;

/// <summary>The storage containers (top-level app settings, so the trigger path can say <c>%UploadsContainer%</c>).</summary>
public sealed class StorageOptions
{
    /// <summary>The default input container.</summary>
    public const string DefaultUploads = "uploads";

    /// <summary>The default output container.</summary>
    public const string DefaultResults = "results";

    /// <summary>The default models container.</summary>
    public const string DefaultModels = "models";

    /// <summary>The default checkpoint container.</summary>
    public const string DefaultAttackWork = "attack-work";

    /// <summary>Gets or sets the container watched for uploads.</summary>
    /// <value>Defaults to <c>uploads</c>.</value>
    public string UploadsContainer { get; set; } = DefaultUploads;

    /// <summary>Gets or sets the container results go to.</summary>
    /// <value>Defaults to <c>results</c>.</value>
    public string ResultsContainer { get; set; } = DefaultResults;

    /// <summary>Gets or sets the container the model is fetched from.</summary>
    /// <value>Defaults to <c>models</c>.</value>
    public string ModelsContainer { get; set; } = DefaultModels;

    /// <summary>Gets or sets the container attack checkpoints are kept in.</summary>
    /// <value>Defaults to <c>attack-work</c>.</value>
    public string AttackWorkContainer { get; set; } = DefaultAttackWork;
}
