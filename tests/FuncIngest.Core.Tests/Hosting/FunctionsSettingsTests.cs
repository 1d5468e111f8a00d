using Databend.Client;
using FuncIngest.Hosting;
using FuncIngest.Staging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FuncIngest.Core.Tests.Hosting;

public sealed class FunctionsSettingsTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["KafkaBrokerList"] = "localhost:9092",
        ["KafkaTopics"] = "events",
        ["KafkaConsumerGroup"] = "funcingest",
        ["DatabendDsn"] = "databend://root:@localhost:8000/default?sslmode=disable",
        ["StageConnectionString"] = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;",
        ["FuncIngest:Staging:Table"] = "events",
        ["FuncIngestTaskHub"] = "funcingesttest",
        ["FuncIngestSweepSchedule"] = "0 */5 * * * *",
    };

    private static FuncIngestSettings Bind(params (string Key, string? Value)[] changes)
    {
        var values = new Dictionary<string, string?>(Valid);
        foreach ((string key, string? value) in changes)
        {
            values[key] = value;
        }

        return FuncIngestSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
    }

    [Fact]
    public void Valid_local_settings_pass_for_a_debug_build()
    {
        Bind().ValidateForFunctions(FunctionsKafkaBuild.Debug);
    }

    [Theory]
    [InlineData("KafkaBrokerList", null, "KafkaBrokerList")]
    [InlineData("DatabendDsn", "mysql://x", "DatabendDsn")]
    [InlineData("StageConnectionString", "AccountName=a;BlobEndpoint=http://x", "StageConnectionString")]
    [InlineData("FuncIngest:Staging:Table", "bad-name", "FuncIngest:Staging:Table")]
    [InlineData("FuncIngest:Loader:RunAttempts", "0", "FuncIngest:Loader:RunAttempts")]
    [InlineData("FuncIngest:Loader:StrandedAfter", "00:00:01", "FuncIngest:Loader:StrandedAfter")]
    [InlineData("KafkaTopics", "a,b", "KafkaTopics")]
    [InlineData("StageKind", "S3", "StageKind")]
    [InlineData("FuncIngestTaskHub", null, "FuncIngestTaskHub")]
    [InlineData("FuncIngestTaskHub", "%FuncIngest__TaskHub%", "FuncIngestTaskHub")]
    [InlineData("FuncIngestTaskHub", "ab", "FuncIngestTaskHub")]
    [InlineData("FuncIngestTaskHub", "1events", "FuncIngestTaskHub")]
    [InlineData("FuncIngestTaskHub", "task-hub", "FuncIngestTaskHub")]
    [InlineData("KafkaConsumerGroup", null, "KafkaConsumerGroup")]
    [InlineData("KafkaSessionTimeoutMs", "30000", "KafkaSessionTimeoutMs")]
    [InlineData("KafkaConsumer:queued.max.messages.kbytes", "8192", "KafkaConsumer:queued.max.messages.kbytes")]
    [InlineData("FuncIngestSweepSchedule", null, "FuncIngestSweepSchedule")]
    [InlineData("FuncIngestSweepSchedule", "*/5 * * * *", "FuncIngestSweepSchedule")]
    [InlineData("FuncIngestSweepSchedule", "00:05:00", "FuncIngestSweepSchedule")]
    public void A_missing_or_wrong_setting_stops_the_host_naming_it(string key, string? value, string named)
    {
        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(() => Bind((key, value)).ValidateForFunctions(FunctionsKafkaBuild.Debug));

        Assert.Equal(named, e.Setting);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_internal_stage_needs_no_storage_account_and_builds_a_databend_stage_store()
    {
        FuncIngestSettings blob = Bind();
        FuncIngestSettings internalStage = Bind(("StageKind", "DatabendInternal"), ("StageConnectionString", null));

        internalStage.ValidateForFunctions(FunctionsKafkaBuild.Debug);
        Assert.IsType<AzureBlobStageStore>(blob.CreateStageStore());
        Assert.Equal(internalStage.Loader.StageName, Assert.IsType<DatabendStageStore>(internalStage.CreateStageStore()).StageName);
        Assert.Null(internalStage.StageConnectionForSetup());
        Assert.NotNull(blob.StageConnectionForSetup());
        Assert.Equal("StageConnectionString",
            Assert.Throws<FuncIngestConfigurationException>(() => Bind(("StageConnectionString", null)).ValidateForFunctions(FunctionsKafkaBuild.Debug)).Setting);
    }

    [Fact]
    public void A_protocol_setting_that_contradicts_the_build_is_refused_rather_than_ignored()
    {
        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(() => Bind().ValidateForFunctions(FunctionsKafkaBuild.Release));

        Assert.Equal("KafkaProtocol", e.Setting);
        Bind(("KafkaProtocol", "SASL_SSL"), ("KafkaUsername", "$ConnectionString"), ("KafkaPassword", "Endpoint=sb://x/")).ValidateForFunctions(FunctionsKafkaBuild.Release);
    }

    [Fact]
    public void Only_kafka_topic_is_refused_because_the_trigger_reads_kafka_topics()
    {
        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(
            () => Bind(("KafkaTopics", null), ("KafkaTopic", "events")).ValidateForFunctions(FunctionsKafkaBuild.Debug));

        Assert.Equal("KafkaTopics", e.Setting);
        // funcingest still takes either name.
        Bind(("KafkaTopics", null), ("KafkaTopic", "events")).Validate(kafka: true, databend: true, stage: true);
    }

    [Theory]
    [InlineData("ScramSha512")]
    [InlineData("ScramSha256")]
    public void An_authentication_mode_that_contradicts_the_build_is_refused_rather_than_ignored(string mode)
    {
        (string, string?)[] sasl = [("KafkaProtocol", "SaslSsl"), ("KafkaUsername", "user"), ("KafkaPassword", "secret")];

        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(
            () => Bind([.. sasl, ("KafkaAuthenticationMode", mode)]).ValidateForFunctions(FunctionsKafkaBuild.Release));

        Assert.Equal("KafkaAuthenticationMode", e.Setting);
        Assert.Contains("Plain", e.Message, StringComparison.Ordinal);
        Bind([.. sasl, ("KafkaAuthenticationMode", "PLAIN")]).ValidateForFunctions(FunctionsKafkaBuild.Release);
        Bind([.. sasl, ("KafkaAuthenticationMode", mode)]).ValidateForFunctions(new FunctionsKafkaBuild("SaslSsl", mode));
        // A build without SASL uses no mechanism, so the setting says nothing there (as for funcingest).
        Bind(("KafkaAuthenticationMode", mode)).ValidateForFunctions(FunctionsKafkaBuild.Debug);
    }

    [Theory]
    [InlineData(null, false, null)]
    [InlineData("", false, null)]
    [InlineData("Authorization=AAD", true, null)]
    [InlineData("ClientId=7d1c9a52-4a5e-4a4c-9f45-2a1f4c3e8b10;Authorization=AAD", true, "7d1c9a52-4a5e-4a4c-9f45-2a1f4c3e8b10")]
    [InlineData(" authorization = aad ; clientid = 7d1c9a52-4a5e-4a4c-9f45-2a1f4c3e8b10 ", true, "7d1c9a52-4a5e-4a4c-9f45-2a1f4c3e8b10")]
    public void The_telemetry_authentication_string_is_read_as_the_host_reads_it(string? value, bool entraId, string? clientId)
    {
        Assert.Equal(new TelemetryAuthentication(entraId, clientId), TelemetryAuthentication.Parse(value));
    }

    [Theory]
    [InlineData("ClientId=7d1c9a52-4a5e-4a4c-9f45-2a1f4c3e8b10")]
    [InlineData("Authorization=Key")]
    [InlineData("Authorization=AAD;ClientId=my-identity")]
    [InlineData("Authorization=AAD;TenantId=x")]
    [InlineData("AAD")]
    public void A_telemetry_authentication_string_of_another_form_is_refused_naming_it(string value)
    {
        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(() => TelemetryAuthentication.Parse(value));

        Assert.Equal("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", e.Setting);
    }

    [Fact]
    public void AddFuncIngest_validates_at_registration_and_resolves_the_pipeline()
    {
        Assert.Throws<FuncIngestConfigurationException>(() => new ServiceCollection().AddFuncIngest(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>(Valid) { ["DatabendDsn"] = null }).Build()));

        using ServiceProvider services = new ServiceCollection().AddLogging()
            .AddFuncIngest(new ConfigurationBuilder().AddInMemoryCollection(Valid).Build())
            .BuildServiceProvider();
        IngestPipeline pipeline = services.GetRequiredService<IngestPipeline>();

        Assert.Equal("events", pipeline.DefaultTable);
        Assert.IsType<AzureBlobStageStore>(services.GetRequiredService<IStageStore>());
        using DatabendClient client = services.GetRequiredService<DatabendClient>();
    }

    [Fact]
    public void WithTable_copies_the_options_for_another_table_and_validates_the_name()
    {
        var staging = new StagingOptions { Table = "events", Prefix = "p", ZstdLevel = 7 };

        StagingOptions orders = staging.WithTable("orders");

        Assert.Equal(("orders", "p", 7, "events"), (orders.Table, orders.Prefix, orders.ZstdLevel, staging.Table));
        Assert.Throws<FuncIngestConfigurationException>(() => staging.WithTable("orders; DROP TABLE x"));
    }
}
