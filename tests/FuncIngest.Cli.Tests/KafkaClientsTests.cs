using Confluent.Kafka;
using FuncIngest.Cli.Commands;
using FuncIngest.Cli.Configuration;
using FuncIngest.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace FuncIngest.Cli.Tests;

/// <summary>
/// <c>KafkaConsumer:*</c> reaches every Kafka client of the CLI that it concerns, and what librdkafka
/// refuses is named by the setting behind it. librdkafka checks a value when the client is built,
/// so an invalid one shows which clients were given the property.
/// </summary>
public sealed class KafkaClientsTests
{
    private static FuncIngestSettings Settings(params string[] overrides) =>
        SettingsSources.Load([], null, ["KafkaBrokerList=127.0.0.1:1", "KafkaTopics=t", .. overrides]);

    [Fact]
    public void A_connection_property_reaches_the_consumer_the_admin_client_and_the_producer()
    {
        FuncIngestSettings settings = Settings("KafkaConsumer:client.dns.lookup=nowhere");

        FuncIngestConfigurationException consumer = Assert.Throws<FuncIngestConfigurationException>(() => KafkaClients.Build(KafkaClients.Consumer(settings.ConsumerConfig(), NullLoggerFactory.Instance), settings));
        FuncIngestConfigurationException admin = Assert.Throws<FuncIngestConfigurationException>(() => KafkaClients.Admin(settings, NullLoggerFactory.Instance));
        FuncIngestConfigurationException producer = Assert.Throws<FuncIngestConfigurationException>(() => KafkaClients.Build(KafkaClients.Producer(settings.ProducerConfig(), NullLoggerFactory.Instance), settings));

        Assert.All([consumer, admin, producer], e => Assert.Equal("KafkaConsumer:client.dns.lookup", e.Setting));
    }

    [Fact]
    public void A_consumer_property_reaches_the_consumer_only()
    {
        FuncIngestSettings settings = Settings("KafkaConsumer:fetch.wait.max.ms=-1");

        Assert.Equal("KafkaConsumer:fetch.wait.max.ms", Assert.Throws<FuncIngestConfigurationException>(() => KafkaClients.Build(KafkaClients.Consumer(settings.ConsumerConfig(), NullLoggerFactory.Instance), settings)).Setting);
        using IAdminClient admin = KafkaClients.Admin(settings, NullLoggerFactory.Instance);
        using IProducer<string, byte[]> producer = KafkaClients.Build(KafkaClients.Producer(settings.ProducerConfig(), NullLoggerFactory.Instance), settings);
    }

    [Fact]
    public void A_value_of_a_funcingest_setting_librdkafka_refuses_is_named_by_that_setting()
    {
        FuncIngestSettings settings = Settings("KafkaSessionTimeoutMs=4000000");

        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(() => KafkaClients.Build(KafkaClients.Consumer(settings.ConsumerConfig(), NullLoggerFactory.Instance), settings));

        Assert.Equal("KafkaSessionTimeoutMs", e.Setting);
        Assert.Contains("session.timeout.ms", e.Message, StringComparison.Ordinal);
    }
}
