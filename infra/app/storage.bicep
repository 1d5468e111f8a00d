@description('The function host account (runtime state, durable task hub, deployment package): identity-based access only.')
param hostAccountName string
@description('The staging account Databend reads as an azblob stage: Databend accepts only an account key, so shared keys stay on here and the key lives in Key Vault.')
param stagingAccountName string
param stagingContainerName string
param deploymentContainerName string
param location string
param tags object
@description('Addresses allowed to reach the staging account (Databend\'s egress); empty leaves it open to every network.')
param allowedIpRanges array = []
@description('The app\'s subnet (service endpoint Microsoft.Storage), allowed when allowedIpRanges closes the account; empty for none.')
param subnetId string = ''

var stagingIpRules = [for range in allowedIpRanges: { value: range, action: 'Allow' }]

resource hostAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: hostAccountName
  location: location
  tags: union(tags, { 'funcingest-role': 'host' })
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }

  resource blobs 'blobServices' = {
    name: 'default'
    resource deployment 'containers' = {
      name: deploymentContainerName
    }
  }
}

resource stagingAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: stagingAccountName
  location: location
  tags: union(tags, { 'funcingest-role': 'staging' })
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // The account key is shared with Databend: a leaked key should still need a listed network.
    networkAcls: empty(allowedIpRanges) ? null : {
      defaultAction: 'Deny'
      bypass: 'None'
      ipRules: stagingIpRules
      virtualNetworkRules: empty(subnetId) ? [] : [{ id: subnetId, action: 'Allow' }]
    }
  }

  resource blobs 'blobServices' = {
    name: 'default'
    resource staging 'containers' = {
      name: stagingContainerName
    }
  }
}

output hostAccountName string = hostAccount.name
output hostBlobEndpoint string = hostAccount.properties.primaryEndpoints.blob
output stagingAccountName string = stagingAccount.name
