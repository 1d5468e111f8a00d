using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FuncIngest.Ndjson;
using FuncIngest.Records;

namespace FuncIngest.Benchmarks.Staging;

/// <summary>
/// Encode + compress, the staging hot path, on about 8 MB of JSON values per operation:
/// FuncIngest (NdjsonRecordEncoder + ChunkEncoder into zstd level 3), a naive baseline
/// (JsonSerializer round trip per record, string concatenation, GZip), and zstd alone on the
/// bytes FuncIngest produces (the floor); the encoder alone shows what encoding costs.
/// MB/s = ValueBytes x Records / mean time;
/// allocations per record = Allocated / Records.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class EncodeCompressBenchmarks
{
    private const long BytesPerOperation = 8_000_000;
    private static readonly DateTimeOffset s_addTime = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
    private List<IngestRecord> _records = [];
    private byte[] _encoded = [];

    /// <summary>Size of each JSON value.</summary>
    [Params(100, 1_000, 10_000)]
    public int ValueBytes { get; set; }

    /// <summary>Records per operation.</summary>
    public int Records => (int)(BytesPerOperation / ValueBytes);

    [GlobalSetup]
    public void Setup()
    {
        _records = [.. Enumerable.Range(0, Records).Select(i => new IngestRecord(
            "orders", 0, i, Encoding.UTF8.GetBytes("customer-" + (i % 1000)), Value(i, ValueBytes),
            s_addTime.AddMilliseconds(-i), RecordTimestampType.CreateTime))];

        using var encoder = new NdjsonRecordEncoder(new EncodingOptions(), s_addTime);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (IngestRecord record in _records)
        {
            encoder.TryEncode(record, buffer, out _);
        }

        _encoded = buffer.WrittenSpan.ToArray();
    }

    [Benchmark(Baseline = true, Description = "naive: JsonSerializer + string concat + GZip")]
    public long Naive()
    {
        var lines = new List<string>(_records.Count);
        foreach (IngestRecord record in _records)
        {
            JsonElement value = JsonSerializer.Deserialize<JsonElement>(record.Value!.Value.Span);
            string metadata = "{\"topic\":\"" + record.Topic + "\",\"partition\":" + record.Partition.ToString(CultureInfo.InvariantCulture)
                + ",\"offset\":" + record.Offset.ToString(CultureInfo.InvariantCulture) + ",\"key\":\"" + Encoding.UTF8.GetString(record.Key!.Value.Span)
                + "\",\"create_time\":\"" + record.Timestamp!.Value.ToString("O", CultureInfo.InvariantCulture) + "\"}";
            lines.Add("{\"uuid\":\"" + Guid.NewGuid() + "\",\"koffset\":" + record.Offset.ToString(CultureInfo.InvariantCulture)
                + ",\"kpartition\":" + record.Partition.ToString(CultureInfo.InvariantCulture) + ",\"record_metadata\":" + metadata
                + ",\"add_time\":\"" + s_addTime.ToString("O", CultureInfo.InvariantCulture) + "\",\"raw_data\":" + JsonSerializer.Serialize(value) + "}");
        }

        byte[] file = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
        var counter = new CountingStream();
        using (var gzip = new GZipStream(counter, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(file);
        }

        return counter.Length;
    }

    [Benchmark(Description = "FuncIngest: encoder + zstd")]
    public async Task<long> FuncIngestEncodeAndCompress()
    {
        var counter = new CountingStream();
        using var lineEncoder = new NdjsonRecordEncoder(new EncodingOptions(), s_addTime);
        var encoder = new ChunkEncoder(lineEncoder);
        await using (var zstd = new ZstdSharp.CompressionStream(counter, 3, leaveOpen: true))
        {
            await encoder.EncodeAsync(_records, 0, _records.Count, zstd, CancellationToken.None);
        }

        return counter.Length;
    }

    [Benchmark(Description = "floor: zstd alone on the same NDJSON")]
    public async Task<long> ZstdAlone()
    {
        var counter = new CountingStream();
        await using (var zstd = new ZstdSharp.CompressionStream(counter, 3, leaveOpen: true))
        {
            for (int offset = 0; offset < _encoded.Length; offset += ChunkEncoder.FlushThreshold)
            {
                await zstd.WriteAsync(_encoded.AsMemory(offset, Math.Min(ChunkEncoder.FlushThreshold, _encoded.Length - offset)));
            }
        }

        return counter.Length;
    }

    [Benchmark(Description = "encoder alone, no compression")]
    public async Task<long> EncodeOnly()
    {
        var counter = new CountingStream();
        using var lineEncoder = new NdjsonRecordEncoder(new EncodingOptions(), s_addTime);
        await new ChunkEncoder(lineEncoder).EncodeAsync(_records, 0, _records.Count, counter, CancellationToken.None);
        return counter.Length;
    }

    /// <summary>A JSON object of about <paramref name="size"/> bytes with a realistic mix of fields.</summary>
    private static byte[] Value(int i, int size)
    {
        string head = $"{{\"id\":{i},\"type\":\"order.created\",\"amount\":{i % 997}.25,\"paid\":{(i % 2 == 0 ? "true" : "false")},\"tags\":[\"a\",\"b\"],\"note\":\"";
        int pad = Math.Max(0, size - head.Length - 2);
        var text = new StringBuilder(head, size + 8);
        for (int j = 0; j < pad; j++)
        {
            text.Append((char)('a' + ((i + (j * 7)) % 26)));
        }

        return Encoding.UTF8.GetBytes(text.Append("\"}").ToString());
    }
}
