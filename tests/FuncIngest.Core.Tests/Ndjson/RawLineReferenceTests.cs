using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using FuncIngest.Ndjson;
using FuncIngest.Records;

namespace FuncIngest.Core.Tests.Ndjson;

/// <summary>
/// The raw-mode encoder writes its fixed parts as bytes for speed. These tests hold it to the
/// line a plain Utf8JsonWriter produces for the same record, over random records that mix
/// keys, values and headers needing escapes, base64 and nothing special.
/// </summary>
public sealed class RawLineReferenceTests
{
    private static readonly DateTimeOffset s_addTime = new(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);

    private static readonly byte[]?[] s_keys =
    [
        null, [], "order-7"u8.ToArray(), "quote\" and \\ slash"u8.ToArray(), Encoding.UTF8.GetBytes("emoji 😀 and é"),
        Encoding.UTF8.GetBytes("ctrl\u0001\u001f"), [0xfe, 0x01], [0xc3, 0x28], "<html>&'"u8.ToArray(), Encoding.UTF8.GetBytes("line\u2028sep"),
    ];

    private static readonly byte[]?[] s_values =
    [
        null, [], "{}"u8.ToArray(), """{"id":7,"note":"a\tb"}"""u8.ToArray(), "{\r\n \"a\": [1,\n2]\n}"u8.ToArray(), "[1,2]"u8.ToArray(),
        "42"u8.ToArray(), "\"s\""u8.ToArray(), "plain text"u8.ToArray(), Encoding.UTF8.GetBytes("text with \"quotes\" and 😀\n"),
        "{\"broken\":"u8.ToArray(), [0x01, 0x02, 0xff], [0xc3, 0x28, 0x00, 0xff], Encoding.UTF8.GetBytes(new string('[', 70) + new string(']', 70)),
        "{\"cut\":\"\\ud83d\"}"u8.ToArray(), "[1e400]"u8.ToArray(), "123456789012345678901234567890123456789012"u8.ToArray(),
        "{\"a\":1,\"a\":2}"u8.ToArray(), "{\"$serde_json::private::Number\":\"1\"}"u8.ToArray(), "\"\\ud83d\\ude00\""u8.ToArray(),
    ];

    private static readonly Dictionary<NdjsonRecordEncoder.ValueShape, string> s_textMarkers = new()
    {
        [NdjsonRecordEncoder.ValueShape.Empty] = "empty",
        [NdjsonRecordEncoder.ValueShape.Text] = "not_json",
        [NdjsonRecordEncoder.ValueShape.TooDeep] = "too_deep",
        [NdjsonRecordEncoder.ValueShape.LoneSurrogate] = "lone_surrogate",
        [NdjsonRecordEncoder.ValueShape.NumberOutOfRange] = "number_out_of_range",
        [NdjsonRecordEncoder.ValueShape.WideInteger] = "wide_integer",
        [NdjsonRecordEncoder.ValueShape.ReservedKey] = "reserved_key",
        [NdjsonRecordEncoder.ValueShape.DuplicateKey] = "duplicate_key",
    };

