using System.Reflection;
using System.Text.Json.Nodes;
using FuncIngest.Cli.Configuration;
using FuncIngest.Cli.Daemon;
using FuncIngest.Hosting;
using FuncIngest.Loading;
using FuncIngest.Ndjson;
using FuncIngest.Staging;
using FuncIngest.TestSupport;

namespace FuncIngest.Cli.Tests;

/// <summary>local.settings.sample.json and the configuration reference (docs/configuration.md) list every setting the code reads, and the sample loads as it is.</summary>
public sealed class SettingsSampleTests
{
    private static readonly string s_sample = RepositoryPaths.Combine("local.settings.sample.json");

    [Fact]
    public void Every_setting_the_code_binds_is_in_the_sample_and_in_the_configuration_reference()
    {
        JsonObject values = JsonNode.Parse(File.ReadAllText(s_sample))!["Values"]!.AsObject();
        string reference = RepositoryDocs.Page(RepositoryDocs.Configuration);
        List<string> expected =
        [
            .. typeof(FuncIngestSettings).GetProperties().Where(p => p.PropertyType == typeof(string) || p.PropertyType == typeof(int?)).Where(p => p.CanWrite).Select(p => p.Name),
            .. Names("FuncIngest__Staging__", typeof(StagingOptions)),
            .. Names("FuncIngest__Staging__Encoding__", typeof(EncodingOptions)),
            .. Names("FuncIngest__Stage__", typeof(AzureBlobStageStoreOptions)),
            .. Names("FuncIngest__Loader__", typeof(LoaderOptions)),
            .. Names("FuncIngest__Run__", typeof(RunOptions)).Where(n => !n.EndsWith("ExitWhenIdleSeconds", StringComparison.Ordinal)),
        ];

        string[] notInSample = [.. expected.Where(name => !values.ContainsKey(name))];
        string[] notInReference = [.. expected.Where(name => !reference.Contains(name.Split("__")[^1], StringComparison.Ordinal))];
        Assert.True(notInSample.Length == 0, "Missing from local.settings.sample.json: " + string.Join(", ", notInSample));
        Assert.True(notInReference.Length == 0, "Missing from docs/configuration.md: " + string.Join(", ", notInReference));
    }

    [Fact]
    public void The_sample_loads_and_validates_as_it_is()
    {
        FuncIngestSettings settings = SettingsSources.Load([s_sample], null, []);

        settings.Validate(kafka: true, databend: true, stage: true);
        Assert.Equal("events", settings.Staging.Table);
        Assert.Equal(RecordMode.Raw, settings.Staging.Encoding.Mode);
        // Databend (in Docker) reaches Azurite by its compose service name; the app uses 127.0.0.1.
        Assert.Equal("http://azurite:10000/devstoreaccount1", settings.StageConnection().EndpointUrl);
    }

    private static IEnumerable<string> Names(string prefix, Type options) =>
        options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && (p.PropertyType.IsPrimitive || p.PropertyType.IsEnum || p.PropertyType == typeof(string) || p.PropertyType == typeof(TimeSpan)))
            .Select(p => prefix + p.Name);
}
