using System.Buffers;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.Staging;

namespace FuncIngest.Internal;

/// <summary>One partition's share of a <see cref="StagingBatch"/>: its files, closed and open.</summary>
internal sealed class PreparedPartition(string topic, int partition) : IDisposable
{
    private ArrayBufferWriter<byte>? _scratch;

    public string Topic { get; } = topic;

    public int Partition { get; } = partition;

    public List<PreparedFile> Files { get; } = [];

    /// <summary>The highest offset added; a record at or below it is a duplicate.</summary>
    public long LastOffset { get; private set; } = -1;

    /// <summary>Records added, duplicates included: what counts against the batch's limits.</summary>
    public int Added { get; private set; }

    public long AddedBytes { get; private set; }

    /// <summary>Records delivered twice within the batch, skipped.</summary>
    public int Duplicates { get; private set; }

    public void Add(IngestRecord record, NdjsonRecordEncoder encoder, StagingOptions options, CompressorPool compressors)
    {
        Added++;
        AddedBytes += record.PayloadBytes;
        if (record.Offset <= LastOffset)
        {
            Duplicates++;
            return;
        }

        LastOffset = record.Offset;
        _scratch ??= new ArrayBufferWriter<byte>(PreparedFile.ScratchFlushBytes + 1024);
        PreparedFile? open = Files.Count > 0 && !Files[^1].IsClosed ? Files[^1] : null;
        if (open is not null && (open.Records >= options.MaxFileRecords || open.PayloadBytes + record.PayloadBytes > options.MaxFileBytes))
        {
            open.Close(_scratch);
            open = null;
        }

        if (open is null)
        {
            open = new PreparedFile(record.Offset, options.Compression, options.ZstdLevel, compressors);
            Files.Add(open);
        }

        open.Add(record, encoder, _scratch);
    }

    /// <summary>Closes the open file; nothing more is added.</summary>
    public void Finish()
    {
        if (Files.Count > 0 && !Files[^1].IsClosed)
        {
            Files[^1].Close(_scratch!);
        }

        _scratch = null;
    }

    public void Dispose()
    {
        foreach (PreparedFile file in Files)
        {
            file.Dispose();
        }

        Files.Clear();
        _scratch = null;
    }
}