    [Fact]
    public void Random_raw_lines_match_the_utf8_json_writer_reference()
    {
        var random = new Random(42);
        using var encoder = new NdjsonRecordEncoder(new EncodingOptions(), s_addTime);
        var output = new ArrayBufferWriter<byte>();
        for (int n = 0; n < 3_000; n++)
        {
            IngestRecord record = RandomRecord(random, n);
            output.ResetWrittenCount();
            Assert.Equal(RejectReason.None, encoder.TryEncode(record, output, out _));
            string actual = Encoding.UTF8.GetString(output.WrittenSpan);

            string expected = Reference(record, Uuid(actual));
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Timestamps_are_formatted_like_the_writer_formats_them()
    {
        var random = new Random(7);
        Span<byte> buffer = stackalloc byte[40];
        var output = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(output);
        for (int n = 0; n < 5_000; n++)
        {
            long ticks = n switch
            {
                0 => DateTime.UnixEpoch.Ticks,
                1 => new DateTime(2024, 1, 1, 0, 0, 0, 100).Ticks,
                2 => new DateTime(2024, 1, 1, 0, 0, 0).AddTicks(1).Ticks,
                _ => DateTime.UnixEpoch.Ticks + (random.NextInt64(0, 4_000_000_000_000) * (n % 3 == 0 ? 10_000 : 1)),
            };
            var utc = new DateTime(ticks, DateTimeKind.Utc);
            output.ResetWrittenCount();
            writer.Reset();
            writer.WriteStringValue(utc);
            writer.Flush();

            int length = NdjsonRecordEncoder.FormatTimestamp(utc, buffer);
            Assert.Equal(Encoding.UTF8.GetString(output.WrittenSpan[1..^1]), Encoding.UTF8.GetString(buffer[..length]));
        }
    }

    private static IngestRecord RandomRecord(Random random, int n)
    {
        var headers = new List<RecordHeader>();
        for (int h = random.Next(-2, 3); h > 0; h--)
        {
            byte[]? value = s_keys[random.Next(s_keys.Length)];
            headers.Add(new RecordHeader(random.Next(2) == 0 ? "trace" : "h\"ü😀", value));
        }

        DateTimeOffset? timestamp = random.Next(4) == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(random.NextInt64(0, 4_000_000_000_000));
        return new IngestRecord(
            random.Next(2) == 0 ? "orders" : "app.events-v2_x",
            random.Next(0, 1000),
            n % 5 == 0 ? long.MaxValue - n : random.NextInt64(0, long.MaxValue),
            s_keys[random.Next(s_keys.Length)],
            s_values[random.Next(s_values.Length)],
            timestamp,
            (RecordTimestampType)random.Next(3),
            headers);
    }

    /// <summary>The line as a straightforward Utf8JsonWriter encoder writes it (the encoder's first version).</summary>
    private static string Reference(IngestRecord record, string uuid)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
        {
            byte[]? value = record.Value?.ToArray();
            NdjsonRecordEncoder.ValueShape shape = value is null ? NdjsonRecordEncoder.ValueShape.Null : NdjsonRecordEncoder.Classify(value, 64, out _);

            writer.WriteStartObject();
            writer.WriteString("uuid", uuid);
            writer.WriteNumber("koffset", record.Offset);
            writer.WriteNumber("kpartition", record.Partition);
            writer.WriteStartObject("record_metadata");
            writer.WriteString("topic", record.Topic);
            writer.WriteNumber("partition", record.Partition);
            writer.WriteNumber("offset", record.Offset);
            WriteText(writer, "key", record.Key?.ToArray(), "key_encoding");
            if (record.Timestamp is { } ts)
            {
                writer.WriteString("create_time", ts.UtcDateTime);
            }

            writer.WriteString("timestamp_type", record.TimestampType.ToString());
            switch (shape)
            {
                case NdjsonRecordEncoder.ValueShape.Null:
                    writer.WriteBoolean("tombstone", true);
                    break;
                case NdjsonRecordEncoder.ValueShape.Binary:
                    writer.WriteString("value_encoding", "base64");
                    break;
                case NdjsonRecordEncoder.ValueShape.Json:
                    break;
                default:
                    writer.WriteString("value_as_text", s_textMarkers[shape]);
                    break;
            }

            if (record.Headers.Count > 0)
            {
                writer.WriteStartArray("headers");
                foreach (RecordHeader header in record.Headers)
                {
                    writer.WriteStartObject();
                    writer.WriteString("key", header.Key);
                    WriteText(writer, "value", header.Value?.ToArray(), "value_encoding");
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteString("add_time", "2024-05-06T07:08:09.123Z");
            switch (shape)
            {
                case NdjsonRecordEncoder.ValueShape.Null:
                    writer.WriteNull("raw_data");
                    break;
                case NdjsonRecordEncoder.ValueShape.Json:
                    writer.WritePropertyName("raw_data");
                    writer.WriteRawValue(Encoding.UTF8.GetString(value!).Replace('\n', ' ').Replace('\r', ' '), skipInputValidation: true);
                    break;
                case NdjsonRecordEncoder.ValueShape.Binary:
                    writer.WriteBase64String("raw_data", value);
                    break;
                default:
                    writer.WriteString("raw_data", value);
                    break;
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(output.WrittenSpan) + "\n";
    }

    private static void WriteText(Utf8JsonWriter writer, string name, byte[]? bytes, string encodingName)
    {
        if (bytes is null)
        {
            writer.WriteNull(name);
        }
        else if (Utf8.IsValid(bytes))
        {
            writer.WriteString(name, bytes);
        }
        else
        {
            writer.WriteBase64String(name, bytes);
            writer.WriteString(encodingName, "base64");
        }
    }

    private static string Uuid(string line) => (string)JsonNode.Parse(line)!["uuid"]!;
}
