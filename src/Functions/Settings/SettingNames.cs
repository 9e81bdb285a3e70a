namespace AdvAudit.Functions.Settings;

/// <summary>
/// Every app setting the Functions app reads, by the name it has in app settings and environment variables
/// (<c>__</c> separates a section from its key). One list, so that local.settings.sample.json, the deployment
/// templates and the code cannot drift apart unnoticed: a test compares the sample with <see cref="Defaults"/>.
/// </summary>
public static class SettingNames
{
    /// <summary>
    /// The storage connection of the audit containers and of the task hub: a connection string
    /// (<c>UseDevelopmentStorage=true</c> for Azurite), or identity-based settings under this prefix
    /// (<see cref="StorageServiceUri"/>, <see cref="StorageBlobServiceUri"/>, <see cref="StorageCredential"/>,
    /// <see cref="StorageClientId"/>).
    /// </summary>
    public const string StorageConnection = "AuditStorage";

    /// <summary>Identity-based connection: the blob endpoint, e.g. <c>https://account.blob.core.windows.net</c>.</summary>
    public const string StorageServiceUri = "AuditStorage__serviceUri";

    /// <summary>Identity-based connection: the blob endpoint, the name the blob trigger and Durable Functions use when queues and tables are configured too.</summary>
    public const string StorageBlobServiceUri = "AuditStorage__blobServiceUri";

    /// <summary>Identity-based connection: the queue endpoint (blob trigger receipts and the Durable task hub).</summary>
    public const string StorageQueueServiceUri = "AuditStorage__queueServiceUri";

    /// <summary>Identity-based connection: the table endpoint (the Durable task hub's history and instances).</summary>
    public const string StorageTableServiceUri = "AuditStorage__tableServiceUri";

    /// <summary>Identity-based connection: <c>managedidentity</c> to use only the managed identity; otherwise <c>DefaultAzureCredential</c>.</summary>
    public const string StorageCredential = "AuditStorage__credential";

    /// <summary>Identity-based connection: the client id of a user-assigned managed identity.</summary>
    public const string StorageClientId = "AuditStorage__clientId";

    /// <summary>The container watched for uploads; the blob trigger path is <c>%UploadsContainer%/{name}</c>.</summary>
    public const string UploadsContainer = "UploadsContainer";

    /// <summary>The container results and error reports are written to.</summary>
    public const string ResultsContainer = "ResultsContainer";

    /// <summary>The container the model file is fetched from.</summary>
    public const string ModelsContainer = "ModelsContainer";

    /// <summary>The container attack checkpoints are kept in between activity slices.</summary>
    public const string AttackWorkContainer = "AttackWorkContainer";

    /// <summary>The Durable Functions task hub name (host.json reads it as <c>%TaskHubName%</c>).</summary>
    public const string TaskHubName = "TaskHubName";

    /// <summary>Which upload trigger does the work: <c>Polling</c> (local, Azurite) or <c>EventGrid</c> (Azure).</summary>
    public const string TriggerSource = "Trigger__Source";

    /// <summary>The largest upload accepted, in MiB; larger blobs get error.json without being downloaded.</summary>
    public const string TriggerMaxImageMb = "Trigger__MaxImageMb";

    /// <summary>The most uploads attacked at once; the others wait for a slot before writing any state.</summary>
    public const string TriggerMaxImagesInFlight = "Trigger__MaxImagesInFlight";

    /// <summary>The host switch that turns the polling trigger function off.</summary>
    public const string PollingTriggerDisabled = "AzureWebJobs.OnImageUploadedPolling.Disabled";

    /// <summary>The host switch that turns the Event Grid trigger function off.</summary>
    public const string EventGridTriggerDisabled = "AzureWebJobs.OnImageUploadedEventGrid.Disabled";

    /// <summary>Model preset (preprocessing, classes, download).</summary>
    public const string ModelPreset = "Model__Preset";

