// advaudit in Azure: the per-image adversarial audit pipeline (storage, Event Grid, the Functions app on a GPU or
// on CPU, identity, monitoring). Deploy with infra/deploy.sh, which runs
//   az deployment sub create --location <region> --template-file infra/bicep/main.bicep --parameters ...
// twice around building the app (see README, "Deploy to Azure").
targetScope = 'subscription'

@description('Short name of this deployment (letters, digits, hyphens); names the resource group rg-<name> and seeds every resource name.')
@minLength(1)
@maxLength(20)
param environmentName string

@description('Azure region of every resource. With hosting=gpu it must offer the chosen serverless GPU profile (e.g. westus3, swedencentral, australiaeast).')
@minLength(1)
param location string

@description('Where the Functions app runs: gpu (Azure Container Apps, serverless GPU, one replica always on) or cpu (Flex Consumption, scales to zero, no GPU quota needed).')
@allowed([ 'gpu', 'cpu' ])
param hosting string = 'gpu'

@description('Serverless GPU workload profile for hosting=gpu: Consumption-GPU-NC8as-T4 (T4, cheaper) or Consumption-GPU-NC24-A100 (A100).')
@allowed([ 'Consumption-GPU-NC8as-T4', 'Consumption-GPU-NC24-A100' ])
param gpuProfileType string = 'Consumption-GPU-NC8as-T4'

@description('Most GPU replicas for hosting=gpu. The minimum is 1 with durableBackend=azureStorage (Container Apps does not autoscale Durable Functions on it) and 0 with durableTaskScheduler.')
@minValue(1)
@maxValue(10)
param maxReplicas int = 1

@description('Durable Functions backend for hosting=gpu: azureStorage (queues and tables of the storage account; one replica always runs) or durableTaskScheduler (an Azure-managed Durable Task Scheduler; Container Apps scales the replicas on its pending work from 0 to maxReplicas). durableTaskScheduler needs the image built with DURABLE_BACKEND=DurableTaskScheduler, which infra/deploy.sh --durable-backend scheduler does. Flex Consumption (hosting=cpu) always uses azureStorage and scales to zero with it.')
@allowed([ 'azureStorage', 'durableTaskScheduler' ])
param durableBackend string = 'azureStorage'

@description('Most Flex Consumption instances for hosting=cpu.')
@minValue(1)
@maxValue(1000)
param flexMaximumInstanceCount int = 20

@description('Memory per Flex Consumption instance in MB for hosting=cpu (4096 gives two vCPU-equivalents).')
@allowed([ 2048, 4096 ])
param flexInstanceMemoryMB int = 4096

@description('.NET isolated version of the Flex Consumption runtime for hosting=cpu.')
param flexRuntimeVersion string = '10.0'

@description('Tag of the app image in the registry for hosting=gpu (set by infra/deploy.sh after `az acr build`); empty runs a placeholder image.')
param appImageTag string = ''

@description('Name of the app image repository in the registry for hosting=gpu.')
param appImageRepository string = 'advaudit-functions'

@description('The blobs_extension system key of the Functions host, which Event Grid presents to the blob trigger (at least 32 characters; required for hosting=gpu, where it is a Container Apps secret). infra/deploy.sh generates one; empty deploys no Event Grid subscription.')
@secure()
param blobsExtensionKey string = ''

@description('The Functions host master key for hosting=gpu (at least 32 characters; the Container Apps key store generates none). infra/deploy.sh generates one. Unused on Flex Consumption, whose host generates its own.')
@secure()
param hostMasterKey string = ''

@description('The default host key for hosting=gpu (at least 32 characters): the function key callers of /api/audits present. infra/deploy.sh generates one. Unused on Flex Consumption, whose host generates its own.')
@secure()
param hostDefaultKey string = ''

@description('Whether to create the Event Grid subscription; set true only once the app is running (Event Grid validates the endpoint on creation). infra/deploy.sh sets it in its second deployment.')
param deployEventSubscription bool = false

@description('Container watched for uploads.')
@minLength(3)
@maxLength(63)
param uploadsContainerName string = 'uploads'

@description('Container results are written to.')
@minLength(3)
@maxLength(63)
param resultsContainerName string = 'results'

