using System.Buffers;
using System.Runtime.CompilerServices;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.Staging;

namespace FuncIngest.Internal;

/// <summary>One partition's share of a <see cref="StagingBatch"/>: its files, closed and open.</summary>
internal sealed class PreparedPartition(string topic, int partition) : IDisposable
{
    private readonly OffsetRanges _added = new();
    private ArrayBufferWriter<byte>? _scratch;

    public string Topic { get; } = topic;

    public int Partition { get; } = partition;

    public List<PreparedFile> Files { get; } = [];

    /// <summary>The highest offset added; a record at or below it is a repeat (skipped) or out of order (refused).</summary>
    public long LastOffset => _added.Ranges.Count > 0 ? _added.Ranges[^1].Last : -1;

    /// <summary>Records added, duplicates included: what counts against the batch's limits.</summary>
    public int Added { get; private set; }

    public long AddedBytes { get; private set; }

    /// <summary>Records delivered twice within the batch, skipped.</summary>
    public int Duplicates { get; private set; }

    /// <summary>Encodes a record into the partition's open file, cutting a new file at the limits.</summary>
    /// <param name="record">The record, at an offset above every earlier one of the partition, or a repeat of one.</param>
    /// <param name="encoder">The batch's encoder.</param>
    /// <param name="options">File limits and compression.</param>
    /// <param name="compressors">Where compressors come from.</param>
    /// <param name="compressorsLeft">How many more files of the batch may compress as they grow (<see cref="PreparedFile"/>).</param>
    /// <exception cref="InvalidOperationException">The offset is below one added before and was not added itself: files are cut in offset order.</exception>
    public void Add(IngestRecord record, NdjsonRecordEncoder encoder, StagingOptions options, CompressorPool compressors, StrongBox<int> compressorsLeft)
    {
        if (record.Offset <= LastOffset)
        {
            if (!_added.Contains(record.Offset))
            {
                // A consumer that never seeks delivers a partition's offsets in order; a lower, new
                // offset would need a file that overlaps one already cut. Nothing of it is staged or
                // committed: the caller fails the batch and the records are read again.
                throw new InvalidOperationException(
                    $"{Topic}[{Partition}] offset {record.Offset} arrived after offset {LastOffset}; a staging batch takes each partition's records in offset order");
            }

            Added++;
            AddedBytes += record.PayloadBytes;
            Duplicates++;
            return;
        }

        Added++;
        AddedBytes += record.PayloadBytes;
        _added.Add(record.Offset);
        _scratch ??= new ArrayBufferWriter<byte>(PreparedFile.ScratchFlushBytes + 1024);
        PreparedFile? open = Files.Count > 0 && !Files[^1].IsClosed ? Files[^1] : null;
        if (open is not null && (open.Records >= options.MaxFileRecords || open.PayloadBytes + record.PayloadBytes > options.MaxFileBytes))
        {
            open.Close(_scratch);
            open = null;
        }

        if (open is null)
        {
            open = new PreparedFile(record.Offset, options.Compression, options.ZstdLevel, compressors, compressorsLeft);
            Files.Add(open);
        }

        open.Add(record, encoder, _scratch);
        if (_scratch.WrittenCount == 0 && _scratch.Capacity > 4 * PreparedFile.ScratchFlushBytes)
        {
            // A huge record grew the scratch; do not keep that memory for the rest of the batch.
            _scratch = new ArrayBufferWriter<byte>(PreparedFile.ScratchFlushBytes + 1024);
        }
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
