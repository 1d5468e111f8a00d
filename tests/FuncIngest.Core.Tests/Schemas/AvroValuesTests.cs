using System.Buffers;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;
using Avro;
using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.Schemas;
using FuncIngest.TestSupport.SchemaRegistry;

namespace FuncIngest.Core.Tests.Schemas;

/// <summary>
/// Values produced by Confluent's own AvroSerializer (the real wire format) against a registry on
/// loopback, decoded by the encoder by the rules of docs/schema-registry.md.
/// </summary>
public sealed class AvroValuesTests : IAsyncLifetime
{
    private const string OrderSchema = """
        {"type":"record","name":"Order","namespace":"shop","fields":[
          {"name":"id","type":"long"},
          {"name":"qty","type":"int"},
          {"name":"ratio","type":"float"},
          {"name":"score","type":"double"},
          {"name":"nan","type":"double"},
          {"name":"paid","type":"boolean"},
          {"name":"note","type":"string"},
          {"name":"blob","type":"bytes"},
          {"name":"tag","type":{"type":"fixed","name":"Tag","size":3}},
          {"name":"color","type":{"type":"enum","name":"Color","symbols":["RED","GREEN"]}},
          {"name":"maybe","type":["null","string"]},
          {"name":"nothing","type":["null","string"]},
          {"name":"either","type":["int","string"]},
          {"name":"items","type":{"type":"array","items":"int"}},
          {"name":"attrs","type":{"type":"map","values":"long"}},
          {"name":"address","type":{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}},
          {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":38,"scale":4}},
          {"name":"small","type":{"type":"bytes","logicalType":"decimal","precision":5,"scale":3}},
          {"name":"huge","type":{"type":"fixed","name":"Huge","size":20,"logicalType":"decimal","precision":47,"scale":2}},
          {"name":"day","type":{"type":"int","logicalType":"date"}},
          {"name":"at_ms","type":{"type":"long","logicalType":"timestamp-millis"}},
          {"name":"at_us","type":{"type":"long","logicalType":"timestamp-micros"}},
          {"name":"before_epoch","type":{"type":"long","logicalType":"timestamp-millis"}},
          {"name":"clock_ms","type":{"type":"int","logicalType":"time-millis"}},
          {"name":"clock_us","type":{"type":"long","logicalType":"time-micros"}},
          {"name":"ref","type":{"type":"string","logicalType":"uuid"}}
        ]}
        """;

