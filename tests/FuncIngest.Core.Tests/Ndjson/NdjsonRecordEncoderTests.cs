using System.Buffers;
using System.Text.Json.Nodes;
using FuncIngest.Ndjson;
using FuncIngest.Records;

namespace FuncIngest.Core.Tests.Ndjson;

public sealed class NdjsonRecordEncoderTests
{
    private static readonly DateTimeOffset s_addTime = new(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);
    private static readonly DateTimeOffset s_created = new(2024, 5, 6, 7, 0, 0, 500, TimeSpan.Zero);

    [Fact]
    public void Raw_mode_golden_line_matches_bend_ingest_kafka_columns_and_keeps_headers()
    {
        var record = new IngestRecord("orders", 2, 41, "order-7"u8.ToArray(), """{"id":7,"note":"a\tb"}"""u8.ToArray(), s_created, RecordTimestampType.CreateTime,
            [new RecordHeader("trace", "abc"u8.ToArray()), new RecordHeader("bin", new byte[] { 0xff, 0x00 }), new RecordHeader("none", null)]);

        string line = EncodeOne(record, new EncodingOptions());

        Assert.Equal(
            """{"uuid":"UUID","koffset":41,"kpartition":2,"record_metadata":{"topic":"orders","partition":2,"offset":41,"key":"order-7","create_time":"2024-05-06T07:00:00.5Z","timestamp_type":"CreateTime","headers":[{"key":"trace","value":"abc"},{"key":"bin","value":"/wA=","value_encoding":"base64"},{"key":"none","value":null}]},"add_time":"2024-05-06T07:08:09.123Z","raw_data":{"id":7,"note":"a\tb"}}""" + "\n",
            ReplaceUuid(line));
    }

    [Fact]
    public void Record_uuid_is_deterministic_version_8_and_distinct_per_offset()
    {
        string a1 = Uuid(EncodeOne(Record("t", 0, 1, "{}"), new EncodingOptions()));
        string a2 = Uuid(EncodeOne(Record("t", 0, 1, "{}"), new EncodingOptions()));
        string b = Uuid(EncodeOne(Record("t", 0, 2, "{}"), new EncodingOptions()));
        string c = Uuid(EncodeOne(Record("t", 1, 1, "{}"), new EncodingOptions()));
        string d = Uuid(EncodeOne(Record("u", 0, 1, "{}"), new EncodingOptions()));

        Assert.Equal(a1, a2);
        Assert.Equal(4, new[] { a1, b, c, d }.Distinct().Count());
        Assert.Equal('8', a1[14]);
        Assert.Contains(a1[19], "89ab");
    }