@description('Container the model file is fetched from.')
@minLength(3)
@maxLength(63)
param modelsContainerName string = 'models'

@description('Container attack checkpoints are kept in.')
@minLength(3)
@maxLength(63)
param attackWorkContainerName string = 'attack-work'

@description('Days after which a blob in the attack-work container is deleted by the lifecycle rule.')
@minValue(1)
@maxValue(365)
param attackWorkRetentionDays int = 7

@description('Durable Functions task hub name (3-45 letters and digits).')
@minLength(3)
@maxLength(45)
param taskHubName string = 'advaudit'

@description('Largest upload accepted, in MiB.')
@minValue(1)
@maxValue(1024)
param maxImageMb int = 50

@description('Most uploads attacked at once (admission control): 10,000 images dropped at once wait, without writing state, for one of these slots.')
@minValue(1)
@maxValue(10000)
param maxImagesInFlight int = 16

@description('Model preset: preprocessing and classes, and the file downloaded when modelBlobName is empty.')
param modelPreset string = 'inception-v3'

@description('ONNX file in the models container (e.g. inception_v3_Opset17.onnx); empty downloads the preset\'s file at start.')
param modelBlobName string = ''

@description('Transfer models: comma-separated ONNX files in the models container, each with a sidecar JSON, that also classify every adversarial image; empty for none.')
param modelTransferBlobNames string = ''

@description('Surrogate models: comma-separated ONNX files in the models container, each with a sidecar JSON, that the transfer attack crafts on (the served model is then only queried to check); empty for none.')
param modelSurrogateBlobNames string = ''

@description('SHA-256 (64 hex digits) the model file must have; empty takes the preset\'s.')
param modelSha256 string = ''

@description('Most images merged into one model call; 0 picks 32 on an A100, 32 on a T4, 8 on CPU. The app refuses to start when it is below maxConcurrentActivities or (on a GPU) pads a full batch of maxConcurrentActivities images.')
@minValue(0)
@maxValue(1024)
param modelMaxBatch int = 0

@description('Milliseconds a model call waits, at most, for attacking activities still to send their queries.')
@minValue(0)
@maxValue(1000)
param modelMaxWaitMs int = 5

@description('Activities one worker runs at once (host.json maxConcurrentActivityFunctions), so images attacked at once; 0 picks 32 on an A100, 8 on a T4, 2 on CPU.')
@minValue(0)
@maxValue(64)
param maxConcurrentActivities int = 0

@description('Default attack plan: attack specs separated by ";", run in order, e.g. "square;simba-dct:maxQueries=5000" (per-image blob metadata can override it).')
param attackAttacks string = 'square'

@description('How a plan\'s attacks share the images: first-success (later attacks only on images not fooled yet) or all (every attack on every image, for comparison).')
@allowed([ 'first-success', 'all' ])
param attackPlanMode string = 'first-success'

@description('Default attack norm (per-image blob metadata can override it); empty uses each attack\'s own (L-inf; L2 for simba-dct).')
@allowed([ '', 'linf', 'l2' ])
param attackNorm string = ''

@description('Default attack budget, e.g. 0.05 or 8/255 style decimals; empty takes the norm\'s default (0.05 L-inf, 5 L2).')
param attackEps string = ''

@description('Default queries per image.')
@minValue(1)
@maxValue(1000000)
param attackMaxQueries int = 10000

@description('Default random seed (a non-negative integer).')
param attackSeed string = '0'

@description('Default target (a label, an index, random, least-likely); empty is untargeted.')
param attackTarget string = ''

@description('Whether successful perturbations are shrunk to the smallest that still fools the model.')
param attackMinimize bool = true

@description('Attack iterations per activity slice before a checkpoint.')
@minValue(1)
@maxValue(100000)
param attackSliceQueries int = 500

@description('Seconds per activity slice before a checkpoint.')
@minValue(1)
@maxValue(600)
param attackSliceSeconds int = 60

@description('Slices per orchestration execution before it continues as new.')
@minValue(1)
@maxValue(1000)
param attackSlicesPerExecution int = 10

