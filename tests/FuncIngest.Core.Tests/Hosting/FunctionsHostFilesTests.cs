using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FuncIngest.Hosting;
using FuncIngest.TestSupport;
using Microsoft.Extensions.Configuration;

namespace FuncIngest.Core.Tests.Hosting;

/// <summary>host.json and local.settings.sample.json at the root hold what the Functions app and its delivery guarantee depend on.</summary>
public sealed partial class FunctionsHostFilesTests
{
    private static JsonObject SampleValues() =>
        JsonNode.Parse(File.ReadAllText(RepositoryPaths.Combine("local.settings.sample.json")))!["Values"]!.AsObject();

    [Fact]
    public void The_kafka_extension_never_commits_past_a_failed_batch()
    {
        JsonNode kafka = JsonNode.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json")))!["extensions"]!["kafka"]!;

        // commitOnFailure false: a failed batch is redelivered, not committed past.
        Assert.False(kafka["commitOnFailure"]!.GetValue<bool>());
        // maxRetries -1: the extension's default (5) force-commits, i.e. skips, a batch that failed five times.
        Assert.Equal(-1, kafka["maxRetries"]!.GetValue<int>());
        Assert.Equal("Earliest", kafka["autoOffsetReset"]!.GetValue<string>());
        Assert.InRange(kafka["maxBatchSize"]!.GetValue<int>(), 1, 100_000);
    }

    /// <summary>
    /// The options the Kafka extension binds from host.json's extensions.kafka
    /// (azure-functions-kafka-extension 4.3.2, Config/KafkaOptions.cs, bound by
    /// KafkaExtensionConfigProvider through ConfigurationSection.Bind): a misspelt key is ignored
    /// without a word, so every key must be one of these.
    /// </summary>
    private static readonly string[] s_kafkaOptions =
    [
        "ReconnectBackoffMs", "ReconnectBackoffMaxMs", "StatisticsIntervalMs", "SessionTimeoutMs", "MaxPollIntervalMs",
        "QueuedMinMessages", "QueuedMaxMessagesKbytes", "MaxPartitionFetchBytes", "FetchMaxBytes", "MaxBatchSize",
        "AutoCommitIntervalMs", "AutoOffsetReset", "LibkafkaDebug", "MetadataMaxAgeMs", "SocketKeepaliveEnable",
        "SubscriberIntervalInSeconds", "ExecutorChannelCapacity", "CommitOnFailure", "MaxRetries",
        "ChannelFullRetryIntervalInMs", "SubscriberIdleBackoffMs",
    ];

