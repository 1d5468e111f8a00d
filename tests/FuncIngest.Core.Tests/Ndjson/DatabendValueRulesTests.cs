using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.TestSupport.Databend.Emulator;

namespace FuncIngest.Core.Tests.Ndjson;

/// <summary>
/// Issue 15: every line the encoder writes is one Databend's NDJSON reader loads, and a value is
/// written as JSON only when Databend stores it unchanged. "Databend" here is
/// <see cref="NdjsonLineParser"/>, the emulator's model of its reader (sources cited there).
/// Also the record uuid and the tombstone and empty-value markers.
/// </summary>
public sealed class DatabendValueRulesTests
{
    private static readonly DateTimeOffset s_addTime = new(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);

    /// <summary>Values Databend refuses or changes, the raw-mode marker, and the dead-letter reason.</summary>
    public static TheoryData<string, string, RejectReason> DatabendProblems() => new()
    {
        { """{"a":"\ud800"}""", "lone_surrogate", RejectReason.LoneSurrogate },
        { "\"x\\udc00y\"", "lone_surrogate", RejectReason.LoneSurrogate },
        { """["\ud83d\u0041"]""", "lone_surrogate", RejectReason.LoneSurrogate },
        { """{"n":1e400}""", "number_out_of_range", RejectReason.NumberOutOfRange },
        { "-1e400", "number_out_of_range", RejectReason.NumberOutOfRange },
        { """{"n":1e-400}""", "number_out_of_range", RejectReason.NumberOutOfRange },
        { "[340282366920938463463374607431768211456]", "wide_integer", RejectReason.WideInteger },
        { """{"n":-1701411834604692317316873037158841057280}""", "wide_integer", RejectReason.WideInteger },
        { """{"a":1,"a":2}""", "duplicate_key", RejectReason.DuplicateKey },
        { """{"o":{"k":1,"\u006b":2}}""", "duplicate_key", RejectReason.DuplicateKey },
        { """{"$serde_json::private::Number":"12"}""", "reserved_key", RejectReason.ReservedKey },
    };

    [Theory]
    [MemberData(nameof(DatabendProblems))]
    public void Json_that_databend_refuses_or_changes_is_kept_as_text_and_marked_in_raw_mode(string value, string marker, RejectReason reason)
    {
        Assert.NotEqual(RejectReason.None, reason);
        string text = EncodeOne(Record("t", 0, 0, value), new EncodingOptions());
        NdjsonLine line = NdjsonLineParser.ParseRow(text)!;

        // Databend loads the line and stores the value's text exactly, as a string.
        Assert.True(line.StoredUnchanged, line.Error);
        Assert.Equal(value, (string?)line.Value!["raw_data"]);
        Assert.Equal(marker, (string?)line.Value!["record_metadata"]!["value_as_text"]);

        // Written as JSON, the same value would be refused or changed: the rule is needed.
        NdjsonLine asJson = NdjsonLineParser.ParseRow("{\"raw_data\":" + value + "}")!;
        Assert.False(asJson.StoredUnchanged);
    }

    [Theory]
    [MemberData(nameof(DatabendProblems))]
    public void Json_that_databend_refuses_or_changes_is_dead_lettered_when_strict_and_in_transform_mode(string value, string marker, RejectReason reason)
    {
        Assert.NotEmpty(marker);
        Assert.Equal(reason, Reject(Record("t", 0, 0, value), new EncodingOptions { StrictJson = true }));
        if (value.StartsWith('{'))
        {
            Assert.Equal(reason, Reject(Record("t", 0, 0, value), new EncodingOptions { Mode = RecordMode.Transform }));
        }
    }