    /// <summary>The model's ONNX file as a blob name in the models container.</summary>
    public const string ModelBlobName = "Model__BlobName";

    /// <summary>Transfer models: comma-separated ONNX blob names in the models container (each with a sidecar JSON) that also classify every adversarial image.</summary>
    public const string ModelTransferBlobNames = "Model__TransferBlobNames";

    /// <summary>Surrogate models: comma-separated ONNX blob names in the models container (each with a sidecar JSON) that surrogate-based attacks (transfer) craft on.</summary>
    public const string ModelSurrogateBlobNames = "Model__SurrogateBlobNames";

    /// <summary>The model's ONNX file as a local path (instead of a blob).</summary>
    public const string ModelLocalPath = "Model__LocalPath";

    /// <summary>The expected SHA-256 of the ONNX file (hex).</summary>
    public const string ModelSha256 = "Model__Sha256";

    /// <summary>Execution provider: <c>auto</c>, <c>cuda</c> or <c>cpu</c>.</summary>
    public const string ModelProvider = "Model__Provider";

    /// <summary>The most images merged into one model call.</summary>
    public const string ModelMaxBatch = "Model__MaxBatch";

    /// <summary>
    /// The app setting that overrides host.json's <c>extensions.durableTask.maxConcurrentActivityFunctions</c>: how many
    /// activities one worker runs at once. A setting of the host, read by the app only to check that it fills the model's
    /// batches (<see cref="ModelMaxBatch"/>, <see cref="AuditMaxConcurrency"/>).
    /// </summary>
    public const string MaxConcurrentActivities = "AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions";

    /// <summary>The longest a model call waits for attacking activities still to send their queries, in milliseconds.</summary>
    public const string ModelMaxWaitMs = "Model__MaxWaitMs";

    /// <summary>Where the worker keeps its verified copy of the model; empty uses a folder under the temp directory.</summary>
    public const string ModelCacheDir = "Model__CacheDir";

    /// <summary>The attack plan: specs separated by <c>;</c>, e.g. <c>square;simba-dct:maxQueries=5000</c>.</summary>
    public const string AttackAttacks = "Attack__Attacks";

    /// <summary>How a plan's attacks share the images: <c>first-success</c> or <c>all</c>.</summary>
    public const string AttackPlanMode = "Attack__PlanMode";

    /// <summary>Attack norm: <c>linf</c>, <c>l2</c>, or empty for each attack's own.</summary>
    public const string AttackNorm = "Attack__Norm";

    /// <summary>Attack budget in [0,1] pixel units; empty takes the norm's default (0.05 L-inf, 5 L2).</summary>
    public const string AttackEps = "Attack__Eps";

    /// <summary>Queries per image, including the initialization.</summary>
    public const string AttackMaxQueries = "Attack__MaxQueries";

    /// <summary>The random seed.</summary>
    public const string AttackSeed = "Attack__Seed";

    /// <summary>Target of a targeted attack (a label, an index, <c>random</c>, <c>least-likely</c>); empty is untargeted.</summary>
    public const string AttackTarget = "Attack__Target";

    /// <summary>Whether successful perturbations are shrunk to eps*.</summary>
    public const string AttackMinimize = "Attack__Minimize";

    /// <summary>The most attack iterations one activity runs before it checkpoints.</summary>
    public const string AttackSliceQueries = "Attack__SliceQueries";

    /// <summary>The most seconds one activity attacks before it checkpoints.</summary>
    public const string AttackSliceSeconds = "Attack__SliceSeconds";

    /// <summary>How many slices one orchestration execution runs before it continues as new.</summary>
    public const string AttackSlicesPerExecution = "Attack__SlicesPerExecution";

    /// <summary>Bulk audits: the most per-image orchestrations of one audit running at once.</summary>
    public const string AuditMaxConcurrency = "Audit__MaxConcurrency";

    /// <summary>Bulk audits: the most images one execution of the audit orchestration fans out before it continues as new (bounds its history).</summary>
    public const string AuditImagesPerExecution = "Audit__ImagesPerExecution";

