using Confluent.Kafka;
using FuncIngest.Hosting;
using Microsoft.Extensions.Configuration;

namespace FuncIngest.Core.Tests.Hosting;

/// <summary><c>KafkaConsumer:*</c>: librdkafka consumer properties passed through to funcingest's consumers.</summary>
public sealed class KafkaConsumerSettingsTests
{
    private static FuncIngestSettings Bind(params (string Key, string? Value)[] values)
    {
        var all = new Dictionary<string, string?> { ["KafkaBrokerList"] = "localhost:9092", ["KafkaTopics"] = "events", ["KafkaConsumerGroup"] = "g", ["FuncIngest:Staging:Table"] = "events" };
        foreach ((string key, string? value) in values)
        {
            all[key] = value;
        }

        return FuncIngestSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(all).Build());
    }

    [Fact]
    public void Without_settings_the_prefetch_queue_is_8_MiB_refilled_within_20_ms()
    {
        ConsumerConfig config = Bind().ConsumerConfig();

        Assert.Equal((8192, 20), (config.QueuedMaxMessagesKbytes, config.FetchQueueBackoffMs));
    }

    [Fact]
    public void Properties_reach_the_consumer_config_beside_what_funcingest_sets_and_empty_ones_are_no_setting()
    {
        FuncIngestSettings settings = Bind(
            ("KafkaConsumer:queued.max.messages.kbytes", "65536"),
            ("KafkaConsumer:ssl.ca.location", "/etc/ssl/ca.pem"),
            ("KafkaConsumer:fetch.max.bytes", ""));

        ConsumerConfig config = settings.ConsumerConfig();

        Assert.Equal((65536, 20), (config.QueuedMaxMessagesKbytes, config.FetchQueueBackoffMs));
        Assert.Equal("/etc/ssl/ca.pem", config.SslCaLocation);
        Assert.Null(config.FetchMaxBytes);
        Assert.Equal(("g", false, false), (config.GroupId, config.EnableAutoCommit, config.EnableAutoOffsetStore));
        Assert.Equal(PartitionAssignmentStrategy.CooperativeSticky, config.PartitionAssignmentStrategy);
        // Each config gets its own copy: a caller changing one (the daemon turns on EOF events) changes no other.
        config.EnablePartitionEof = true;
        Assert.Null(settings.ConsumerConfig().EnablePartitionEof);
        Assert.False(settings.KafkaConsumer.ContainsKey("enable.partition.eof"));
    }

    [Fact]
    public void Environment_variable_names_with_double_underscores_and_dots_bind()
    {
        const string Name = "KafkaConsumer__queued.max.messages.kbytes";
        string prefix = "FUNCINGEST_TEST_" + Guid.NewGuid().ToString("N") + "_";
        Environment.SetEnvironmentVariable(prefix + Name, "4096");
        try
        {
            FuncIngestSettings settings = FuncIngestSettings.Bind(new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build());

            Assert.Equal("4096", settings.KafkaConsumer["queued.max.messages.kbytes"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + Name, null);
        }
    }

    [Theory]
    [InlineData("group.id", "KafkaConsumer:group.id")]
    [InlineData("Group.Id", "KafkaConsumer:Group.Id")]
    [InlineData("bootstrap.servers", "KafkaConsumer:bootstrap.servers")]
    [InlineData("metadata.broker.list", "KafkaConsumer:metadata.broker.list")]
    [InlineData("security.protocol", "KafkaConsumer:security.protocol")]
    [InlineData("sasl.mechanism", "KafkaConsumer:sasl.mechanism")]
    [InlineData("sasl.mechanisms", "KafkaConsumer:sasl.mechanisms")]
    [InlineData("sasl.username", "KafkaConsumer:sasl.username")]
    [InlineData("sasl.password", "KafkaConsumer:sasl.password")]
    [InlineData("session.timeout.ms", "KafkaConsumer:session.timeout.ms")]
    [InlineData("enable.auto.commit", "KafkaConsumer:enable.auto.commit")]
    [InlineData("auto.commit.enable", "KafkaConsumer:auto.commit.enable")]
    [InlineData("enable.auto.offset.store", "KafkaConsumer:enable.auto.offset.store")]
    [InlineData("offset.store.method", "KafkaConsumer:offset.store.method")]
    [InlineData("auto.offset.reset", "KafkaConsumer:auto.offset.reset")]
    [InlineData("topic.auto.offset.reset", "KafkaConsumer:topic.auto.offset.reset")]
    [InlineData("partition.assignment.strategy", "KafkaConsumer:partition.assignment.strategy")]
    [InlineData("group.protocol", "KafkaConsumer:group.protocol")]
    [InlineData("enable.partition.eof", "KafkaConsumer:enable.partition.eof")]
    [InlineData("isolation.level", "KafkaConsumer:isolation.level")]
    [InlineData("dotnet.consumer.consume.result.fields", "KafkaConsumer:dotnet.consumer.consume.result.fields")]
    public void A_property_funcingest_sets_itself_is_refused_at_validation_naming_it(string property, string setting)
    {
        FuncIngestSettings settings = Bind(("KafkaConsumer:" + property, "x"));

        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(() => settings.Validate(kafka: true, databend: false, stage: false));

        Assert.Equal(setting, e.Setting);
        Assert.Contains("is refused: FuncIngest sets", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_property_funcingest_sets_itself_on_a_consumer_is_one_it_refuses_from_settings()
    {
        // With SASL and a session timeout, so that every property FuncIngest can set is set.
        ConsumerConfig config = Bind(
            ("KafkaProtocol", "SaslSsl"), ("KafkaUsername", "u"), ("KafkaPassword", "p"), ("KafkaSessionTimeoutMs", "30000")).ConsumerConfig();

        string[] own = [.. config.Select(p => p.Key).Where(k => !FuncIngestSettings.DefaultConsumerProperties.ContainsKey(k))];

        Assert.Contains("sasl.password", own);
        Assert.All(own, k => Assert.True(FuncIngestSettings.OwnedConsumerProperties.ContainsKey(k), $"{k} is set by FuncIngest but not refused"));
        // The daemon's own addition.
        Assert.True(FuncIngestSettings.OwnedConsumerProperties.ContainsKey("enable.partition.eof"));
    }

    [Fact]
    public void Properties_that_are_not_for_consumers_only_reach_the_producer_and_the_admin_client_too()
    {
        FuncIngestSettings settings = Bind(
            ("KafkaConsumer:ssl.ca.location", "/etc/ssl/ca.pem"),
            ("KafkaConsumer:client.dns.lookup", "resolve_canonical_bootstrap_servers_only"),
            ("KafkaConsumer:queued.max.messages.kbytes", "4096"),
            ("KafkaConsumer:fetch.max.bytes", "1000000"),
            ("KafkaConsumer:group.instance.id", "a"),
            ("KafkaConsumer:max.poll.interval.ms", "600000"),
            ("KafkaConsumer:check.crcs", "true"));

        Assert.Equal(["client.dns.lookup", "ssl.ca.location"], settings.ClientProperties().Keys.Order(StringComparer.Ordinal));
        ProducerConfig producer = settings.ProducerConfig();
        Assert.Equal("/etc/ssl/ca.pem", producer.SslCaLocation);
        Assert.Null(producer.Get("queued.max.messages.kbytes"));
        Assert.Equal((true, Acks.All), (producer.EnableIdempotence, producer.Acks));
    }

    [Fact]
    public void A_property_written_with_section_separators_instead_of_dots_is_refused()
    {
        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(() => Bind(("KafkaConsumer:fetch:max:bytes", "1")));

        Assert.Equal("KafkaConsumer:fetch", e.Setting);
    }
}
