using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Kafka;

[assembly: AssemblyFixture(typeof(KafkaFixture))]
[assembly: AssemblyFixture(typeof(AzuriteFixture))]
