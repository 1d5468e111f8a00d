targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags derive from it.')
param environmentName string

// Flex Consumption (FC1) exists only in some regions; azd offers exactly these, as the official
// Flex Consumption azd template does (Azure-Samples/functions-quickstart-dotnet-azd, infra/main.bicep).
// `az functionapp list-flexconsumption-locations` shows the current list.
@minLength(1)
@description('Azure region of every resource; one where Flex Consumption is offered.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'eastus2euap'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Kafka bootstrap servers, e.g. <namespace>.servicebus.windows.net:9093 (Event Hubs) or a Confluent Cloud endpoint.')
param kafkaBrokerList string

@minLength(1)
@description('The one topic to ingest (a Functions trigger reads one topic; docs/functions-app.md, "More topics").')
param kafkaTopic string

@minLength(1)
param kafkaConsumerGroup string = 'funcingest'

// The published (Release) build connects with SASL_SSL and SASL PLAIN: the Kafka extension takes
// both as enums compiled into the trigger, so they are not parameters here. The app refuses to
// start if these settings and its build disagree (docs/functions-app.md, "Kafka connection").
var kafkaProtocol = 'SaslSsl'
var kafkaAuthenticationMode = 'Plain'

// Required: SASL PLAIN needs both, and an empty value must not reach Key Vault or the trigger.
@minLength(1)
@description('SASL user name (Event Hubs: $ConnectionString; Confluent Cloud: the API key).')
param kafkaUsername string

@minLength(1)
@secure()
@description('SASL password (Event Hubs: the namespace connection string; Confluent Cloud: the API secret). Stored in Key Vault.')
param kafkaPassword string

@minLength(1)
@secure()
@description('Databend DSN, databend://user:password@host:443/database?warehouse=... Stored in Key Vault.')
param databendDsn string

// Schema Registry (docs/schema-registry.md): optional. Empty is "not configured" to the app
// (FuncIngestSettings.ValidateSchemaRegistry skips a blank SchemaRegistryUrl and treats an empty key
// and secret as no basic auth); still, each is written only when given, so that no empty
// secret reaches Key Vault and the portal shows only what was configured.
@description('Confluent Schema Registry, https://host[:port] (several comma-separated); required when valueFormat or keyFormat is not Json. Empty: no registry.')
param schemaRegistryUrl string = ''

@description('Schema Registry basic-auth user (Confluent Cloud: the Schema Registry API key); give it with schemaRegistrySecret or not at all.')
param schemaRegistryKey string = ''

@secure()
@description('Schema Registry basic-auth password (Confluent Cloud: the Schema Registry API secret). Stored in Key Vault when given.')
param schemaRegistrySecret string = ''

@allowed(['Json', 'Avro', 'JsonSchema', 'Auto'])
@description('How values are read: Json (as before), Avro or JsonSchema (Schema Registry wire format), Auto (decoded when they carry the header). Not Json needs schemaRegistryUrl.')
param valueFormat string = 'Json'

@allowed(['Json', 'Avro', 'JsonSchema', 'Auto'])
@description('The same for keys (read in raw mode only).')
param keyFormat string = 'Json'

@description('Target Databend table (plain identifier).')
param tableName string = 'events'

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@allowed(['8.0', '9.0', '10.0'])
param runtimeVersion string = '10.0'

@description('Integrate the app with a new virtual network (for private Kafka brokers; required with allowedIpRanges, so the app reaches the staging account and Key Vault through the subnet).')
param vnetEnabled bool = false

@description('IPv4 addresses or CIDR ranges allowed to reach the staging account and Key Vault, e.g. Databend Cloud\'s egress addresses. Empty: both stay open to every network (keys and RBAC still apply). Set vnetEnabled with it.')
param allowedIpRanges array = []
@description('Key Vault purge protection. Off by default so that `azd down --purge` then `azd up` can recreate the vault under its name; turn it on for production (a purge-protected vault keeps its name for the retention period after deletion).')
param keyVaultPurgeProtection bool = false

