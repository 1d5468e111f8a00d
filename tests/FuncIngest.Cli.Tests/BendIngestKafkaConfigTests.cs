using Confluent.Kafka;
using FuncIngest.Cli.Configuration;
using FuncIngest.Cli.Daemon;
using FuncIngest.Hosting;
using FuncIngest.Ndjson;
using Microsoft.Extensions.Configuration;

namespace FuncIngest.Cli.Tests;

/// <summary>
/// <c>--bend-config</c> with files in bend-ingest-kafka's current shape (databendcloud/bend-ingest-kafka
/// <c>config/conf.json</c> at a7c3cab; <c>config.go</c>: batchMaxInterval in seconds; <c>batch_reader.go</c>
/// BuildKafkaConfigMap: isSASL → SASL PLAIN, disableTLS picks the plaintext variant).
/// </summary>
public sealed class BendIngestKafkaConfigTests
{
    // bend-ingest-kafka's own config/conf.json, credentials replaced.
    private const string Current = """
        {
          "kafkaBootstrapServers": "localhost:9092",
          "kafkaTopic": "test-topic",
          "KafkaConsumerGroup": "test",
          "isSASL": false,
          "saslUser": "user",
          "saslPassword": "secret",
          "disableTLS": false,
          "mockData": "",
          "isJsonTransform": false,
          "databendDSN": "https://user:password@host.example:443/default?warehouse=test-sjh",
          "databendTable": "default.kfk_test",
          "batchSize": 100,
          "batchMaxInterval": 5,
          "dataFormat": "json",
          "workers": 1,
          "copyPurge": true,
          "copyForce": false,
          "disableVariantCheck": true,
          "minBytes": 1024,
          "maxBytes": 10485760,
          "maxWait": 10,
          "useReplaceMode": false,
          "copyIntoUploadCompression": true,
          "maxRetryDelay": 1800
        }
        """;

    private static (FuncIngestSettings Settings, RunOptions Run) Load(string json, params string[] overrides)
    {
        string file = Path.GetTempFileName();
        File.WriteAllText(file, json);
        try
        {
            IConfiguration configuration = SettingsSources.Build([], file, overrides);
            var run = new RunOptions();
            configuration.GetSection("FuncIngest:Run").Bind(run);
            return (FuncIngestSettings.Bind(configuration), run);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static string With(string json, string key, string value) =>
        System.Text.RegularExpressions.Regex.Replace(json, $"\"{key}\": [^,\\n]+", $"\"{key}\": {value}");

    [Fact]
    public void The_current_sample_config_maps_names_table_database_dsn_and_batching_in_seconds()
    {
        (FuncIngestSettings settings, RunOptions run) = Load(Current);

        Assert.Equal(("localhost:9092", "test-topic", "test"), (settings.KafkaBrokerList, settings.KafkaTopics, settings.KafkaConsumerGroup));
        Assert.Equal("kfk_test", settings.Staging.Table);
        Assert.Equal(RecordMode.Raw, settings.Staging.Encoding.Mode);
        Assert.Equal("databend+https://user:password@host.example:443/default?warehouse=test-sjh", settings.DatabendDsn);
        Assert.Equal(100, run.MaxBatchRecords);
        Assert.Equal(5000, run.MaxBatchWaitMs); // 5 seconds, not 5 nanoseconds
        // Without SASL and without disableTLS, bend-ingest-kafka connects with SSL.
        Assert.Equal(SecurityProtocol.Ssl, settings.ConsumerConfig().SecurityProtocol);
        Assert.Null(settings.ConsumerConfig().SaslUsername);
    }

    [Theory]
    [InlineData("true", "false", SecurityProtocol.SaslSsl)]
    [InlineData("true", "true", SecurityProtocol.SaslPlaintext)]
    [InlineData("false", "true", SecurityProtocol.Plaintext)]
    public void Sasl_and_disable_tls_map_to_the_protocol_bend_ingest_kafka_uses(string isSasl, string disableTls, SecurityProtocol expected)
    {
        (FuncIngestSettings settings, _) = Load(With(With(Current, "isSASL", isSasl), "disableTLS", disableTls));

        ConsumerConfig config = settings.ConsumerConfig();
        Assert.Equal(expected, config.SecurityProtocol);
        if (isSasl == "true")
        {
            Assert.Equal((SaslMechanism.Plain, "user", "secret"), (config.SaslMechanism!.Value, config.SaslUsername, config.SaslPassword));
        }
    }

    [Fact]
    public void Sasl_without_a_user_is_refused_naming_the_key()
    {
        var error = Assert.Throws<FuncIngestConfigurationException>(() => Load(With(With(Current, "isSASL", "true"), "saslUser", "\"\"")));

        Assert.EndsWith(": saslUser", error.Setting, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_from_before_batchMaxInterval_was_seconds_is_read_as_nanoseconds()
    {
        (_, RunOptions run) = Load(With(Current, "batchMaxInterval", "5000000000"));

        Assert.Equal(5000, run.MaxBatchWaitMs);
    }

    [Fact]
    public void Missing_keys_take_bend_ingest_kafka_defaults_where_they_decide_where_consumption_resumes_and_set_wins()
    {
        (FuncIngestSettings settings, _) = Load("""{"kafkaBootstrapServers":"b:9092","kafkaTopic":"t","databendDSN":"http://u:p@h:8000","databendTable":"t1"}""", "KafkaProtocol=Plaintext");

        Assert.Equal(BendIngestKafkaConfig.DefaultConsumerGroup, settings.KafkaConsumerGroup);
        Assert.Equal("databend+http://u:p@h:8000", settings.DatabendDsn);
        Assert.Equal(SecurityProtocol.Plaintext, settings.ConsumerConfig().SecurityProtocol);
    }

    [Theory]
    [InlineData("useReplaceMode", "true")]
    [InlineData("dataFormat", "\"parquet\"")]
    [InlineData("batchMaxInterval", "\"soon\"")]
    [InlineData("isSASL", "\"maybe\"")]
    public void What_funcingest_cannot_do_the_same_way_is_refused_naming_the_key(string key, string value)
    {
        var error = Assert.Throws<FuncIngestConfigurationException>(() => Load(With(Current, key, value)));

        Assert.EndsWith(": " + key, error.Setting, StringComparison.Ordinal);
    }

    [Fact]
    public void A_transform_config_selects_transform_mode()
    {
        (FuncIngestSettings settings, _) = Load(With(Current, "isJsonTransform", "true"));

        Assert.Equal(RecordMode.Transform, settings.Staging.Encoding.Mode);
    }
}
