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
    [InlineData("group.id")]
    [InlineData("Group.Id")]
    [InlineData("bootstrap.servers")]
    [InlineData("metadata.broker.list")]
    [InlineData("sasl.password")]
    [InlineData("enable.auto.commit")]
    [InlineData("auto.commit.enable")]
    [InlineData("enable.auto.offset.store")]
    [InlineData("auto.offset.reset")]
    [InlineData("partition.assignment.strategy")]
    [InlineData("group.protocol")]
    [InlineData("enable.partition.eof")]
    [InlineData("isolation.level")]
    public void A_property_funcingest_sets_itself_is_refused_at_validation_naming_it(string property)
    {
        FuncIngestSettings settings = Bind(("KafkaConsumer:" + property, "x"));

        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(() => settings.Validate(kafka: true, databend: false, stage: false));

        Assert.Equal("KafkaConsumer:" + property, e.Setting);
        Assert.Contains(FuncIngestSettings.OwnedConsumerProperties[property], e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_property_written_with_section_separators_instead_of_dots_is_refused()
    {
        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(() => Bind(("KafkaConsumer:fetch:max:bytes", "1")));

        Assert.Equal("KafkaConsumer:fetch", e.Setting);
    }
}
