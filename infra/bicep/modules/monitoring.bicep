// Log Analytics workspace plus a workspace-based Application Insights component. Local (instrumentation-key)
// authentication is disabled: telemetry is accepted only from Entra identities with Monitoring Metrics Publisher,
// which the app's managed identity gets here.

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Azure region of both resources.')
param location string

@description('Tags applied to both resources.')
param tags object

@description('Days the workspace keeps logs (30 is the free retention).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Principal id of the app\'s managed identity, granted Monitoring Metrics Publisher on the component.')
param appPrincipalId string

@description('Name of the app\'s managed identity; names its role assignments, so the names are known before deployment.')
param appIdentityName string

// Monitoring Metrics Publisher: lets the identity send telemetry to a component whose local auth is disabled.
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appIdentityName, monitoringMetricsPublisherRoleId)
  scope: appInsights
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
  }
}

output workspaceId string = workspace.id
output workspaceName string = workspace.name
output applicationInsightsName string = appInsights.name
// The connection string names the ingestion endpoint and the component; with local auth disabled it grants nothing
// by itself (the app authenticates with its managed identity, APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
output applicationInsightsConnectionString string = appInsights.properties.ConnectionString