@description('Bulk audits: the most per-image orchestrations of one audit running at once (Audit__MaxConcurrency); 0 picks 32 on an A100, 8 on a T4 and on CPU. It must be at least maxConcurrentActivities; with more replicas, raise it to activities times replicas so each replica gets images.')
@minValue(0)
@maxValue(100)
param auditMaxConcurrency int = 0

@description('Bulk audits: images one execution of the audit orchestration fans out before it continues as new (Audit__ImagesPerExecution).')
@minValue(1)
@maxValue(1000)
param auditImagesPerExecution int = 100

@description('Object id of the deploying user (or a group), granted Storage Blob Data Contributor to upload models and images and read results; empty grants nobody. infra/deploy.sh passes the signed-in user.')
param principalId string = ''

@description('Type of principalId: User, Group or ServicePrincipal.')
@allowed([ 'User', 'Group', 'ServicePrincipal' ])
param principalType string = 'User'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var identityName = 'id-${resourceToken}'
var storageAccountName = 'st${resourceToken}'
var tags = { 'azd-env-name': environmentName, application: 'advaudit' }
var useGpu = hosting == 'gpu'
// The Flex Consumption app package container (hosting=cpu only).
var deploymentContainerName = 'app-package'
var auditContainers = [ uploadsContainerName, resultsContainerName, modelsContainerName, attackWorkContainerName ]
// Name of the Event Grid-sourced blob trigger function (src/Functions/Upload/OnImageUploaded.cs).
var eventGridFunctionName = 'OnImageUploadedEventGrid'
// Concurrency and batch matched to the compute: the activities of one worker (one image each) fill a merged model call
// that is exactly one of the GPU batch sizes (1, 8, 32 under maxBatch, and maxBatch), so no padding row is computed,
// and an audit keeps at least that many images in flight. The app checks the same at start (ConcurrencyValidator).
var computeDefaults = {
  'Consumption-GPU-NC24-A100': { activities: 32, maxBatch: 32, auditConcurrency: 32, provider: 'cuda' }
  'Consumption-GPU-NC8as-T4': { activities: 8, maxBatch: 32, auditConcurrency: 8, provider: 'cuda' }
  cpu: { activities: 2, maxBatch: 8, auditConcurrency: 8, provider: 'cpu' }
}
var compute = computeDefaults[useGpu ? gpuProfileType : 'cpu']
var useScheduler = useGpu && durableBackend == 'durableTaskScheduler'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    appPrincipalId: identity.outputs.principalId
    appIdentityName: identityName
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    containerNames: useGpu ? auditContainers : concat(auditContainers, [ deploymentContainerName ])
    attackWorkContainer: attackWorkContainerName
    attackWorkRetentionDays: attackWorkRetentionDays
    appPrincipalId: identity.outputs.principalId
    appIdentityName: identityName
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

module registry 'modules/registry.bicep' = if (useGpu) {
  name: 'registry'
  scope: rg
  params: {
    name: 'cr${resourceToken}'
    location: location
    tags: tags
    appPrincipalId: identity.outputs.principalId
    appIdentityName: identityName
  }
}

module appSettings 'modules/app-settings.bicep' = {
  name: 'app-settings'
  scope: rg
  params: {
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    identityClientId: identity.outputs.clientId
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    uploadsContainer: uploadsContainerName
    resultsContainer: resultsContainerName
    modelsContainer: modelsContainerName
    attackWorkContainer: attackWorkContainerName
    taskHubName: taskHubName
    maxImageMb: maxImageMb
    maxImagesInFlight: maxImagesInFlight
    modelPreset: modelPreset
    modelBlobName: modelBlobName
    modelTransferBlobNames: modelTransferBlobNames
    modelSurrogateBlobNames: modelSurrogateBlobNames
    modelSha256: modelSha256
    modelProvider: compute.provider
    modelMaxBatch: modelMaxBatch == 0 ? compute.maxBatch : modelMaxBatch
    modelMaxWaitMs: modelMaxWaitMs
    attackAttacks: attackAttacks
    attackPlanMode: attackPlanMode
    attackNorm: attackNorm
    attackEps: attackEps
    attackMaxQueries: attackMaxQueries
    attackSeed: attackSeed
    attackTarget: attackTarget
    attackMinimize: attackMinimize
    attackSliceQueries: attackSliceQueries
    attackSliceSeconds: attackSliceSeconds
    attackSlicesPerExecution: attackSlicesPerExecution
    auditMaxConcurrency: auditMaxConcurrency == 0 ? compute.auditConcurrency : auditMaxConcurrency
    auditImagesPerExecution: auditImagesPerExecution
    maxConcurrentActivities: maxConcurrentActivities == 0 ? compute.activities : maxConcurrentActivities
  }
}