    private static readonly DateTimeOffset s_addTime = new(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);
    private TestSchemaRegistry _registry = null!;
    private SchemaRegistrySchemas _schemas = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _registry = await TestSchemaRegistry.StartAsync();
        _schemas = SchemaRegistrySchemas.Create(_registry.Url, maxRetries: 2, requestTimeoutMs: 5_000);
    }

    public async ValueTask DisposeAsync()
    {
        _schemas.Dispose();
        await _registry.DisposeAsync();
    }

    [Fact]
    public async Task Raw_mode_raw_data_is_the_decoded_record_and_metadata_names_the_schema()
    {
        byte[] value = await SerializeOrderAsync();
        int id = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(value.AsSpan(1, 4));

        (RejectReason reason, string line, string? detail) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.Avro }, Record(value));

        Assert.True(reason == RejectReason.None, detail);
        JsonNode row = JsonNode.Parse(line)!;
        Assert.Equal(id, (int)row["record_metadata"]!["schema_id"]!);
        Assert.Equal("avro", (string?)row["record_metadata"]!["value_format"]);
        Assert.Null(row["record_metadata"]!["value_encoding"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ExpectedOrderJson), row["raw_data"]), row["raw_data"]!.ToJsonString());
    }

    [Fact]
    public async Task Transform_mode_line_is_the_decoded_record_whose_fields_map_to_columns()
    {
        byte[] value = await SerializeOrderAsync();

        (RejectReason reason, string line, string? detail) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.Avro, Mode = RecordMode.Transform }, Record(value));

        Assert.True(reason == RejectReason.None, detail);
        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ExpectedOrderJson), JsonNode.Parse(line)), line);
    }

    [Fact]
    public async Task Auto_decodes_a_value_with_the_header_and_reads_one_without_it_as_json_as_before()
    {
        byte[] avro = await SerializeOrderAsync();
        var auto = new EncodingOptions { ValueFormat = PayloadFormat.Auto };

        (RejectReason avroReason, string avroLine, _) = await EncodeAsync(auto, Record(avro));
        (RejectReason jsonReason, string jsonLine, _) = await EncodeAsync(auto, Record("""{"plain":true}"""u8.ToArray()));
        (_, string beforeLine, _) = await EncodeAsync(new EncodingOptions(), Record("""{"plain":true}"""u8.ToArray()));

        Assert.Equal(RejectReason.None, avroReason);
        Assert.Equal(12345678901L, (long)JsonNode.Parse(avroLine)!["raw_data"]!["id"]!);
        Assert.Equal(RejectReason.None, jsonReason);
        Assert.Equal(beforeLine, jsonLine);
    }

    [Fact]
    public async Task Keys_decode_separately_into_record_metadata()
    {
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Url });
        byte[] key = await new AvroSerializer<string>(client).SerializeAsync("order-7", new SerializationContext(MessageComponentType.Key, "orders"));
        byte[] value = await SerializeOrderAsync();
        var record = new IngestRecord("orders", 0, 5, key, value);

        (RejectReason reason, string line, string? detail) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.Avro, KeyFormat = PayloadFormat.Avro }, record);
        (_, string keyAsBytes, _) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.Avro }, record);

        Assert.True(reason == RejectReason.None, detail);
        JsonNode metadata = JsonNode.Parse(line)!["record_metadata"]!;
        Assert.Equal("order-7", (string?)metadata["key"]);
        Assert.Equal("avro", (string?)metadata["key_format"]);
        Assert.NotNull(metadata["key_schema_id"]);
        Assert.Null(JsonNode.Parse(keyAsBytes)!["record_metadata"]!["key_schema_id"]);
        Assert.NotEqual("order-7", (string?)JsonNode.Parse(keyAsBytes)!["record_metadata"]!["key"]);
    }

    [Fact]
    public async Task An_unknown_schema_id_is_a_dead_letter_naming_the_id()
    {
        byte[] value = [0, 0, 0, 0x03, 0xE7, 2, 4];

        (RejectReason reason, string line, string? detail) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.Avro }, Record(value));

        Assert.Equal(RejectReason.UnknownSchemaId, reason);
        Assert.Empty(line);
        Assert.Contains("999", detail, StringComparison.Ordinal);
        Assert.Contains("GET /schemas/ids/999", _registry.Requests);
    }

    [Fact]
    public async Task Bytes_that_do_not_decode_with_their_schema_are_dead_letters()
    {
        byte[] value = await SerializeOrderAsync();
        var avro = new EncodingOptions { ValueFormat = PayloadFormat.Avro };

        (RejectReason truncated, _, string? truncatedDetail) = await EncodeAsync(avro, Record(value[..^3]));
        (RejectReason trailing, _, string? trailingDetail) = await EncodeAsync(avro, Record([.. value, 0x00]));

        Assert.Equal(RejectReason.UndecodableValue, truncated);
        Assert.Matches("does not fit|ends at byte", truncatedDetail);
        Assert.Equal(RejectReason.UndecodableValue, trailing);
        Assert.Contains("1 bytes left", trailingDetail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_without_the_header_or_with_a_schema_of_another_type_is_a_format_mismatch()
    {
        int jsonSchemaId = _registry.Register("other-value", """{"type":"object"}""", "JSON");
        byte[] jsonSchemaValue = [0, .. BigEndian(jsonSchemaId), .. """{"a":1}"""u8.ToArray()];
        var avro = new EncodingOptions { ValueFormat = PayloadFormat.Avro };

        (RejectReason plain, _, string? plainDetail) = await EncodeAsync(avro, Record("""{"a":1}"""u8.ToArray()));
        (RejectReason other, _, string? otherDetail) = await EncodeAsync(avro, Record(jsonSchemaValue));
        (RejectReason asJsonSchema, string line, _) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.JsonSchema }, Record(jsonSchemaValue));

        Assert.Equal(RejectReason.FormatMismatch, plain);
        Assert.Contains("no Schema Registry header", plainDetail, StringComparison.Ordinal);
        Assert.Equal(RejectReason.FormatMismatch, other);
        Assert.Contains("JSON Schema", otherDetail, StringComparison.Ordinal);
        Assert.Equal(RejectReason.None, asJsonSchema);
        Assert.Equal(1, (int)JsonNode.Parse(line)!["raw_data"]!["a"]!);
    }

    [Fact]
    public async Task Protobuf_values_are_not_decoded_raw_mode_keeps_their_exact_bytes_and_transform_mode_dead_letters_them()
    {
        int id = _registry.Register("events-value", "syntax = \"proto3\"; message M { int32 a = 1; }", "PROTOBUF");
        byte[] value = [0, .. BigEndian(id), 0, 0x08, 0x96, 0x01];

        (RejectReason rawReason, string raw, _) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.Auto }, Record(value));
        (RejectReason strict, _, string? strictDetail) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.Auto, StrictJson = true }, Record(value));
        (RejectReason transform, _, string? detail) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.Auto, Mode = RecordMode.Transform }, Record(value));

        Assert.Equal(RejectReason.None, rawReason);
        JsonNode row = JsonNode.Parse(raw)!;
        Assert.Equal(Convert.ToBase64String(value), (string?)row["raw_data"]);
        Assert.Equal("base64", (string?)row["record_metadata"]!["value_encoding"]);
        Assert.Equal("protobuf", (string?)row["record_metadata"]!["value_format"]);
        Assert.Equal(id, (int)row["record_metadata"]!["schema_id"]!);
        Assert.Equal(RejectReason.FormatMismatch, strict);
        Assert.Contains("Protobuf", strictDetail, StringComparison.Ordinal);
        Assert.Equal(RejectReason.FormatMismatch, transform);
        Assert.Contains("Protobuf", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_map_written_with_a_key_twice_follows_the_json_rules_for_duplicate_keys()
    {
        int id = _registry.Register("maps-value", """{"type":"record","name":"R","fields":[{"name":"m","type":{"type":"map","values":"long"}}]}""");
        // One block of two entries, both keyed "a" (zig-zag: 2 -> 0x04, length 1 -> 0x02), then the end block.
        byte[] value = [0, .. BigEndian(id), 0x04, 0x02, (byte)'a', 0x02, 0x02, (byte)'a', 0x04, 0x00];

        (RejectReason rawReason, string raw, _) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.Avro }, Record(value));
        (RejectReason transform, _, _) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.Avro, Mode = RecordMode.Transform }, Record(value));

        Assert.Equal(RejectReason.None, rawReason);
        JsonNode row = JsonNode.Parse(raw)!;
        Assert.Equal("duplicate_key", (string?)row["record_metadata"]!["value_as_text"]);
        Assert.Equal("""{"m":{"a":1,"a":2}}""", (string?)row["raw_data"]);
        Assert.Equal(RejectReason.DuplicateKey, transform);
    }

    [Fact]
    public async Task A_registry_answering_5xx_fails_the_batch_after_the_clients_retries_and_is_asked_again_later()
    {
        byte[] value = await SerializeOrderAsync();
        int id = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(value.AsSpan(1, 4));
        _registry.FailWith(503);
        int before = _registry.Requests.Count;

        var e = await Assert.ThrowsAsync<SchemaRegistryUnavailableException>(() => _schemas.ResolveAsync([id], Ct));

        Assert.Contains("503", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, _registry.Requests.Count - before);
        _registry.FailWith(0);
        SchemaSet resolved = await _schemas.ResolveAsync([id], Ct);
        Assert.True(resolved.TryGet(id, out _));
    }

    [Fact]
    public async Task An_unreachable_registry_or_a_404_that_is_not_the_registrys_fails_the_batch_rather_than_dead_lettering()
    {
        using var unreachable = SchemaRegistrySchemas.Create("http://127.0.0.1:1", maxRetries: 1, requestTimeoutMs: 2_000);
        using var wrongPath = SchemaRegistrySchemas.Create(_registry.Url + "/not-the-registry", maxRetries: 1);

        await Assert.ThrowsAsync<SchemaRegistryUnavailableException>(() => unreachable.ResolveAsync([1], Ct));
        await Assert.ThrowsAsync<SchemaRegistryUnavailableException>(() => wrongPath.ResolveAsync([1], Ct));
    }

    [Fact]
    public async Task Basic_auth_credentials_are_sent_as_confluent_cloud_expects_and_wrong_ones_fail_the_batch()
    {
        byte[] value = await SerializeOrderAsync();
        int id = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(value.AsSpan(1, 4));
        _registry.RequireBasicAuth("API_KEY", "s3cret");
        using var right = SchemaRegistrySchemas.Create(_registry.Url, "API_KEY", "s3cret", maxRetries: 1);
        using var wrong = SchemaRegistrySchemas.Create(_registry.Url, "API_KEY", "nope", maxRetries: 1);

        Assert.True((await right.ResolveAsync([id], Ct)).TryGet(id, out _));
        Assert.Equal("Basic " + Convert.ToBase64String("API_KEY:s3cret"u8.ToArray()), _registry.LastAuthorization);
        await Assert.ThrowsAsync<SchemaRegistryUnavailableException>(() => wrong.ResolveAsync([id], Ct));
    }

    [Fact]
    public async Task Schemas_are_asked_once_per_id()
    {
        byte[] value = await SerializeOrderAsync();
        int id = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(value.AsSpan(1, 4));

        await _schemas.ResolveAsync([id, id], Ct);
        await _schemas.ResolveAsync([id], Ct);

        Assert.Single(_registry.Requests, r => r.StartsWith($"GET /schemas/ids/{id}", StringComparison.Ordinal));
    }

    private const string ExpectedOrderJson = """
        {"id":12345678901,"qty":-3,"ratio":0.1,"score":2.5E-10,"nan":"NaN","paid":true,"note":"héllo \"😀\"\n",
         "blob":"AP8Q","tag":"YWJj","color":"GREEN","maybe":"m","nothing":null,"either":"two",
         "items":[1,-2,3],"attrs":{"a":1,"b":-9007199254740993},"address":{"city":"Zürich"},
         "price":"-12345678901234567890.1234","small":"0.042","huge":"-1208925819614629174706176.00",
         "day":"2024-02-29","at_ms":"2024-05-06T07:08:09.123Z","at_us":"2024-05-06T07:08:09.123456Z",
         "before_epoch":"1969-12-31T23:59:59.999Z","clock_ms":"13:14:15.016","clock_us":"23:59:59.999999",
         "ref":"0f8fad5b-d9cb-469f-a165-70867728950e"}
        """;

    private async Task<byte[]> SerializeOrderAsync()
    {
        var schema = (RecordSchema)Avro.Schema.Parse(OrderSchema);
        var order = new GenericRecord(schema);
        order.Add("id", 12345678901L);
        order.Add("qty", -3);
        order.Add("ratio", 0.1f);
        order.Add("score", 2.5e-10);
        order.Add("nan", double.NaN);
        order.Add("paid", true);
        order.Add("note", "héllo \"😀\"\n");
        order.Add("blob", new byte[] { 0x00, 0xFF, 0x10 });
        order.Add("tag", new GenericFixed((FixedSchema)schema["tag"].Schema, "abc"u8.ToArray()));
        order.Add("color", new GenericEnum((EnumSchema)schema["color"].Schema, "GREEN"));
        order.Add("maybe", "m");
        order.Add("nothing", null);
        order.Add("either", "two");
        order.Add("items", new object[] { 1, -2, 3 });
        order.Add("attrs", new Dictionary<string, object> { ["a"] = 1L, ["b"] = -9007199254740993L });
        var address = new GenericRecord((RecordSchema)schema["address"].Schema);
        address.Add("city", "Zürich");
        order.Add("address", address);
        order.Add("price", new AvroDecimal(BigInteger.Parse("-123456789012345678901234", System.Globalization.CultureInfo.InvariantCulture), 4));
        order.Add("small", new AvroDecimal(new BigInteger(42), 3));
        // -2^80 needs 11 bytes; in a 20-byte fixed it is sign-extended.
        order.Add("huge", new AvroDecimal(-BigInteger.Pow(2, 80) * 100, 2));
        order.Add("day", new DateTime(2024, 2, 29, 0, 0, 0, DateTimeKind.Utc));
        order.Add("at_ms", new DateTime(2024, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc));
        order.Add("at_us", new DateTime(2024, 5, 6, 7, 8, 9, 123, DateTimeKind.Utc).AddTicks(4560));
        order.Add("before_epoch", DateTime.UnixEpoch.AddMilliseconds(-1));
        order.Add("clock_ms", new TimeSpan(0, 13, 14, 15, 16));
        order.Add("clock_us", TimeSpan.FromDays(1) - TimeSpan.FromTicks(10));
        order.Add("ref", Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"));

        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Url });
        return await new AvroSerializer<GenericRecord>(client).SerializeAsync(order, new SerializationContext(MessageComponentType.Value, "orders"));
    }

    private async Task<(RejectReason Reason, string Line, string? Detail)> EncodeAsync(EncodingOptions options, IngestRecord record)
    {
        var ids = new HashSet<int>();
        NdjsonRecordEncoder.CollectSchemaIds(options, record, ids);
        using var encoder = new NdjsonRecordEncoder(options, s_addTime) { Schemas = await _schemas.ResolveAsync(ids, Ct) };
        var output = new ArrayBufferWriter<byte>();
        RejectReason reason = encoder.TryEncode(record, output, out string? detail);
        return (reason, Encoding.UTF8.GetString(output.WrittenSpan), detail);
    }

    private static IngestRecord Record(byte[] value) => new("orders", 0, 7, null, value);

    private static byte[] BigEndian(int id)
    {
        byte[] bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes, id);
        return bytes;
    }
}