@description('When the Sweep timer runs (NCRONTAB with seconds). Each run wakes an instance; see docs/deploying.md, "What it costs".')
param sweepSchedule string = '0 */5 * * * *'

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var stagingContainerName = 'funcingest'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    hostAccountName: '${abbrs.storageStorageAccounts}${resourceToken}'
    stagingAccountName: '${abbrs.storageStorageAccounts}stg${take(resourceToken, 18)}'
    stagingContainerName: stagingContainerName
    deploymentContainerName: deploymentContainerName
    location: location
    tags: tags
    allowedIpRanges: allowedIpRanges
    subnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
  }
}

module vault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${take(resourceToken, 20)}'
    location: location
    tags: tags
    stagingAccountName: storage.outputs.stagingAccountName
    databendDsn: databendDsn
    kafkaPassword: kafkaPassword
    schemaRegistrySecret: schemaRegistrySecret
    allowedIpRanges: allowedIpRanges
    subnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
    purgeProtection: keyVaultPurgeProtection
  }
}

module network 'app/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    hostAccountName: storage.outputs.hostAccountName
    stagingAccountName: storage.outputs.stagingAccountName
    stagingContainerName: stagingContainerName
    keyVaultName: vault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module function 'app/function.bicep' = {
  name: 'function'
  scope: rg
  dependsOn: [rbac]
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    hostBlobEndpoint: storage.outputs.hostBlobEndpoint
    deploymentContainerName: deploymentContainerName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    runtimeVersion: runtimeVersion
    subnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
    // The names the code reads (docs/configuration.md; local.settings.sample.json).
    appSettings: union({
      AzureWebJobsStorage__accountName: storage.outputs.hostAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identity.outputs.clientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
      // Read by the host for its telemetry, and by the worker, whose Azure Monitor exporter does
      // not read it, to build a ManagedIdentityCredential for this identity (FunctionsApp.cs).
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
      // One word, no '__': host.json reads it as %FuncIngestTaskHub%, and the host resolves
      // %name% as a configuration key, where an app setting A__B is the key A:B (docs/configuration.md, FuncIngestTaskHub).
      FuncIngestTaskHub: 'funcingest'
      // Also one word: the Sweep timer reads it as %FuncIngestSweepSchedule%.
      FuncIngestSweepSchedule: sweepSchedule
      KafkaBrokerList: kafkaBrokerList
      // The trigger reads %KafkaTopics%; the app accepts exactly one topic there.
      KafkaTopics: kafkaTopic
      KafkaConsumerGroup: kafkaConsumerGroup
      KafkaProtocol: kafkaProtocol
      KafkaAuthenticationMode: kafkaAuthenticationMode
      KafkaUsername: kafkaUsername
      KafkaPassword: '@Microsoft.KeyVault(SecretUri=${vault.outputs.kafkaSaslSecretUri})'
      DatabendDsn: '@Microsoft.KeyVault(SecretUri=${vault.outputs.databendDsnUri})'
      StageConnectionString: '@Microsoft.KeyVault(SecretUri=${vault.outputs.stageConnectionStringUri})'
      StageContainer: stagingContainerName
      FuncIngest__Staging__Table: tableName
      FuncIngest__Staging__Encoding__ValueFormat: valueFormat
      FuncIngest__Staging__Encoding__KeyFormat: keyFormat
    },
    empty(schemaRegistryUrl) ? {} : { SchemaRegistryUrl: schemaRegistryUrl },
    empty(schemaRegistryKey) ? {} : { SchemaRegistryKey: schemaRegistryKey },
    empty(schemaRegistrySecret) ? {} : { SchemaRegistrySecret: '@Microsoft.KeyVault(SecretUri=${vault.outputs.schemaRegistrySecretUri})' })
  }
}

output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = function.outputs.name
output AZURE_FUNCTION_APP_HOST string = function.outputs.defaultHostName
output AZURE_KEY_VAULT_NAME string = vault.outputs.name
output AZURE_STAGING_ACCOUNT_NAME string = storage.outputs.stagingAccountName
