using System.Globalization;
using System.Text.Json.Nodes;

namespace FuncIngest.Cli.Configuration;

/// <summary>
/// Reads a bend-ingest-kafka <c>config.json</c> (kafkaBootstrapServers, kafkaTopic,
/// KafkaConsumerGroup, databendDSN, databendTable, isJsonTransform, batchSize,
/// batchMaxInterval in nanoseconds) and maps it to FuncIngest's setting names, so its users
/// switch with one flag.
/// </summary>
internal static class BendIngestKafkaConfig
{
    public static Dictionary<string, string?> Read(string file)
    {
        JsonObject config = (File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file)) : null) as JsonObject
            ?? throw new FuncIngestConfigurationException(file, "is not a bend-ingest-kafka config.json (a JSON object).");
        string? Get(string key) =>
            config.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Value is JsonNode v
                ? (v.GetValueKind() == System.Text.Json.JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString())
                : null;

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["KafkaBrokerList"] = Get("kafkaBootstrapServers"),
            ["KafkaTopics"] = Get("kafkaTopic"),
            ["KafkaConsumerGroup"] = Get("kafkaConsumerGroup"),
        };

        string? table = Get("databendTable");
        string? database = null;
        if (table is not null && table.Contains('.', StringComparison.Ordinal))
        {
            database = table[..table.IndexOf('.', StringComparison.Ordinal)];
            table = table[(table.IndexOf('.', StringComparison.Ordinal) + 1)..];
        }

        values["FuncIngest:Staging:Table"] = table;
        if (Get("databendDSN") is { } dsn)
        {
            // bend-ingest-kafka takes http(s)://user:pass@host:port; Databend.Client wants databend+http(s)://.
            string converted = dsn.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "databend+" + dsn
                : dsn.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "databend+" + dsn : dsn;
            if (database is not null && new Uri(converted).AbsolutePath.Trim('/').Length == 0)
            {
                var uri = new UriBuilder(converted) { Path = "/" + database };
                converted = uri.Uri.ToString();
            }

            values["DatabendDsn"] = converted;
        }

        if (string.Equals(Get("isJsonTransform"), "true", StringComparison.OrdinalIgnoreCase))
        {
            values["FuncIngest:Staging:Encoding:Mode"] = "Transform";
        }

        if (Get("batchSize") is { } batchSize)
        {
            values["FuncIngest:Run:MaxBatchRecords"] = batchSize;
        }

        if (Get("batchMaxInterval") is { } interval && long.TryParse(interval, NumberStyles.Integer, CultureInfo.InvariantCulture, out long nanoseconds))
        {
            values["FuncIngest:Run:MaxBatchWaitMs"] = (nanoseconds / 1_000_000).ToString(CultureInfo.InvariantCulture);
        }

        return values.Where(v => v.Value is not null).ToDictionary(v => v.Key, v => v.Value, StringComparer.OrdinalIgnoreCase);
    }
}
