// The Functions app on Flex Consumption (CPU only), for subscriptions without serverless GPU quota. It scales to
// zero: nothing is billed for compute while no upload is being audited. The app package is deployed to a blob
// container with the managed identity (infra/deploy.sh publishes it).

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the function app (globally unique host name).')
param appName string

@description('Azure region of the plan and the app.')
param location string

@description('Tags applied to the plan and the app.')
param tags object

@description('Resource id of the user-assigned managed identity the app runs as.')
param identityId string

@description('URL of the blob container the app package is deployed to, e.g. https://account.blob.core.windows.net/app-package.')
param deploymentContainerUrl string

@description('Most instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of one instance in MB (2048 gives one vCPU-equivalent, 4096 two).')
@allowed([ 2048, 4096 ])
param instanceMemoryMB int

@description('.NET isolated worker version of the Flex runtime.')
param runtimeVersion string

@description('App settings (name to value) from modules/app-settings.bicep.')
param settings object


var appSettings = map(items(settings), s => { name: s.key, value: s.value })

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: appSettings
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: runtimeVersion
      }
    }
  }
}

output name string = app.name
output hostName string = app.properties.defaultHostName
