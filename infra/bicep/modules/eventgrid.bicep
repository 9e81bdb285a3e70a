// Event Grid: a system topic on the storage account and, once the app answers, a subscription that delivers
// BlobCreated events of the uploads container to the blob trigger's Event Grid endpoint
// (https://<app host>/runtime/webhooks/blobs?functionName=Host.Functions.OnImageUploadedEventGrid&code=<blobs_extension key>).
// Event Grid validates the endpoint when the subscription is created, so it is created in the second deployment
// of infra/deploy.sh, after the app image or package is running.

@description('Name of the system topic.')
param topicName string

@description('Azure region of the storage account (a system topic lives where its source does).')
param location string

@description('Tags applied to the system topic.')
param tags object

@description('Name of the storage account whose events the topic publishes.')
param storageAccountName string

@description('Container watched for uploads: the subscription delivers only its BlobCreated events.')
param uploadsContainer string

@description('Whether to create the subscription (true once the app is deployed and its blobs_extension key is set).')
param createSubscription bool

@description('The blob trigger\'s Event Grid endpoint with its blobs_extension key: https://<app host>/runtime/webhooks/blobs?functionName=Host.Functions.OnImageUploadedEventGrid&code=<key>. Secure, as it carries the key.')
@secure()
param webhookUrl string

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: topicName
  location: location
  tags: tags
  properties: {
    source: account.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource uploadsCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (createSubscription) {
  parent: topic
  name: 'uploads-blob-created'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: webhookUrl
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [ 'Microsoft.Storage.BlobCreated' ]
      subjectBeginsWith: '/blobServices/default/containers/${uploadsContainer}/blobs/'
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output topicName string = topic.name
