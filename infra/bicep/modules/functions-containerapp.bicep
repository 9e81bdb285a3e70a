// The Functions app on Azure Container Apps (kind functionapp) in a serverless GPU workload profile.
//
// Durable Functions on Container Apps scale out automatically only with the MSSQL backend; with the Azure Storage
// backend used here the app must keep at least one replica running (Microsoft's "Azure Container Apps hosting of
// Durable Functions" guidance), so minReplicas is 1 and the GPU replica is billed while idle (see README, Costs).

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

@description('Most replicas (one GPU each). At least one always runs (see above).')
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

@description('The blobs_extension system key Event Grid presents to the blob trigger\'s webhook. The Container Apps key store does not generate keys, so it is provided as a secret; empty leaves it unset.')
@secure()
param blobsExtensionKey string


// Whole-GPU serverless profiles: the container asks for the profile's full size.
var gpuSizes = {
  'Consumption-GPU-NC8as-T4': { cpu: '8.0', memory: '56Gi' }
  'Consumption-GPU-NC24-A100': { cpu: '24.0', memory: '220Gi' }
}
var gpuProfileName = 'gpu'
var placeholderImage = 'mcr.microsoft.com/azure-functions/dotnet8-quickstart-demo:1.0'
var keySecretName = 'host-systemkey-blobs-extension'
var hostSettings = {
  FUNCTIONS_WORKER_RUNTIME: 'dotnet-isolated'
  // Functions keys come from Container Apps secrets mounted under /run/secrets/functions-keys.
  AzureWebJobsSecretStorageType: 'containerapp'
}
var env = map(items(union(settings, hostSettings)), s => { name: s.key, value: s.value })

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
      secrets: empty(blobsExtensionKey) ? [] : [ { name: keySecretName, value: blobsExtensionKey } ]
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
          volumeMounts: empty(blobsExtensionKey) ? [] : [ { volumeName: 'functions-keys', mountPath: '/run/secrets/functions-keys' } ]
        }
      ]
      volumes: empty(blobsExtensionKey) ? [] : [
        {
          name: 'functions-keys'
          storageType: 'Secret'
          secrets: [ { secretRef: keySecretName, path: 'host.systemKey.blobs_extension' } ]
        }
      ]
      scale: {
        minReplicas: 1
        maxReplicas: maxReplicas
      }
    }
  }
}

output name string = app.name
output environmentName string = environment.name
output hostName string = app.properties.configuration.ingress.fqdn