    [Fact]
    public void Pretty_printed_json_stays_one_line_with_the_same_value()
    {
        string pretty = "{\r\n  \"a\": [1, 2],\n  \"s\": \"x\\ny\"\n}";
        string line = EncodeOne(Record("t", 0, 0, pretty), new EncodingOptions());

        Assert.Single(line.TrimEnd('\n').Split('\n'));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(pretty), JsonNode.Parse(line)!["raw_data"]));
    }

    [Theory]
    [InlineData("plain text, not json", "plain text, not json")]
    [InlineData("{\"broken\":", "{\"broken\":")]
    [InlineData("", "")]
    public void Raw_mode_keeps_non_json_values_as_json_strings_byte_for_byte(string value, string expected)
    {
        JsonNode line = JsonNode.Parse(EncodeOne(Record("t", 0, 0, value), new EncodingOptions()))!;
        Assert.Equal(expected, (string?)line["raw_data"]);
    }

    [Fact]
    public void Binary_values_are_base64_with_value_encoding_and_strict_mode_rejects_them()
    {
        byte[] binary = [0xc3, 0x28, 0x00, 0xff];
        var record = new IngestRecord("t", 0, 0, null, binary);

        JsonNode line = JsonNode.Parse(EncodeOne(record, new EncodingOptions()))!;
        Assert.Equal(Convert.ToBase64String(binary), (string?)line["raw_data"]);
        Assert.Equal("base64", (string?)line["record_metadata"]!["value_encoding"]);
        Assert.Null(line["record_metadata"]!["key"]);

        Assert.Equal(RejectReason.InvalidUtf8, Reject(record, new EncodingOptions { StrictJson = true }));
    }

    [Fact]
    public void Non_utf8_keys_are_base64_with_key_encoding()
    {
        var record = new IngestRecord("t", 0, 0, new byte[] { 0xfe, 0x01 }, "1"u8.ToArray());
        JsonNode meta = JsonNode.Parse(EncodeOne(record, new EncodingOptions()))!["record_metadata"]!;
        Assert.Equal("/gE=", (string?)meta["key"]);
        Assert.Equal("base64", (string?)meta["key_encoding"]);
    }

    [Fact]
    public void Tombstones_are_rows_with_null_raw_data_in_raw_mode_and_rejected_in_transform_mode()
    {
        var tombstone = new IngestRecord("t", 0, 9, "k"u8.ToArray(), null);

        JsonNode line = JsonNode.Parse(EncodeOne(tombstone, new EncodingOptions { StrictJson = true }))!;
        Assert.Equal(9, (long)line["koffset"]!);
        Assert.True(line.AsObject().ContainsKey("raw_data"));
        Assert.Null(line["raw_data"]);

        Assert.Equal(RejectReason.Tombstone, Reject(tombstone, new EncodingOptions { Mode = RecordMode.Transform }));
    }

    [Theory]
    [InlineData("", RejectReason.Empty)]
    [InlineData("nope", RejectReason.NotJson)]
    [InlineData("{\"a\":1} {\"b\":2}", RejectReason.NotJson)]
    public void Strict_raw_mode_rejects_what_is_not_one_json_value(string value, RejectReason reason) =>
        Assert.Equal(reason, Reject(Record("t", 0, 0, value), new EncodingOptions { StrictJson = true }));

    [Fact]
    public void Nesting_beyond_the_limit_is_text_in_raw_mode_and_rejected_when_strict()
    {
        string deep = new string('[', 70) + new string(']', 70);
        var options = new EncodingOptions { MaxJsonDepth = 64 };

        Assert.Equal(deep, (string?)JsonNode.Parse(EncodeOne(Record("t", 0, 0, deep), options))!["raw_data"]);
        Assert.Equal(RejectReason.TooDeep, Reject(Record("t", 0, 0, deep), new EncodingOptions { MaxJsonDepth = 64, StrictJson = true }));
        Assert.Equal(RejectReason.TooDeep, Reject(Record("t", 0, 0, deep), new EncodingOptions { MaxJsonDepth = 64, Mode = RecordMode.Transform }));
        string ok = new string('[', 60) + new string(']', 60);
        Assert.Equal(RejectReason.None, Reject(Record("t", 0, 0, ok), new EncodingOptions { MaxJsonDepth = 64, StrictJson = true }));
    }

    [Fact]
    public void Oversize_records_are_rejected_counting_key_value_and_headers()
    {
        var record = new IngestRecord("t", 0, 0, new byte[10], "\"0123456789\""u8.ToArray(), headers: [new RecordHeader("h", new byte[10])]);

        Assert.Equal(RejectReason.TooLarge, Reject(record, new EncodingOptions { MaxRecordBytes = 32 }));
        Assert.Equal(RejectReason.None, Reject(record, new EncodingOptions { MaxRecordBytes = 33 }));
    }

    [Fact]
    public void Transform_mode_writes_the_object_unchanged_and_rejects_other_json()
    {
        const string value = """{"id":1,"name":"Zoë","nested":{"x":[1,2.50,"\u00e9"]}}""";
        Assert.Equal(value + "\n", EncodeOne(Record("t", 0, 0, value), new EncodingOptions { Mode = RecordMode.Transform }));

        var transform = new EncodingOptions { Mode = RecordMode.Transform };
        Assert.Equal(RejectReason.NotJsonObject, Reject(Record("t", 0, 0, "[1,2]"), transform));
        Assert.Equal(RejectReason.NotJsonObject, Reject(Record("t", 0, 0, "42"), transform));
        Assert.Equal(RejectReason.NotJson, Reject(Record("t", 0, 0, "{x}"), transform));
        Assert.Equal(RejectReason.Empty, Reject(Record("t", 0, 0, ""), transform));
        Assert.Equal(RejectReason.InvalidUtf8, Reject(new IngestRecord("t", 0, 0, null, new byte[] { 0xff }), transform));
    }

    [Fact]
    public void A_rejected_record_leaves_the_output_untouched()
    {
        var output = new ArrayBufferWriter<byte>();
        using var encoder = new NdjsonRecordEncoder(new EncodingOptions { Mode = RecordMode.Transform }, s_addTime);

        Assert.Equal(RejectReason.None, encoder.TryEncode(Record("t", 0, 0, "{}"), output, out _));
        Assert.Equal(RejectReason.NotJsonObject, encoder.TryEncode(Record("t", 0, 1, "[]"), output, out string? detail));

        Assert.Equal("{}\n", System.Text.Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Contains("array", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Dead_letter_lines_keep_coordinates_reason_and_exact_bytes()
    {
        byte[] value = [0x01, 0x02, 0xff];
        var record = new IngestRecord("t", 3, 77, "k"u8.ToArray(), value, s_created, RecordTimestampType.LogAppendTime, [new RecordHeader("h", "v"u8.ToArray())]);
        var output = new ArrayBufferWriter<byte>();
        using var encoder = new NdjsonRecordEncoder(new EncodingOptions(), s_addTime);

        encoder.WriteDeadLetter(record, RejectReason.InvalidUtf8, "the value is not UTF-8 text", s_addTime, output);

        string text = System.Text.Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        JsonNode line = JsonNode.Parse(text)!;
        Assert.Equal(("t", 3, 77L, "InvalidUtf8"), ((string)line["topic"]!, (int)line["partition"]!, (long)line["offset"]!, (string)line["reason"]!));
        Assert.Equal(value, Convert.FromBase64String((string)line["value"]!));
        Assert.Equal("LogAppendTime", (string?)line["timestamp_type"]);
        Assert.Equal("k"u8.ToArray(), Convert.FromBase64String((string)line["key"]!));
        Assert.Equal("v"u8.ToArray(), Convert.FromBase64String((string)line["headers"]![0]!["value"]!));
    }

    private static IngestRecord Record(string topic, int partition, long offset, string value) =>
        new(topic, partition, offset, null, System.Text.Encoding.UTF8.GetBytes(value));

    private static string EncodeOne(IngestRecord record, EncodingOptions options)
    {
        var output = new ArrayBufferWriter<byte>();
        using var encoder = new NdjsonRecordEncoder(options, s_addTime);
        Assert.Equal(RejectReason.None, encoder.TryEncode(record, output, out string? detail));
        Assert.Null(detail);
        return System.Text.Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static RejectReason Reject(IngestRecord record, EncodingOptions options)
    {
        using var encoder = new NdjsonRecordEncoder(options, s_addTime);
        return encoder.TryEncode(record, new ArrayBufferWriter<byte>(), out _);
    }

    private static string Uuid(string line) => (string)JsonNode.Parse(line)!["uuid"]!;

    private static string ReplaceUuid(string line) => line.Replace(Uuid(line), "UUID", StringComparison.Ordinal);
}
