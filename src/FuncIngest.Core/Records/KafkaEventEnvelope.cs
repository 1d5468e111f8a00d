using System.Globalization;
using System.Text.Json;

namespace FuncIngest.Records;

/// <summary>
/// Reads the JSON envelope the Azure Functions Kafka extension hands a batched trigger bound
/// to <c>string[]</c>: one object per event with PascalCase fields <c>Offset, Partition, Topic,
/// Timestamp, Value, Key, Headers[{Key, Value}]</c>, header values base64. Used only when the
/// <c>KafkaRecord[]</c> binding (extension 4.3+) is not available.
/// </summary>
/// <remarks>
/// The envelope carries the value as a string, so a binary value cannot be told from its text;
/// the value's UTF-8 bytes are staged. Prefer <c>KafkaRecord[]</c>, which delivers bytes.
/// </remarks>
public static class KafkaEventEnvelope
{
    /// <summary>Parses one event.</summary>
    /// <exception cref="FormatException">The text is not such an envelope; the message names the missing or bad field.</exception>
    public static IngestRecord Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("A Kafka event envelope must be a JSON object.");
            }

            string topic = Required(root, "Topic").GetString() ?? throw new FormatException("The Kafka event envelope's Topic is null.");
            int partition = Required(root, "Partition").GetInt32();
            long offset = Required(root, "Offset").GetInt64();
            ReadOnlyMemory<byte>? key = Text(root, "Key");
            ReadOnlyMemory<byte>? value = Text(root, "Value");
            DateTimeOffset? timestamp = root.TryGetProperty("Timestamp", out JsonElement ts) && ts.ValueKind == JsonValueKind.String
                ? DateTimeOffset.Parse(ts.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
                : null;

            List<RecordHeader> headers = [];
            if (root.TryGetProperty("Headers", out JsonElement hs) && hs.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement h in hs.EnumerateArray())
                {
                    string name = Required(h, "Key").GetString() ?? string.Empty;
                    headers.Add(new RecordHeader(name, IngestRecord.AsMemory(h.TryGetProperty("Value", out JsonElement hv) && hv.ValueKind == JsonValueKind.String
                        ? Convert.FromBase64String(hv.GetString()!)
                        : null)));
                }
            }

            return new IngestRecord(topic, partition, offset, key, value, timestamp,
                timestamp is null ? RecordTimestampType.NotAvailable : RecordTimestampType.CreateTime, headers);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new FormatException("Not a Kafka event envelope: " + e.Message, e);
        }
    }

    private static JsonElement Required(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null
            ? value
            : throw new FormatException($"The Kafka event envelope has no {name}.");

    private static ReadOnlyMemory<byte>? Text(JsonElement obj, string name) =>
        IngestRecord.AsMemory(obj.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? System.Text.Encoding.UTF8.GetBytes(value.GetString()!)
            : null);
}
