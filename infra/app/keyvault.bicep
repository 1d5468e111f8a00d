param name string
param location string
param tags object
param stagingAccountName string
@secure()
param databendDsn string
@secure()
param kafkaPassword string
@secure()
@description('Schema Registry basic-auth password; empty: no secret is written.')
param schemaRegistrySecret string = ''
// Whether it was given, not the value: the output below is the secret's URI only.
var withSchemaRegistrySecret = !empty(schemaRegistrySecret)
@description('Addresses allowed to reach the vault besides the app\'s subnet; empty leaves it open to every network (RBAC still applies).')
param allowedIpRanges array = []
@description('The app\'s subnet (service endpoint Microsoft.KeyVault), through which Key Vault references resolve when the vault is closed; empty for none.')
param subnetId string = ''

var vaultIpRules = [for range in allowedIpRanges: { value: range }]
@description('Purge protection cannot be turned off once on; off, a deleted vault can be purged and its name reused.')
param purgeProtection bool

resource stagingAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: stagingAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    // The service accepts only true or nothing here (false is refused), hence null when off.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: empty(allowedIpRanges) ? null : {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
      ipRules: vaultIpRules
      virtualNetworkRules: empty(subnetId) ? [] : [{ id: subnetId }]
    }
  }

  resource dsn 'secrets' = {
    name: 'databend-dsn'
    properties: { value: databendDsn }
  }

  resource kafka 'secrets' = {
    name: 'kafka-password'
    properties: { value: kafkaPassword }
  }

  // Only when given: without it the app has no SchemaRegistrySecret setting to resolve.
  resource schemaRegistry 'secrets' = if (withSchemaRegistrySecret) {
    name: 'schema-registry-secret'
    properties: { value: schemaRegistrySecret }
  }

  // Databend's azblob stage needs the staging account's key; the app reads the connection
  // string through a Key Vault reference and never sees it in its configuration.
  resource stage 'secrets' = {
    name: 'stage-connection-string'
    properties: {
      value: 'DefaultEndpointsProtocol=https;AccountName=${stagingAccount.name};AccountKey=${stagingAccount.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'
    }
  }
}

output name string = vault.name
output id string = vault.id
output databendDsnUri string = vault::dsn.properties.secretUri
output kafkaSaslSecretUri string = vault::kafka.properties.secretUri
output schemaRegistrySecretUri string = withSchemaRegistrySecret ? vault::schemaRegistry!.properties.secretUri : ''
output stageConnectionStringUri string = vault::stage.properties.secretUri
