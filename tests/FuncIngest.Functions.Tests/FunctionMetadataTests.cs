using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FuncIngest.TestSupport;

namespace FuncIngest.Functions.Tests;

/// <summary>
/// The function metadata the Worker SDK's generator wrote when it built the app
/// (functions.metadata, what the host indexes) against the table of functions in docs/functions-app.md.
/// </summary>
public sealed partial class FunctionMetadataTests
{
    private static readonly Dictionary<string, string> s_triggerOfReadmeWord = new(StringComparer.Ordinal)
    {
        ["Kafka"] = "kafkaTrigger",
        ["durable entity"] = "entityTrigger",
        ["orchestration"] = "orchestrationTrigger",
        ["activity"] = "activityTrigger",
        ["timer"] = "timerTrigger",
    };

    private static JsonArray Metadata()
    {
        string output = typeof(FunctionMetadataTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "FunctionsOutput").Value!;
        string path = Path.Combine(output, "functions.metadata");
        Assert.True(File.Exists(path), $"{path} is missing: the Worker SDK writes it when it builds src/FuncIngest.Functions.");
        return JsonNode.Parse(File.ReadAllText(path))!.AsArray();
    }

    private static JsonObject Function(string name) =>
        Assert.Single(Metadata(), f => (string?)f!["name"] == name)!.AsObject();

    private static JsonObject Trigger(JsonObject function) =>
        Assert.Single(function["bindings"]!.AsArray(), b => ((string?)b!["type"])!.EndsWith("Trigger", StringComparison.Ordinal))!.AsObject();

    /// <summary>The documented table (docs/functions-app.md, before its first diagram): function name and the first words of its trigger column.</summary>
    private static Dictionary<string, string> ReadmeFunctions()
    {
        string section = RepositoryDocs.Page(RepositoryDocs.FunctionsApp);
        return ReadmeRow().Matches(section[..section.IndexOf("```mermaid", StringComparison.Ordinal)])
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["trigger"].Value.Trim());
    }

    [Fact]
    public void Every_function_in_readme_is_generated_with_its_trigger_and_nothing_else_is()
    {
        Dictionary<string, string> documented = ReadmeFunctions();
#if FUNCINGEST_WITHOUT_KAFKA
        // Built without the Kafka trigger (FuncIngestWithoutKafka): Ingest is the one function left out.
        Assert.True(documented.Remove("Ingest"), "docs/functions-app.md documents an Ingest function");
#endif

        Dictionary<string, string> generated = Metadata().ToDictionary(f => (string)f!["name"]!, f => (string)Trigger(f!.AsObject())["type"]!);

        Assert.Equal(documented.Keys.Order(StringComparer.Ordinal), generated.Keys.Order(StringComparer.Ordinal));
        Assert.All(documented, d =>
        {
            string word = s_triggerOfReadmeWord.Keys.Single(w => d.Value.StartsWith(w, StringComparison.Ordinal));
            Assert.Equal(s_triggerOfReadmeWord[word], generated[d.Key]);
        });
    }

    [Fact]
    public void The_sweep_timer_runs_on_the_schedule_setting_readme_names()
    {
        Assert.Equal("timer, on `FuncIngestSweepSchedule` (every 5 minutes as deployed)", ReadmeFunctions()["Sweep"]);
        JsonObject trigger = Trigger(Function("Sweep"));

        // The host resolves %name% in the schedule from app settings (TimerSchedule.Create:
        // nameResolver.ResolveWholeString), so the schedule is a setting, not a constant.
        Assert.Equal($"%{FuncIngest.Hosting.FuncIngestSettings.SweepScheduleSetting}%", (string?)trigger["schedule"]);
        Assert.Contains(Function("Sweep")["bindings"]!.AsArray(), b => (string?)b!["type"] == "durableClient");
    }

    [Fact]
    public void The_durable_functions_carry_no_host_retry_policy()
    {
        // Retries of a load belong to the orchestration's policy (RunAttempts); a host retry
        // around an orchestrator, entity or activity would replay it outside Durable's control.
        Assert.All(new[] { "TableLoadScheduler", "LoadTableOrchestrator", "LoadTableActivity", "Sweep" }, name =>
            Assert.Null(Function(name)["retry"]));
    }

    [Fact]
    public void Ingest_is_a_batched_kafka_trigger_with_the_retry_policy_readme_documents()
    {
#if FUNCINGEST_WITHOUT_KAFKA
        Assert.Skip("The app was built without its Kafka trigger (FuncIngestWithoutKafka: this machine's NuGet source lacks the Kafka worker extension). "
            + "Where that package restores, scripts/test.sh builds the full app and this test runs.");
#endif
        Assert.Contains("[ExponentialBackoffRetry(-1, 2 s, 5 min)]", RepositoryDocs.Page(RepositoryDocs.FunctionsApp), StringComparison.Ordinal);
        JsonObject ingest = Function("Ingest");
        JsonObject trigger = Trigger(ingest);

        Assert.Equal("kafkaTrigger", (string?)trigger["type"]);
        Assert.Equal("Many", (string?)trigger["cardinality"]);
        Assert.Equal("%KafkaTopics%", (string?)trigger["topic"]);
        Assert.Equal("KafkaBrokerList", (string?)trigger["brokerList"]);
        // The protocol and mechanism are enums in the metadata (the generator writes the member's
        // name); start-up validates the settings against CompiledKafkaProtocol, so both must agree.
        FuncIngest.Hosting.FunctionsKafkaBuild build = CompiledKafkaProtocol.Build;
        string? Property(string name) => (string?)trigger.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
        Assert.Equal(build.AuthenticationMode is null ? "NotSet" : build.Protocol, Property("protocol") ?? "NotSet");
        Assert.Equal(build.AuthenticationMode ?? "NotSet", Property("authenticationMode") ?? "NotSet");
        JsonObject retry = ingest["retry"]!.AsObject();
        Assert.Equal("exponentialBackoff", (string?)retry["strategy"]);
        Assert.Equal(-1, (int)retry["maxRetryCount"]!);
        Assert.Equal("00:00:02", (string?)retry["minimumInterval"]);
        Assert.Equal("00:05:00", (string?)retry["maximumInterval"]);
    }

    [GeneratedRegex(@"^\| `(?<name>[A-Za-z]+)` \| (?<trigger>[^|]+) \|", RegexOptions.Multiline)]
    private static partial Regex ReadmeRow();
}
