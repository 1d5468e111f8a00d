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

    [Fact]
    public void Every_setting_the_functions_name_is_in_the_sample_and_the_readme()
    {
        JsonObject values = SampleValues();
        string readme = File.ReadAllText(RepositoryPaths.Combine("README.md"));
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
        Assert.Contains("FuncIngest__TaskHub", named);
        Assert.All(named.Distinct(), name =>
        {
            Assert.True(values.ContainsKey(name), $"{name} is missing from local.settings.sample.json");
            Assert.Contains(name, readme, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void The_sample_passes_the_functions_start_up_validation_of_a_debug_build()
    {
        var flat = SampleValues().ToDictionary(v => v.Key.Replace("__", ":", StringComparison.Ordinal), v => (string?)v.Value?.GetValue<string>());

        FuncIngestSettings settings = FuncIngestSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(flat).Build());

        settings.ValidateForFunctions("Plaintext");
        Assert.Equal(["events"], settings.Topics);
    }

    [GeneratedRegex("%([A-Za-z_][A-Za-z0-9_]*)%")]
    private static partial Regex SettingExpression();

    [GeneratedRegex("const string (?:BrokerList|Username|Password) = \"([A-Za-z_][A-Za-z0-9_]*)\"")]
    private static partial Regex ConstantSettingName();
}
