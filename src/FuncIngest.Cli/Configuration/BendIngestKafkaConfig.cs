using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FuncIngest.Cli.Configuration;

/// <summary>
/// Reads a bend-ingest-kafka <c>config.json</c> and maps it to FuncIngest's setting names, so its
/// users switch with one flag. The format is bend-ingest-kafka's current one
/// (databendcloud/bend-ingest-kafka <c>config/config.go</c> and <c>batch_reader.go</c>
/// <c>BuildKafkaConfigMap</c>): <c>batchMaxInterval</c> in seconds, <c>isSASL</c> with
/// <c>saslUser</c>/<c>saslPassword</c> over SASL PLAIN, <c>disableTLS</c> choosing between the
/// TLS and plaintext variants of the protocol.
/// </summary>
internal static class BendIngestKafkaConfig
{
    /// <summary>bend-ingest-kafka's default consumer group (<c>config.go</c>): used when the file names none, so a switch resumes from its committed offsets.</summary>
    public const string DefaultConsumerGroup = "test-group";

    // From 2024-05-13 to 2024-05-14 batchMaxInterval was a Go time.Duration (nanoseconds); since
    // then it is an int of seconds. No batch waits a million seconds (11 days), so a value from
    // here up can only be the old nanoseconds.
    private const long NanosecondsFrom = 1_000_000;

    public static Dictionary<string, string?> Read(string file)
    {
        JsonObject config = Parse(file);
        string? Get(string key) =>
            config.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.OrdinalIgnoreCase)).Value is JsonNode v
                ? (v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString())
                : null;
        bool Flag(string key) => Get(key) is { } value && (bool.TryParse(value, out bool flag)
            ? flag
            : throw new FuncIngestConfigurationException($"{file}: {key}", $"must be true or false, not '{value}'."));

        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["KafkaBrokerList"] = Get("kafkaBootstrapServers"),
            ["KafkaTopics"] = Get("kafkaTopic"),
            ["KafkaConsumerGroup"] = Get("kafkaConsumerGroup") ?? DefaultConsumerGroup,
        };

        // BuildKafkaConfigMap: SASL is always PLAIN; disableTLS picks SASL_PLAINTEXT over SASL_SSL,
        // and PLAINTEXT over SSL without SASL (its default is TLS).
        bool tls = !Flag("disableTLS");
        if (Flag("isSASL"))
        {
            values["KafkaProtocol"] = tls ? "SaslSsl" : "SaslPlaintext";
            values["KafkaAuthenticationMode"] = "Plain";
            values["KafkaUsername"] = Get("saslUser") is { Length: > 0 } user
                ? user
                : throw new FuncIngestConfigurationException($"{file}: saslUser", "is required when isSASL is true.");
            values["KafkaPassword"] = Get("saslPassword");
        }
        else
        {
            values["KafkaProtocol"] = tls ? "Ssl" : "Plaintext";
        }

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
            values["DatabendDsn"] = ConvertDsn(file, dsn, database);
        }

        if (Flag("isJsonTransform"))
        {
            values["FuncIngest:Staging:Encoding:Mode"] = "Transform";
        }

        if (Flag("useReplaceMode"))
        {
            throw new FuncIngestConfigurationException($"{file}: useReplaceMode", "FuncIngest has no replace (upsert) mode: it appends each record once. Remove the setting to switch.");
        }

        if (Get("dataFormat") is { } format && !string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            throw new FuncIngestConfigurationException($"{file}: dataFormat", $"'{format}' is not supported; FuncIngest reads JSON values (raw mode also keeps other values, as JSON strings).");
        }

        if (Get("batchSize") is { } batchSize)
        {
            values["FuncIngest:Run:MaxBatchRecords"] = batchSize;
        }

        if (Get("batchMaxInterval") is { } interval)
        {
            if (!long.TryParse(interval, NumberStyles.Integer, CultureInfo.InvariantCulture, out long amount) || amount <= 0)
            {
                throw new FuncIngestConfigurationException($"{file}: batchMaxInterval", $"must be a positive number of seconds, not '{interval}'.");
            }

            long milliseconds = amount >= NanosecondsFrom ? Math.Max(1, amount / 1_000_000) : checked(amount * 1000);
            values["FuncIngest:Run:MaxBatchWaitMs"] = Math.Min(milliseconds, int.MaxValue).ToString(CultureInfo.InvariantCulture);
        }

        return values.Where(v => v.Value is not null).ToDictionary(v => v.Key, v => v.Value, StringComparer.OrdinalIgnoreCase);
    }

    private static JsonObject Parse(string file)
    {
        if (!File.Exists(file))
        {
            throw new FuncIngestConfigurationException("--bend-config", $"the file '{file}' does not exist.");
        }

        try
        {
            return JsonNode.Parse(File.ReadAllText(file)) as JsonObject
                ?? throw new FuncIngestConfigurationException("--bend-config", $"'{file}' is not a bend-ingest-kafka config.json (a JSON object).");
        }
        catch (JsonException e)
        {
            throw new FuncIngestConfigurationException("--bend-config", $"'{file}' is not valid JSON: {e.Message}");
        }
    }

    /// <summary>bend-ingest-kafka takes <c>http(s)://user:pass@host:port[/db][?...]</c>; Databend.Client wants <c>databend+http(s)://</c>.</summary>
    private static string ConvertDsn(string file, string dsn, string? database)
    {
        string converted = dsn.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || dsn.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            ? "databend+" + dsn
            : dsn;
        if (!Uri.TryCreate(converted, UriKind.Absolute, out Uri? uri))
        {
            throw new FuncIngestConfigurationException($"{file}: databendDSN", "is not a URL (https://user:password@host:port/database).");
        }

        if (database is not null && uri.AbsolutePath.Trim('/').Length == 0)
        {
            // Keep the query (warehouse=..., session settings) and put the table's database in the path.
            converted = new UriBuilder(uri) { Path = "/" + database }.Uri.ToString();
        }

        return converted;
    }
}
