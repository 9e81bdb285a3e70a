// The app settings of the Functions app, in one place for both hostings (Container Apps with a GPU, Flex
// Consumption on CPU). The names are those of src/Functions/Settings/SettingNames.cs plus the host's own settings;
// tests/Infra.Tests/AppSettingsDriftTests.cs compares this module's output with SettingNames, so the two cannot drift.
// No key or connection string: storage is reached with the managed identity (identity-based connections).

@description('Blob endpoint of the storage account, e.g. https://account.blob.core.windows.net/.')
param blobEndpoint string

@description('Queue endpoint of the storage account.')
param queueEndpoint string

@description('Table endpoint of the storage account.')
param tableEndpoint string

@description('Client id of the user-assigned managed identity the app runs as.')
param identityClientId string

@description('Application Insights connection string (ingestion endpoint; local auth is disabled on the component).')
param applicationInsightsConnectionString string

@description('Container watched for uploads (UploadsContainer; also the Event Grid subscription filter).')
param uploadsContainer string

@description('Container results and error reports go to (ResultsContainer).')
param resultsContainer string

@description('Container the model is fetched from (ModelsContainer).')
param modelsContainer string

@description('Container attack checkpoints are kept in (AttackWorkContainer).')
param attackWorkContainer string

@description('Durable Functions task hub name (TaskHubName).')
param taskHubName string

@description('Largest upload accepted, in MiB (Trigger__MaxImageMb).')
param maxImageMb int

@description('Most uploads attacked at once; the others wait for a slot before writing any state (Trigger__MaxImagesInFlight).')
param maxImagesInFlight int

@description('Model preset (Model__Preset): preprocessing and classes, and the download when no blob is named.')
param modelPreset string

@description('ONNX blob in the models container (Model__BlobName); empty downloads the preset\'s file.')
param modelBlobName string

@description('Transfer models (Model__TransferBlobNames): comma-separated ONNX blobs in the models container, each with a sidecar JSON; empty for none.')
param modelTransferBlobNames string

@description('Surrogate models (Model__SurrogateBlobNames): comma-separated ONNX blobs in the models container, each with a sidecar JSON, for the transfer attack; empty for none.')
param modelSurrogateBlobNames string

@description('Expected SHA-256 of the ONNX file (Model__Sha256); empty takes the preset\'s.')
param modelSha256 string

@description('Execution provider (Model__Provider): cuda on the GPU hosting, cpu on Flex Consumption.')
@allowed([ 'auto', 'cuda', 'cpu' ])
param modelProvider string

@description('Most images merged into one model call (Model__MaxBatch).')
param modelMaxBatch int

@description('How long a model call waits, at most, for attacking activities still to send their queries, in ms (Model__MaxWaitMs).')
param modelMaxWaitMs int

@description('Attack plan, specs separated by ";" (Attack__Attacks).')
param attackAttacks string

@description('How a plan\'s attacks share the images (Attack__PlanMode).')
@allowed([ 'first-success', 'all' ])
param attackPlanMode string

@description('Attack norm (Attack__Norm); empty uses each attack\'s own.')
@allowed([ '', 'linf', 'l2' ])
param attackNorm string

@description('Attack budget (Attack__Eps), e.g. 0.05 or empty for the norm\'s default.')
param attackEps string

@description('Queries per image (Attack__MaxQueries).')
param attackMaxQueries int

@description('Random seed (Attack__Seed), a non-negative integer as text.')
param attackSeed string

@description('Target of a targeted attack (Attack__Target); empty is untargeted.')
param attackTarget string

@description('Whether successful perturbations are shrunk to eps* (Attack__Minimize).')
param attackMinimize bool

@description('Attack iterations per activity slice (Attack__SliceQueries).')
param attackSliceQueries int

@description('Seconds per activity slice (Attack__SliceSeconds).')
param attackSliceSeconds int

@description('Slices per orchestration execution before ContinueAsNew (Attack__SlicesPerExecution).')
param attackSlicesPerExecution int

@description('Bulk audits: per-image orchestrations of one audit running at once (Audit__MaxConcurrency).')
param auditMaxConcurrency int

@description('Bulk audits: images per execution of the audit orchestration (Audit__ImagesPerExecution).')
param auditImagesPerExecution int

@description('Activities one worker runs at once; overrides host.json\'s durableTask maxConcurrentActivityFunctions to match the compute.')
param maxConcurrentActivities int

output settings object = {
  // Host storage (leases, keys, blob trigger receipts), identity-based.
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // The audit containers and the Durable task hub (SettingNames.StorageConnection = AuditStorage), identity-based.
  AuditStorage__blobServiceUri: blobEndpoint
  AuditStorage__queueServiceUri: queueEndpoint
  AuditStorage__tableServiceUri: tableEndpoint
  AuditStorage__credential: 'managedidentity'
  AuditStorage__clientId: identityClientId
  UploadsContainer: uploadsContainer
  ResultsContainer: resultsContainer
  ModelsContainer: modelsContainer
  AttackWorkContainer: attackWorkContainer
  TaskHubName: taskHubName
  // In Azure, uploads arrive as Event Grid BlobCreated events. The deployed build has no polling trigger
  // (EventGridTriggerOnly, src/Functions/Functions.csproj); its switch stays off for a build that has one.
  Trigger__Source: 'EventGrid'
  Trigger__MaxImageMb: string(maxImageMb)
  Trigger__MaxImagesInFlight: string(maxImagesInFlight)
  'AzureWebJobs.OnImageUploadedPolling.Disabled': 'true'
  'AzureWebJobs.OnImageUploadedEventGrid.Disabled': 'false'
  Model__Preset: modelPreset
  Model__BlobName: modelBlobName
  Model__TransferBlobNames: modelTransferBlobNames
  Model__SurrogateBlobNames: modelSurrogateBlobNames
  Model__LocalPath: ''
  Model__Sha256: modelSha256
  Model__Provider: modelProvider
  Model__MaxBatch: string(modelMaxBatch)
  Model__MaxWaitMs: string(modelMaxWaitMs)
  Model__CacheDir: ''
  Attack__Attacks: attackAttacks
  Attack__PlanMode: attackPlanMode
  Attack__Norm: attackNorm
  Attack__Eps: attackEps
  Attack__MaxQueries: string(attackMaxQueries)
  Attack__Seed: attackSeed
  Attack__Target: attackTarget
  Attack__Minimize: attackMinimize ? 'true' : 'false'
  Attack__SliceQueries: string(attackSliceQueries)
  Attack__SliceSeconds: string(attackSliceSeconds)
  Attack__SlicesPerExecution: string(attackSlicesPerExecution)
  Audit__MaxConcurrency: string(auditMaxConcurrency)
  Audit__ImagesPerExecution: string(auditImagesPerExecution)
  Resilience__MaxRetries: '5'
  Resilience__BaseDelayMs: '500'
  Resilience__AttemptTimeoutSeconds: '60'
  Resilience__ModelDownloadTimeoutSeconds: '900'
  Resilience__OutageToleranceMinutes: '15'
  // host.json's durableTask section, matched to the compute (one GPU, or the Flex instance's cores).
  AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions: string(maxConcurrentActivities)
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}