    /// <summary>Blob retries after the first attempt on transient errors.</summary>
    public const string ResilienceMaxRetries = "Resilience__MaxRetries";

    /// <summary>The first retry delay in milliseconds (doubled each time, with jitter).</summary>
    public const string ResilienceBaseDelayMs = "Resilience__BaseDelayMs";

    /// <summary>The time limit of one blob read or write attempt, in seconds.</summary>
    public const string ResilienceAttemptTimeoutSeconds = "Resilience__AttemptTimeoutSeconds";

    /// <summary>The time limit of one model download attempt, in seconds.</summary>
    public const string ResilienceModelDownloadTimeoutSeconds = "Resilience__ModelDownloadTimeoutSeconds";

    /// <summary>How long, in minutes, orchestrations keep retrying activities that failed because storage was unreachable.</summary>
    public const string ResilienceOutageToleranceMinutes = "Resilience__OutageToleranceMinutes";

    /// <summary>
    /// Gets every setting of this app with its default as local.settings.sample.json has it (an empty string is "not
    /// set"); the identity-based connection settings are left out, as they replace <see cref="StorageConnection"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Defaults { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [StorageConnection] = "UseDevelopmentStorage=true",
        [UploadsContainer] = StorageOptions.DefaultUploads,
        [ResultsContainer] = StorageOptions.DefaultResults,
        [ModelsContainer] = StorageOptions.DefaultModels,
        [AttackWorkContainer] = StorageOptions.DefaultAttackWork,
        [TaskHubName] = "advaudit",
        [TriggerSource] = "Polling",
        [TriggerMaxImageMb] = "50",
        [TriggerMaxImagesInFlight] = "16",
        [PollingTriggerDisabled] = "false",
        [EventGridTriggerDisabled] = "true",
        [ModelPreset] = "inception-v3",
        [ModelBlobName] = string.Empty,
        [ModelTransferBlobNames] = string.Empty,
        [ModelSurrogateBlobNames] = string.Empty,
        [ModelLocalPath] = string.Empty,
        [ModelSha256] = string.Empty,
        [ModelProvider] = "auto",
        [ModelMaxBatch] = "32",
        [ModelMaxWaitMs] = "5",
        [ModelCacheDir] = string.Empty,
        [AttackAttacks] = "square",
        [AttackPlanMode] = "first-success",
        [AttackNorm] = string.Empty,
        [AttackEps] = string.Empty,
        [AttackMaxQueries] = "10000",
        [AttackSeed] = "0",
        [AttackTarget] = string.Empty,
        [AttackMinimize] = "true",
        [AttackSliceQueries] = "500",
        [AttackSliceSeconds] = "60",
        [AttackSlicesPerExecution] = "10",
        [AuditMaxConcurrency] = "8",
        [AuditImagesPerExecution] = "100",
        [ResilienceMaxRetries] = "5",
        [ResilienceBaseDelayMs] = "500",
        [ResilienceAttemptTimeoutSeconds] = "60",
        [ResilienceModelDownloadTimeoutSeconds] = "900",
        [ResilienceOutageToleranceMinutes] = "15",
    };

    /// <summary>Gets the identity-based connection settings (used instead of a connection string in Azure).</summary>
    public static IReadOnlyList<string> IdentityConnection { get; } =
        [StorageServiceUri, StorageBlobServiceUri, StorageQueueServiceUri, StorageTableServiceUri, StorageCredential, StorageClientId];

    /// <summary>Turns an app-setting name into its configuration key (<c>Model__Preset</c> to <c>Model:Preset</c>).</summary>
    /// <param name="settingName">The app-setting name.</param>
    /// <returns>The configuration key.</returns>
    public static string Key(string settingName)
    {
        ArgumentNullException.ThrowIfNull(settingName);
        return settingName.Replace("__", ":", StringComparison.Ordinal);
    }
}
