using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Avro.IO;
using FuncIngest.Schemas;

namespace FuncIngest.Core.Tests.Schemas;

/// <summary>The Avro-to-JSON rules on hand-made datums: edges the serializer test does not reach.</summary>
public sealed class AvroJsonWriterTests
{
    [Theory]
    [InlineData("timestamp-millis", -62_135_596_800_000L, "\"0001-01-01T00:00:00.000Z\"")]
    [InlineData("timestamp-micros", -1L, "\"1969-12-31T23:59:59.999999Z\"")]
    [InlineData("timestamp-nanos", 1_700_000_000_123_456_789L, "\"2023-11-14T22:13:20.123456789Z\"")]
    [InlineData("local-timestamp-millis", 1_700_000_000_123L, "\"2023-11-14T22:13:20.123\"")]
    [InlineData("local-timestamp-micros", 0L, "\"1970-01-01T00:00:00.000000\"")]
    public void Timestamps_are_iso_8601_strings_with_the_units_fraction_digits(string logicalType, long value, string expected)
    {
        Assert.Equal(expected, Write($$"""{"type":"long","logicalType":"{{logicalType}}"}""", e => e.WriteLong(value)));
    }

    [Fact]
    public void A_timestamp_outside_years_1_to_9999_does_not_decode()
    {
        var e = Assert.Throws<AvroDecodeException>(() => Write("""{"type":"long","logicalType":"timestamp-millis"}""", e => e.WriteLong(253_402_300_800_000L)));
        Assert.Contains("outside", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x80 }, 0, "\"-128\"")]
    [InlineData(new byte[] { 0xFF, 0xFF }, 2, "\"-0.01\"")]
    [InlineData(new byte[] { 0x01, 0x00 }, 5, "\"0.00256\"")]
    [InlineData(new byte[] { }, 2, "\"0.00\"")]
    [InlineData(new byte[] { 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 0, "\"-170141183460469231731687303715884105728\"")]
    [InlineData(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 3, "\"43556142965880123323311949751266331066.367\"")]
    public void Decimals_are_exact_strings_from_the_unscaled_twos_complement_and_the_scale(byte[] unscaled, int scale, string expected)
    {
        Assert.Equal(expected, Write($$"""{"type":"bytes","logicalType":"decimal","precision":76,"scale":{{scale}}}""", e => e.WriteBytes(unscaled)));
    }

    [Fact]
    public void Unknown_logical_types_are_read_as_their_base_type()
    {
        Assert.Equal("42", Write("""{"type":"long","logicalType":"event-time"}""", e => e.WriteLong(42)));
    }

    [Fact]
    public void Date_and_duration()
    {
        Assert.Equal("\"1969-12-31\"", Write("""{"type":"int","logicalType":"date"}""", e => e.WriteInt(-1)));
        Assert.Equal("""{"months":1,"days":2,"milliseconds":3}""", Write("""{"type":"fixed","name":"D","size":12,"logicalType":"duration"}""", e => e.WriteFixed([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0])));
    }

    [Fact]
    public void Array_blocks_with_a_negative_count_carry_their_size_and_are_read()
    {
        string json = Write("""{"type":"array","items":"string"}""", e =>
        {
            e.WriteLong(-2);
            e.WriteLong(4);
            e.WriteString("a");
            e.WriteString("b");
            e.WriteLong(1);
            e.WriteString("c");
            e.WriteLong(0);
        });
        Assert.Equal("""["a","b","c"]""", json);
    }

    [Fact]
    public void Infinities_are_strings_and_floats_keep_their_shortest_text()
    {
        Assert.Equal("""["-Infinity",1.1]""", Write("""{"type":"array","items":"float"}""", e =>
        {
            e.WriteLong(2);
            e.WriteFloat(float.NegativeInfinity);
            e.WriteFloat(1.1f);
            e.WriteLong(0);
        }));
    }

    [Fact]
    public void Corrupt_datums_fail_with_a_reason_and_never_read_past_the_end()
    {
        Assert.Contains("union branch 5", Assert.Throws<AvroDecodeException>(() => Write("""["null","int"]""", e => e.WriteUnionIndex(5))).Message, StringComparison.Ordinal);
        Assert.Contains("enum index 2", Assert.Throws<AvroDecodeException>(() => Write("""{"type":"enum","name":"E","symbols":["A","B"]}""", e => e.WriteEnum(2))).Message, StringComparison.Ordinal);
        Assert.Contains("not UTF-8", Assert.Throws<AvroDecodeException>(() => Write("\"string\"", e => e.WriteBytes([0xC3, 0x28]))).Message, StringComparison.Ordinal);
        Assert.Contains("does not fit", Assert.Throws<AvroDecodeException>(() => Write("\"bytes\"", e => e.WriteLong(1_000_000))).Message, StringComparison.Ordinal);
        Assert.Contains("longer than", Assert.Throws<AvroDecodeException>(() => Write("""{"type":"array","items":"int"}""", e => e.WriteLong(1_000_000))).Message, StringComparison.Ordinal);
        Assert.Contains("not 0 or 1", Assert.Throws<AvroDecodeException>(() => Write("\"boolean\"", e => e.WriteFixed([2]))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recursive_schema_decodes_until_the_depth_limit_then_fails_as_too_deep()
    {
        const string list = """{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}""";
        void Chain(BinaryEncoder e, int length)
        {
            for (int i = 0; i < length; i++)
            {
                e.WriteInt(i);
                e.WriteUnionIndex(i == length - 1 ? 0 : 1);
            }
        }

        Assert.Equal("""{"v":0,"next":{"v":1,"next":null}}""", Write(list, e => Chain(e, 2)));
        Assert.NotNull(JsonNode.Parse(Write(list, e => Chain(e, 64), maxDepth: 64)));
        Assert.True(Assert.Throws<AvroDecodeException>(() => Write(list, e => Chain(e, 65), maxDepth: 64)).TooDeep);
    }

    [Fact]
    public void Uuid_on_fixed_is_refused_by_apache_avro_so_such_a_schema_does_not_parse()
    {
        // Avro 1.12's specification allows it; Apache.Avro 1.12.2's Uuid.ValidateSchema does not.
        // SchemaRegistrySchemas then keeps the parse error and the values become UndecodableValue.
        Assert.Throws<Avro.AvroTypeException>(() => AvroNode.Parse("""{"type":"fixed","name":"U","size":16,"logicalType":"uuid"}"""));
    }

    internal static string Write(string schema, Action<BinaryEncoder> datum, int maxDepth = 64)
    {
        using var stream = new MemoryStream();
        datum(new BinaryEncoder(stream));
        var output = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
        AvroJsonWriter.Write(stream.ToArray(), AvroNode.Parse(schema), writer, maxDepth);
        writer.Flush();
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
