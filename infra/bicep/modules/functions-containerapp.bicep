// The Functions app on Azure Container Apps (kind functionapp) in a serverless GPU workload profile.
//
// Durable Functions on Container Apps scale automatically only with the MSSQL or Durable Task Scheduler backend
// (Microsoft's "Azure Functions on Azure Container Apps overview", Event-driven scaling). With the Azure Storage
// backend (the default) the app must keep a replica running, so minReplicas is 1 and that GPU replica is billed while
// idle. With the Durable Task Scheduler (durableTaskSchedulerEndpoint set) the platform scales the replicas on the
// scheduler's pending work items, from zero to maxReplicas (see README, Scaling).

@description('Name of the Container Apps environment.')
param environmentName string

@description('Name of the container app (2-32 lowercase letters, digits and hyphens).')
@minLength(2)
@maxLength(32)
param appName string

@description('Azure region of the environment and the app.')
param location string

@description('Tags applied to the environment and the app.')
param tags object

@description('Serverless GPU workload profile type: Consumption-GPU-NC8as-T4 (NVIDIA T4, 16 GB) or Consumption-GPU-NC24-A100 (NVIDIA A100, 80 GB). Needs serverless GPU quota in the region.')
@allowed([ 'Consumption-GPU-NC8as-T4', 'Consumption-GPU-NC24-A100' ])
param gpuProfileType string

@description('Most replicas (one GPU each). With the Azure Storage backend at least one always runs (see above).')
@minValue(1)
@maxValue(10)
param maxReplicas int

@description('Resource id of the Log Analytics workspace the environment sends its logs to (through diagnostic settings, no shared key).')
param logAnalyticsWorkspaceId string

@description('Resource id of the user-assigned managed identity the app runs as and pulls its image with.')
param identityId string

@description('Login server of the registry holding the app image, e.g. crxxxx.azurecr.io.')
param registryServer string

@description('Image of the app, e.g. crxxxx.azurecr.io/advaudit-functions:20250101-1200; empty runs a public placeholder Functions image until the first `az acr build` (infra/deploy.sh does both).')
param image string

@description('App settings (name to value) from modules/app-settings.bicep.')
param settings object

@description('Endpoint of the Durable Task Scheduler (modules/durable-task-scheduler.bicep) the host keeps its task hub in; empty keeps the Azure Storage backend of host.json, with one replica always running.')
param durableTaskSchedulerEndpoint string

@description('Client id of the managed identity, which the host presents to the Durable Task Scheduler.')
param identityClientId string

@description('The Functions host master key (admin API). The Container Apps key store does not generate keys, so every key the host needs is provided as a secret.')
@secure()
@minLength(32)
param hostMasterKey string

@description('The default host key: the function key that callers of the HTTP API (/api/audits) present as ?code= or x-functions-key.')
@secure()
@minLength(32)
param hostDefaultKey string

@description('The blobs_extension system key Event Grid presents to the blob trigger\'s webhook (/runtime/webhooks/blobs).')
@secure()
@minLength(32)
param blobsExtensionKey string


// Whole-GPU serverless profiles: the container asks for the profile's full size.
var gpuSizes = {
  'Consumption-GPU-NC8as-T4': { cpu: '8.0', memory: '56Gi' }
  'Consumption-GPU-NC24-A100': { cpu: '24.0', memory: '220Gi' }
}
var gpuProfileName = 'gpu'
var placeholderImage = 'mcr.microsoft.com/azure-functions/dotnet8-quickstart-demo:1.0'
// The host's keys as Container Apps secrets, mounted as files in /run/secrets/functions-keys, where the host's
// ContainerAppsSecretsRepository reads them (azure-functions-host, src/WebJobs.Script.WebHost/Security/KeyManagement):
// host.master is the master key, host.function.<name> a host key, host.systemKey.<name> a system key. Secret names allow
// only lowercase letters, digits and dashes, so each secret is mounted under the dotted file name the host expects
// (Microsoft's "Configure Functions host key storage on Azure Container Apps" gives the same names). The repository
// is read-only: the host never generates a missing key, so all three are provisioned here.
var hostKeys = [
  { secret: 'host-master', path: 'host.master', value: hostMasterKey }
  { secret: 'host-function-default', path: 'host.function.default', value: hostDefaultKey }
  { secret: 'host-systemkey-blobs-extension', path: 'host.systemKey.blobs_extension', value: blobsExtensionKey }
]
var hostSettings = {
  FUNCTIONS_WORKER_RUNTIME: 'dotnet-isolated'
  // The secret storage type, spelled as the host compares it: DefaultSecretManagerProvider.TryGetSecretsRepositoryType
  // selects ContainerAppsSecretsRepository for "containerapps" (case-insensitive). Microsoft's Container Apps page
  // writes "containerapp"; the host matches no repository to that spelling and falls back to blob storage, which
  // generates its own keys, so the mounted keys (and the one Event Grid presents) would be ignored.
  AzureWebJobsSecretStorageType: 'containerapps'
}
var useScheduler = !empty(durableTaskSchedulerEndpoint)
// host.json's durableTask storageProvider switched to the Durable Task Scheduler ("azureManaged"), which the image
// supports when built with DURABLE_BACKEND=DurableTaskScheduler (Dockerfile); hubName stays %TaskHubName%.
var schedulerSettings = useScheduler ? {
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
  // Identity-based: the user-assigned identity's client id, no key.
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
} : {}
var env = map(items(union(settings, hostSettings, schedulerSettings)), s => { name: s.key, value: s.value })

resource environment 'Microsoft.App/managedEnvironments@2025-07-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    // Logs go to Log Analytics through the diagnostic setting below, which needs no workspace key.
    appLogsConfiguration: { destination: 'azure-monitor' }
    workloadProfiles: [
      { name: 'Consumption', workloadProfileType: 'Consumption' }
      { name: gpuProfileName, workloadProfileType: gpuProfileType }
    ]
  }
}

resource environmentLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs-to-workspace'
  scope: environment
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [ { categoryGroup: 'allLogs', enabled: true } ]
  }
}

resource app 'Microsoft.App/containerApps@2025-07-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: gpuProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      // External ingress: Event Grid delivers BlobCreated events to /runtime/webhooks/blobs.
      ingress: {
        external: true
        targetPort: 80
        transport: 'auto'
        allowInsecure: false
      }
      registries: [ { server: registryServer, identity: identityId } ]
      secrets: [for key in hostKeys: { name: key.secret, value: key.value }]
    }
    template: {
      containers: [
        {
          name: 'functions'
          image: empty(image) ? placeholderImage : image
          resources: {
            cpu: json(gpuSizes[gpuProfileType].cpu)
            memory: gpuSizes[gpuProfileType].memory
          }
          env: env
          volumeMounts: [ { volumeName: 'functions-keys', mountPath: '/run/secrets/functions-keys' } ]
        }
      ]
      volumes: [
        {
          name: 'functions-keys'
          storageType: 'Secret'
          secrets: [for key in hostKeys: { secretRef: key.secret, path: key.path }]
        }
      ]
      scale: {
        // Zero only where the platform can scale Durable Functions back up (the scheduler backend), see above.
        minReplicas: useScheduler ? 0 : 1
        maxReplicas: maxReplicas
      }
    }
  }
}

output name string = app.name
output environmentName string = environment.name
output hostName string = app.properties.configuration.ingress.fqdn
