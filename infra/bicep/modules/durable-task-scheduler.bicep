// The Durable Task Scheduler (Azure-managed Durable Functions backend) and the app's task hub, for hosting=gpu with
// durableBackend=durableTaskScheduler. Functions on Container Apps autoscale Durable Functions only on the MSSQL and
// Durable Task Scheduler backends (Microsoft's "Azure Functions on Azure Container Apps overview", Event-driven
// scaling); of the two only the scheduler accepts the app's managed identity (the MSSQL guide for Container Apps needs
// a SQL connection string), so it is the one offered here. The app reaches it with the identity and the Durable Task
// Data Contributor role: no key or connection secret.

@description('Name of the scheduler (3-64 letters, digits and hyphens).')
@minLength(3)
@maxLength(64)
param name string

@description('Azure region of the scheduler (the app\'s region).')
param location string

@description('Tags applied to the scheduler.')
param tags object

@description('Name of the task hub: the Functions host\'s durableTask hubName (TaskHubName).')
param taskHubName string

@description('Principal id of the app\'s managed identity, granted Durable Task Data Contributor on the scheduler.')
param appPrincipalId string

@description('Name of the app\'s managed identity; names its role assignment, so the name is known before deployment.')
param appIdentityName string

// Durable Task Data Contributor built-in role: start, query and run orchestrations and activities.
var durableTaskDataContributorRoleId = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    // Consumption: billed per dispatched work item, nothing while idle (the point of scaling to zero).
    sku: { name: 'Consumption' }
    // The scheduler authorizes every call by Entra ID role; an empty allow list would refuse all traffic.
    ipAllowlist: [ '0.0.0.0/0' ]
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

resource dataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, appIdentityName, durableTaskDataContributorRoleId)
  scope: scheduler
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributorRoleId)
  }
}

output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
