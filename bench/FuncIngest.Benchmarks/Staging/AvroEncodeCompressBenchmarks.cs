using System.Text;
using Avro;
using Avro.Generic;
using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.Schemas;
using FuncIngest.TestSupport.SchemaRegistry;

namespace FuncIngest.Benchmarks.Staging;

/// <summary>
/// Schema Registry Avro values beside the same records as JSON, through the staging hot path in
/// one run: JSON values (encoder + zstd, as <see cref="EncodeCompressBenchmarks"/>), Avro values
/// (schema ids resolved from the cache, Avro decoded to JSON, encoder + zstd), and the Avro path
/// without compression. The Avro values are made by Confluent's AvroSerializer against the test
/// registry on loopback; each record holds the same fields in both forms, and the JSON value is
/// about <see cref="ValueBytes"/> long (the Avro one is shorter). Records per operation are the
/// same for both paths, so mean times compare per record.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class AvroEncodeCompressBenchmarks
{
    private const long BytesPerOperation = 8_000_000;
    private const string Schema = """
        {"type":"record","name":"Order","fields":[
          {"name":"id","type":"long"},{"name":"type","type":"string"},{"name":"amount","type":"double"},
          {"name":"paid","type":"boolean"},{"name":"tags","type":{"type":"array","items":"string"}},{"name":"note","type":"string"}]}
        """;

    private static readonly DateTimeOffset s_addTime = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
    private readonly EncodingOptions _avro = new() { ValueFormat = PayloadFormat.Avro };
    private readonly List<IngestRecord> _json = [];
    private readonly List<IngestRecord> _avroRecords = [];
    private TestSchemaRegistry? _registry;
    private SchemaRegistrySchemas? _schemas;
    private int _schemaId;

    /// <summary>Size of each JSON value.</summary>
    [Params(100, 1_000)]
    public int ValueBytes { get; set; }

    /// <summary>Records per operation.</summary>
    public int Records => (int)(BytesPerOperation / ValueBytes);

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _registry = await TestSchemaRegistry.StartAsync();
        _schemas = SchemaRegistrySchemas.Create(_registry.Url);
        var schema = (RecordSchema)global::Avro.Schema.Parse(Schema);
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Url });
        var serializer = new AvroSerializer<GenericRecord>(client);
        for (int i = 0; i < Records; i++)
        {
            string head = $"{{\"id\":{i},\"type\":\"order.created\",\"amount\":{i % 997}.25,\"paid\":{(i % 2 == 0 ? "true" : "false")},\"tags\":[\"a\",\"b\"],\"note\":\"";
            string note = new([.. Enumerable.Range(0, Math.Max(0, ValueBytes - head.Length - 2)).Select(j => (char)('a' + ((i + (j * 7)) % 26)))]);
            var record = new GenericRecord(schema);
            record.Add("id", (long)i);
            record.Add("type", "order.created");
            record.Add("amount", (i % 997) + 0.25);
            record.Add("paid", i % 2 == 0);
            record.Add("tags", new object[] { "a", "b" });
            record.Add("note", note);
            byte[] avro = await serializer.SerializeAsync(record, new SerializationContext(MessageComponentType.Value, "orders"));
            byte[] key = Encoding.UTF8.GetBytes("customer-" + (i % 1000));
            _json.Add(new IngestRecord("orders", 0, i, key, Encoding.UTF8.GetBytes(head + note + "\"}"), s_addTime.AddMilliseconds(-i), RecordTimestampType.CreateTime));
            _avroRecords.Add(new IngestRecord("orders", 0, i, key, avro, s_addTime.AddMilliseconds(-i), RecordTimestampType.CreateTime));
        }

        _schemaId = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(_avroRecords[0].Value!.Value.Span[1..5]);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _schemas?.Dispose();
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }
    }

    [Benchmark(Baseline = true, Description = "JSON values: encoder + zstd")]
    public async Task<long> Json()
    {
        var counter = new CountingStream();
        using var lineEncoder = new NdjsonRecordEncoder(new EncodingOptions(), s_addTime);
        await using (var zstd = new ZstdSharp.CompressionStream(counter, 3, leaveOpen: true))
        {
            await new ChunkEncoder(lineEncoder).EncodeAsync(_json, 0, _json.Count, zstd, CancellationToken.None);
        }

        return counter.Length;
    }

    [Benchmark(Description = "Avro values: resolve ids (cached) + decode + encoder + zstd")]
    public async Task<long> AvroValues()
    {
        var counter = new CountingStream();
        using var lineEncoder = new NdjsonRecordEncoder(_avro, s_addTime) { Schemas = await _schemas!.ResolveAsync([_schemaId]) };
        await using (var zstd = new ZstdSharp.CompressionStream(counter, 3, leaveOpen: true))
        {
            await new ChunkEncoder(lineEncoder).EncodeAsync(_avroRecords, 0, _avroRecords.Count, zstd, CancellationToken.None);
        }

        return counter.Length;
    }

    [Benchmark(Description = "JSON values: encoder, no compression")]
    public async Task<long> JsonEncodeOnly()
    {
        var counter = new CountingStream();
        using var lineEncoder = new NdjsonRecordEncoder(new EncodingOptions(), s_addTime);
        await new ChunkEncoder(lineEncoder).EncodeAsync(_json, 0, _json.Count, counter, CancellationToken.None);
        return counter.Length;
    }

    [Benchmark(Description = "Avro values: decode + encoder, no compression")]
    public async Task<long> AvroEncodeOnly()
    {
        var counter = new CountingStream();
        using var lineEncoder = new NdjsonRecordEncoder(_avro, s_addTime) { Schemas = await _schemas!.ResolveAsync([_schemaId]) };
        await new ChunkEncoder(lineEncoder).EncodeAsync(_avroRecords, 0, _avroRecords.Count, counter, CancellationToken.None);
        return counter.Length;
    }
}