    [Fact]
    public void Kafka_options_in_host_json_are_the_extension_s_and_max_poll_interval_outlasts_an_invocation()
    {
        JsonNode host = JsonNode.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json")))!;
        JsonObject kafka = host["extensions"]!["kafka"]!.AsObject();

        Assert.All(kafka, option => Assert.Contains(option.Key, s_kafkaOptions, StringComparer.OrdinalIgnoreCase));
        // While a batch retries, the consumer thread stops polling once the executor's channel is
        // full; maxPollIntervalMs later the member leaves the group (docs/functions-app.md, "Delivery guarantees").
        // Above functionTimeout, a slow but healthy invocation never pushes it out.
        TimeSpan maxPollInterval = TimeSpan.FromMilliseconds(kafka["maxPollIntervalMs"]!.GetValue<int>());
        TimeSpan functionTimeout = TimeSpan.Parse(host["functionTimeout"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(maxPollInterval, functionTimeout + TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(30));
    }

    [Fact]
    public void Host_json_holds_no_application_insights_sampling_in_opentelemetry_mode()
    {
        JsonNode host = JsonNode.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json")))!;

        // In OpenTelemetry mode the host's Application Insights SDK, and with it samplingSettings,
        // is not used: the setting would only suggest a sampling that does not happen.
        Assert.Equal("OpenTelemetry", host["telemetryMode"]!.GetValue<string>());
        Assert.Null(host["logging"]?["applicationInsights"]);
    }

    [Fact]
    public void Docker_compose_pins_a_databend_with_named_azblob_stages()
    {
        string compose = File.ReadAllText(RepositoryPaths.Combine("docker-compose.yml"));

        Match image = DatabendImage().Match(compose);
        Assert.True(image.Success, "docker-compose.yml does not pin datafuselabs/databend to a vX.Y.Z tag.");
        Assert.True(new Version(image.Groups["version"].Value) >= new Version(1, 2, 923), $"{image.Value} predates v1.2.923-nightly, the first with named azblob stages.");
    }

    [Fact]
    public void Every_setting_the_functions_name_is_in_the_sample_and_the_configuration_reference()
    {
        JsonObject values = SampleValues();
        string reference = RepositoryDocs.Page(RepositoryDocs.Configuration);
        string functions = RepositoryPaths.Combine("src", "FuncIngest.Functions");
        string source = string.Join('\n', Directory.EnumerateFiles(functions, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        string hostJson = File.ReadAllText(RepositoryPaths.Combine("host.json"));
        string connection = File.ReadAllText(Path.Combine(functions, "Ingest", "KafkaConnection.cs"));

        string[] named =
        [
            .. SettingExpression().Matches(source + hostJson).Select(m => m.Groups[1].Value),
            .. ConstantSettingName().Matches(connection).Select(m => m.Groups[1].Value),
        ];

        Assert.Contains("KafkaTopics", named);
        Assert.Contains("KafkaBrokerList", named);
        Assert.Contains(FuncIngestSettings.TaskHubSetting, named);
        Assert.All(named.Distinct(), name =>
        {
            Assert.True(values.ContainsKey(name), $"{name} is missing from local.settings.sample.json");
            Assert.True(reference.Contains(name, StringComparison.Ordinal), $"{name} is missing from docs/configuration.md");
        });
    }

    [Fact]
    public void The_task_hub_name_in_host_json_resolves_from_app_settings_passed_as_environment_variables()
    {
        // Core Tools and Azure hand app settings to the host as environment variables, and the
        // host resolves host.json's %name% with IConfiguration[name] (WebJobs DefaultNameResolver,
        // through NameResolverExtensions.TryResolveWholeString, called by the Durable extension's
        // DurableTaskOptions.ResolveAppSettingOptions). The environment-variable provider turns
        // A__B into the key A:B, so "%FuncIngest__TaskHub%" resolved to nothing and the Durable
        // extension refused to start. This runs the sample through the same provider.
        string hubName = JsonNode.Parse(File.ReadAllText(RepositoryPaths.Combine("host.json")))!["extensions"]!["durableTask"]!["hubName"]!.GetValue<string>();
        string prefix = $"FUNCINGEST_TEST_{Guid.NewGuid():N}_";
        JsonObject values = SampleValues();
        try
        {
            foreach ((string name, JsonNode? value) in values)
            {
                Environment.SetEnvironmentVariable(prefix + name, value?.GetValue<string>());
            }

            IConfiguration configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();

            string resolved = ResolveLikeTheHost(hubName, configuration);

            Assert.Equal(values[FuncIngestSettings.TaskHubSetting]!.GetValue<string>(), resolved);
            Assert.Matches("^[A-Za-z][A-Za-z0-9]{2,44}$", resolved);
        }
        finally
        {
            foreach ((string name, _) in values)
            {
                Environment.SetEnvironmentVariable(prefix + name, null);
            }
        }
    }

    [Fact]
    public void The_sample_passes_the_functions_start_up_validation_of_a_debug_build()
    {
        var flat = SampleValues().ToDictionary(v => v.Key.Replace("__", ":", StringComparison.Ordinal), v => (string?)v.Value?.GetValue<string>());

        FuncIngestSettings settings = FuncIngestSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(flat).Build());

        settings.ValidateForFunctions(FunctionsKafkaBuild.Debug);
        Assert.Equal(["events"], settings.Topics);
    }

    /// <summary>What NameResolverExtensions.TryResolveWholeString does: every %name% becomes configuration[name], and an unresolved one leaves the text as it was.</summary>
    private static string ResolveLikeTheHost(string text, IConfiguration configuration)
    {
        string resolved = SettingExpression().Replace(text, m => configuration[m.Groups[1].Value] ?? m.Value);
        Assert.False(resolved.Contains('%', StringComparison.Ordinal), $"'{text}' does not resolve from the sample's app settings passed as environment variables; it stays '{resolved}'.");
        return resolved;
    }

    [GeneratedRegex(@"image:\s*datafuselabs/databend:v(?<version>\d+\.\d+\.\d+)(-nightly)?\s")]
    private static partial Regex DatabendImage();

    [GeneratedRegex("%([A-Za-z_][A-Za-z0-9_]*)%")]
    private static partial Regex SettingExpression();

    [GeneratedRegex("const string (?:BrokerList|Username|Password) = \"([A-Za-z_][A-Za-z0-9_]*)\"")]
    private static partial Regex ConstantSettingName();
}
