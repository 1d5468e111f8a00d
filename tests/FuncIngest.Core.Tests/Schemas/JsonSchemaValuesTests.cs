using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.Schemas;
using FuncIngest.TestSupport.SchemaRegistry;

namespace FuncIngest.Core.Tests.Schemas;

/// <summary>Values produced by Confluent's own JsonSerializer: the header, then the JSON text, which lands as it is.</summary>
public sealed class JsonSchemaValuesTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_addTime = new(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero);
    private TestSchemaRegistry _registry = null!;
    private SchemaRegistrySchemas _schemas = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _registry = await TestSchemaRegistry.StartAsync();
        _schemas = SchemaRegistrySchemas.Create(_registry.Url, maxRetries: 1);
    }

    public async ValueTask DisposeAsync()
    {
        _schemas.Dispose();
        await _registry.DisposeAsync();
    }

    [Fact]
    public async Task Raw_and_transform_mode_store_the_json_after_the_header()
    {
        byte[] value = await SerializeAsync(new Payment { Id = 7, Amount = 12.5m, Note = "ü" });
        Assert.Equal(0, value[0]);

        (RejectReason rawReason, string raw, string? rawDetail) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.JsonSchema }, value);
        (RejectReason autoReason, string auto, _) = await EncodeAsync(new EncodingOptions { ValueFormat = PayloadFormat.Auto, Mode = RecordMode.Transform }, value);

        Assert.True(rawReason == RejectReason.None, rawDetail);
        JsonNode row = JsonNode.Parse(raw)!;
        Assert.Equal("json_schema", (string?)row["record_metadata"]!["value_format"]);
        Assert.Equal(7, (int)row["raw_data"]!["Id"]!);
        Assert.Equal(12.5m, (decimal)row["raw_data"]!["Amount"]!);
        Assert.Equal(RejectReason.None, autoReason);
        Assert.Equal(Encoding.UTF8.GetString(value.AsSpan(5)) + "\n", auto);
    }

    [Fact]
    public async Task A_payload_that_is_not_json_does_not_decode_and_an_array_is_not_a_row()
    {
        byte[] valid = await SerializeAsync(new Payment { Id = 1 });
        byte[] broken = [.. valid[..5], .. "{\"Id\":"u8.ToArray()];
        var transform = new EncodingOptions { ValueFormat = PayloadFormat.JsonSchema, Mode = RecordMode.Transform };

        (RejectReason brokenReason, _, string? detail) = await EncodeAsync(transform, broken);
        (RejectReason arrayReason, _, _) = await EncodeAsync(transform, [.. valid[..5], .. "[1,2]"u8.ToArray()]);

        Assert.Equal(RejectReason.UndecodableValue, brokenReason);
        Assert.Contains("not valid JSON", detail, StringComparison.Ordinal);
        Assert.Equal(RejectReason.NotJsonObject, arrayReason);
    }

    private async Task<byte[]> SerializeAsync(Payment payment)
    {
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Url });
        return await new JsonSerializer<Payment>(client).SerializeAsync(payment, new SerializationContext(MessageComponentType.Value, "payments"));
    }

    private async Task<(RejectReason Reason, string Line, string? Detail)> EncodeAsync(EncodingOptions options, byte[] value)
    {
        var record = new IngestRecord("payments", 0, 1, null, value);
        var ids = new HashSet<int>();
        NdjsonRecordEncoder.CollectSchemaIds(options, record, ids);
        using var encoder = new NdjsonRecordEncoder(options, s_addTime) { Schemas = await _schemas.ResolveAsync(ids, Ct) };
        var output = new ArrayBufferWriter<byte>();
        RejectReason reason = encoder.TryEncode(record, output, out string? detail);
        return (reason, Encoding.UTF8.GetString(output.WrittenSpan), detail);
    }

    public sealed class Payment
    {
        public int Id { get; set; }

        public decimal Amount { get; set; }

        public string? Note { get; set; }
    }
}