    [Theory]
    [InlineData("123456789012345678901234567890")]
    [InlineData("[340282366920938463463374607431768211455,-170141183460469231731687303715884105728]")]
    [InlineData("""{"f":1.7976931348623157e308,"g":5e-324,"z":0e-999,"h":-0.0,"p":0.1}""")]
    [InlineData("""{"emoji":"\ud83d\ude00","a":{"a":1},"b":[{"a":1},{"a":1}]}""")]
    [InlineData("""{"b":1,"$serde_json::private::Number":"1"}""")]
    public void Json_that_databend_stores_unchanged_is_written_as_json(string value)
    {
        string text = EncodeOne(Record("t", 0, 0, value), new EncodingOptions());
        NdjsonLine line = NdjsonLineParser.ParseRow(text)!;

        Assert.True(line.StoredUnchanged, line.Error);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(value), line.Value!["raw_data"]), text);
        Assert.False(line.Value!["record_metadata"]!.AsObject().ContainsKey("value_as_text"));
        Assert.Equal(RejectReason.None, Reject(Record("t", 0, 0, value), new EncodingOptions { StrictJson = true }));
    }

    [Fact]
    public void The_deepest_value_max_json_depth_allows_loads_and_one_level_more_would_not()
    {
        int limit = EncodingOptions.MaxJsonDepthLimit;
        var options = new EncodingOptions { MaxJsonDepth = limit };
        options.Validate();
        Assert.Throws<FuncIngestConfigurationException>(() => new EncodingOptions { MaxJsonDepth = limit + 1 }.Validate());

        string deepest = new string('[', limit) + new string(']', limit);
        NdjsonLine rawLine = NdjsonLineParser.ParseRow(EncodeOne(Record("t", 0, 0, deepest), options))!;
        Assert.True(rawLine.StoredUnchanged, rawLine.Error);
        Assert.Equal(JsonValueKind.Array, rawLine.Value!["raw_data"]!.GetValueKind());

        string deepestObject = string.Concat(Enumerable.Repeat("{\"a\":", limit)) + "1" + new string('}', limit);
        var transform = new EncodingOptions { MaxJsonDepth = limit, Mode = RecordMode.Transform };
        NdjsonLine transformLine = NdjsonLineParser.ParseRow(EncodeOne(Record("t", 0, 0, deepestObject), transform))!;
        Assert.True(transformLine.StoredUnchanged, transformLine.Error);

        // One more level inside a raw line is its 128th container, which serde_json refuses.
        string tooDeepLine = "{\"raw_data\":" + new string('[', limit + 1) + new string(']', limit + 1) + "}";
        Assert.True(NdjsonLineParser.ParseRow(tooDeepLine)!.TooDeep);
    }

    [Fact]
    public void Random_records_give_lines_databend_loads_with_the_value_or_its_text()
    {
        var random = new Random(15);
        using var encoder = new NdjsonRecordEncoder(new EncodingOptions(), s_addTime);
        var output = new ArrayBufferWriter<byte>();
        int asText = 0;
        for (int n = 0; n < 3_000; n++)
        {
            string value = JsonSyntaxDatabendTests.RandomValue(random, 0);
            output.ResetWrittenCount();
            Assert.Equal(RejectReason.None, encoder.TryEncode(Record("t", 0, n, value), output, out _));
            NdjsonLine line = NdjsonLineParser.ParseRow(Encoding.UTF8.GetString(output.WrittenSpan))!;

            Assert.True(line.StoredUnchanged, $"{line.Error}: {value}");
            JsonNode? rawData = line.Value!["raw_data"];
            if (line.Value["record_metadata"]!["value_as_text"] is { } marker)
            {
                asText++;
                Assert.Equal(value, (string?)rawData);
                Assert.False(NdjsonLineParser.Parse(Encoding.UTF8.GetBytes(value), EncodingOptions.MaxJsonDepthLimit).StoredUnchanged, $"{marker}: {value}");
            }
            else
            {
                Assert.True(JsonNode.DeepEquals(JsonNode.Parse(value), rawData), value);
            }
        }

        Assert.InRange(asText, 300, 2_700);
    }

    [Theory]
    [InlineData("t", 0, 1L, "t", 0, 1L + (1L << 62))]
    [InlineData("t", 0, 1L, "t", 1 << 28, 1L)]
    [InlineData("t", 5, 1L, "t", 5 + (1 << 28), 1L + (1L << 62))]
    [InlineData("orders-eu", 0, 1L, "orders-us", 0, 1L)]
    public void Record_uuid_uses_the_full_topic_partition_and_offset(string topicA, int partitionA, long offsetA, string topicB, int partitionB, long offsetB)
    {
        // The first uuid kept 62 bits of the offset and 28 of the partition: these pairs collided.
        string a = Uuid(EncodeOne(Record(topicA, partitionA, offsetA, "{}"), new EncodingOptions()));
        string b = Uuid(EncodeOne(Record(topicB, partitionB, offsetB, "{}"), new EncodingOptions()));

        Assert.NotEqual(a, b);
    }

    [Theory]
    [InlineData("orders", 2, 41L)]
    [InlineData("app.events-v2_x", 0, long.MaxValue)]
    [InlineData("t", int.MaxValue, 0L)]
    public void Record_uuid_is_the_documented_xxh3_128_version_8_recipe_and_stable_across_restaging(string topic, int partition, long offset)
    {
        // docs/loading-and-staging.md: XXH3-128 (seed 0, canonical big-endian digest) of the topic's UTF-8 bytes, the
        // partition as 4 and the offset as 8 big-endian bytes; version 8, variant 10.
        byte[] topicBytes = Encoding.UTF8.GetBytes(topic);
        byte[] name = new byte[topicBytes.Length + 12];
        topicBytes.CopyTo(name, 0);
        BinaryPrimitives.WriteInt32BigEndian(name.AsSpan(topicBytes.Length), partition);
        BinaryPrimitives.WriteInt64BigEndian(name.AsSpan(topicBytes.Length + 4), offset);
        byte[] digest = XxHash128.Hash(name);
        digest[6] = (byte)(0x80 | (digest[6] & 0x0F));
        digest[8] = (byte)(0x80 | (digest[8] & 0x3F));
        string expected = Convert.ToHexStringLower(digest).Insert(20, "-").Insert(16, "-").Insert(12, "-").Insert(8, "-");

        string first = Uuid(EncodeOne(Record(topic, partition, offset, "{}"), new EncodingOptions()));

        // A re-staging: another encoder, another batch time, another value shape, after another topic.
        var output = new ArrayBufferWriter<byte>();
        using var encoder = new NdjsonRecordEncoder(new EncodingOptions(), s_addTime.AddDays(1));
        encoder.TryEncode(Record("other", 1, 1, "1"), output, out _);
        output.ResetWrittenCount();
        encoder.TryEncode(Record(topic, partition, offset, "not json"), output, out _);

        Assert.Equal(expected, first);
        Assert.Equal(expected, Uuid(Encoding.UTF8.GetString(output.WrittenSpan)));
    }

    [Fact]
    public void Tombstones_and_empty_values_are_marked_so_they_differ_from_json_null_and_the_empty_string()
    {
        JsonNode tombstone = JsonNode.Parse(EncodeOne(new IngestRecord("t", 0, 1, null, null), new EncodingOptions()))!;
        JsonNode jsonNull = JsonNode.Parse(EncodeOne(Record("t", 0, 2, "null"), new EncodingOptions()))!;
        JsonNode empty = JsonNode.Parse(EncodeOne(Record("t", 0, 3, ""), new EncodingOptions()))!;
        JsonNode jsonEmptyString = JsonNode.Parse(EncodeOne(Record("t", 0, 4, "\"\""), new EncodingOptions()))!;

        Assert.Null(tombstone["raw_data"]);
        Assert.Null(jsonNull["raw_data"]);
        Assert.True((bool)tombstone["record_metadata"]!["tombstone"]!);
        Assert.False(jsonNull["record_metadata"]!.AsObject().ContainsKey("tombstone"));

        Assert.Equal("", (string?)empty["raw_data"]);
        Assert.Equal("", (string?)jsonEmptyString["raw_data"]);
        Assert.Equal("empty", (string?)empty["record_metadata"]!["value_as_text"]);
        Assert.False(jsonEmptyString["record_metadata"]!.AsObject().ContainsKey("value_as_text"));
    }

    private static IngestRecord Record(string topic, int partition, long offset, string value) =>
        new(topic, partition, offset, null, Encoding.UTF8.GetBytes(value));

    private static string EncodeOne(IngestRecord record, EncodingOptions options)
    {
        var output = new ArrayBufferWriter<byte>();
        using var encoder = new NdjsonRecordEncoder(options, s_addTime);
        Assert.Equal(RejectReason.None, encoder.TryEncode(record, output, out string? detail));
        Assert.Null(detail);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static RejectReason Reject(IngestRecord record, EncodingOptions options)
    {
        using var encoder = new NdjsonRecordEncoder(options, s_addTime);
        return encoder.TryEncode(record, new ArrayBufferWriter<byte>(), out _);
    }

    private static string Uuid(string line) => (string)JsonNode.Parse(line)!["uuid"]!;
}
