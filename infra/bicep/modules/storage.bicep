// The storage account of the pipeline: the audit containers (uploads, results, models, attack-work), the queues and
// tables of the Durable Functions task hub and of the Functions host, and a lifecycle rule that deletes stale attack
// checkpoints. Shared-key access is disabled: every caller authenticates with Entra ID (the app's managed identity,
// and optionally the deploying user for uploading models and images).

@description('Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the storage account.')
param location string

@description('Tags applied to the storage account.')
param tags object

@description('Names of the private blob containers to create (the audit containers, plus the Flex Consumption deployment container when that hosting is used).')
param containerNames string[]

@description('Container whose blobs the lifecycle rule deletes (the attack checkpoints).')
param attackWorkContainer string

@description('Days after its last modification an attack checkpoint blob is deleted. Checkpoints of finished audits are deleted by the app itself; this catches abandoned ones.')
@minValue(1)
@maxValue(365)
param attackWorkRetentionDays int

@description('Principal id of the app\'s managed identity, granted Storage Blob Data Owner, Queue Data Contributor and Table Data Contributor on the account.')
param appPrincipalId string

@description('Name of the app\'s managed identity; names its role assignments, so the names are known before deployment.')
param appIdentityName string

@description('Object id of a user or group granted Storage Blob Data Contributor, to upload models and images and read results with --auth-mode login; empty grants nobody.')
param userPrincipalId string = ''

@description('Type of userPrincipalId: User, Group or ServicePrincipal.')
@allowed([ 'User', 'Group', 'ServicePrincipal' ])
param userPrincipalType string = 'User'

// Built-in role definition ids (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

// Blob Data Owner (not only Contributor): the Functions host's blob trigger and Durable Functions manage leases and
// containers of their own (azure-webjobs-hosts, the task hub's lease container).
var appRoles = [ roles.storageBlobDataOwner, roles.storageQueueDataContributor, roles.storageTableDataContributor ]

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [for containerName in containerNames: {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}]

// Queues (blob trigger receipts, Durable Functions work items) and tables (Durable Functions history and instances).
resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2024-01-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-stale-attack-work'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [ 'blockBlob' ]
              prefixMatch: [ '${attackWorkContainer}/' ]
            }
            actions: {
              baseBlob: {
                delete: { daysAfterModificationGreaterThan: attackWorkRetentionDays }
              }
            }
          }
        }
      ]
    }
  }
}

resource appRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for roleId in appRoles: {
  name: guid(account.id, appIdentityName, roleId)
  scope: account
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
  }
}]

resource userRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(account.id, userPrincipalId, roles.storageBlobDataContributor)
  scope: account
  properties: {
    principalId: userPrincipalId
    principalType: userPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
  }
}

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
