using System.Text.Json.Nodes;
using FuncIngest.Hosting;
using Microsoft.Extensions.Configuration;

namespace FuncIngest.Cli.Configuration;

/// <summary>
/// Where <c>funcingest</c> reads settings, later sources winning: <c>appsettings.json</c> and
/// <c>local.settings.json</c> (its <c>Values</c>, as the Functions app reads them) in the
/// working directory, <c>--settings</c> files, a bend-ingest-kafka <c>--bend-config</c>,
/// environment variables, and <c>--set key=value</c>.
/// </summary>
internal static class SettingsSources
{
    private static readonly string[] s_defaultFiles = ["appsettings.json", "local.settings.json"];

    public static FuncIngestSettings Load(IReadOnlyList<string> settingsFiles, string? bendConfig, IReadOnlyList<string> overrides) =>
        FuncIngestSettings.Bind(Build(settingsFiles, bendConfig, overrides));

    public static IConfiguration Build(IReadOnlyList<string> settingsFiles, string? bendConfig, IReadOnlyList<string> overrides)
    {
        var builder = new ConfigurationBuilder();
        foreach (string file in s_defaultFiles.Where(File.Exists).Concat(settingsFiles))
        {
            builder.AddInMemoryCollection(ReadJsonSettings(file));
        }

        if (bendConfig is not null)
        {
            builder.AddInMemoryCollection(BendIngestKafkaConfig.Read(bendConfig));
        }

        builder.AddEnvironmentVariables();
        var explicitValues = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (string pair in overrides)
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FuncIngestConfigurationException(pair, "--set takes key=value.");
            }

            explicitValues[Normalize(pair[..eq])] = pair[(eq + 1)..];
        }

        builder.AddInMemoryCollection(explicitValues);
        return builder.Build();
    }

    /// <summary>A JSON settings file: a Functions <c>local.settings.json</c> (flat <c>Values</c>) or an appsettings-style tree.</summary>
    private static Dictionary<string, string?> ReadJsonSettings(string file)
    {
        if (!File.Exists(file))
        {
            throw new FuncIngestConfigurationException(file, "the settings file does not exist.");
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file), documentOptions: new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new FuncIngestConfigurationException(file, "is not valid JSON: " + e.Message);
        }

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        JsonNode? source = root?["Values"] is JsonObject functionsValues ? functionsValues : root;
        Flatten(source, string.Empty, values);
        return values;
    }

    private static void Flatten(JsonNode? node, string path, Dictionary<string, string?> values)
    {
        if (node is JsonObject obj)
        {
            foreach ((string key, JsonNode? child) in obj)
            {
                Flatten(child, path.Length == 0 ? Normalize(key) : $"{path}:{Normalize(key)}", values);
            }
        }
        else if (node is not null)
        {
            values[path] = node.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();
        }
    }

    // App settings spell nesting with "__" (FuncIngest__Staging__Table); configuration uses ":".
    private static string Normalize(string key) => key.Replace("__", ":", StringComparison.Ordinal);
}