module scheduler 'modules/durable-task-scheduler.bicep' = if (useScheduler) {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    name: 'dts-${resourceToken}'
    location: location
    tags: tags
    taskHubName: taskHubName
    appPrincipalId: identity.outputs.principalId
    appIdentityName: identityName
  }
}

module gpuApp 'modules/functions-containerapp.bicep' = if (useGpu) {
  name: 'functions-containerapp'
  scope: rg
  params: {
    environmentName: 'cae-${resourceToken}'
    appName: 'func-${resourceToken}'
    location: location
    tags: tags
    gpuProfileType: gpuProfileType
    maxReplicas: maxReplicas
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    identityId: identity.outputs.id
    registryServer: registry.?outputs.loginServer ?? ''
    image: empty(appImageTag) ? '' : '${registry.?outputs.loginServer}/${appImageRepository}:${appImageTag}'
    settings: appSettings.outputs.settings
    durableTaskSchedulerEndpoint: scheduler.?outputs.endpoint ?? ''
    identityClientId: identity.outputs.clientId
    hostMasterKey: hostMasterKey
    hostDefaultKey: hostDefaultKey
    blobsExtensionKey: blobsExtensionKey
  }
}

module cpuApp 'modules/functions-flex.bicep' = if (!useGpu) {
  name: 'functions-flex'
  scope: rg
  params: {
    planName: 'plan-${resourceToken}'
    appName: 'func-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    deploymentContainerUrl: '${storage.outputs.blobEndpoint}${deploymentContainerName}'
    maximumInstanceCount: flexMaximumInstanceCount
    instanceMemoryMB: flexInstanceMemoryMB
    runtimeVersion: flexRuntimeVersion
    settings: appSettings.outputs.settings
  }
}

var appName = useGpu ? gpuApp.?outputs.name ?? '' : cpuApp.?outputs.name ?? ''
var appHostName = useGpu ? gpuApp.?outputs.hostName ?? '' : cpuApp.?outputs.hostName ?? ''

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  scope: rg
  params: {
    topicName: 'evgt-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storageAccountName
    uploadsContainer: uploadsContainerName
    createSubscription: deployEventSubscription && !empty(blobsExtensionKey)
    webhookUrl: 'https://${appHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${eventGridFunctionName}&code=${blobsExtensionKey}'
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output HOSTING string = hosting
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output UPLOADS_CONTAINER string = uploadsContainerName
output RESULTS_CONTAINER string = resultsContainerName
output MODELS_CONTAINER string = modelsContainerName
output ATTACK_WORK_CONTAINER string = attackWorkContainerName
output DEPLOYMENT_CONTAINER string = useGpu ? '' : deploymentContainerName
output FUNCTION_APP_NAME string = appName
output FUNCTION_APP_HOST_NAME string = appHostName
output EVENT_GRID_FUNCTION_NAME string = eventGridFunctionName
output EVENT_GRID_SYSTEM_TOPIC_NAME string = eventGrid.outputs.topicName
output AZURE_CONTAINER_REGISTRY_NAME string = registry.?outputs.name ?? ''
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.?outputs.loginServer ?? ''
output APP_IMAGE_REPOSITORY string = appImageRepository
output DURABLE_BACKEND string = useScheduler ? 'durableTaskScheduler' : 'azureStorage'
output DURABLE_TASK_SCHEDULER_ENDPOINT string = scheduler.?outputs.endpoint ?? ''
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = gpuApp.?outputs.environmentName ?? ''
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output AZURE_LOG_ANALYTICS_WORKSPACE_NAME string = monitoring.outputs.workspaceName
