using System.Buffers;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.Staging;

namespace FuncIngest.Internal;

/// <summary>
/// A staged file encoded and compressed as its records arrived, waiting for its batch to be
/// staged: the compressed bytes, which offsets became lines, and the rejected records (kept whole
/// for their dead letters). Its name is known only once it is closed: it carries the last offset.
/// </summary>
internal sealed class PreparedFile : IDisposable
{
    // Lines gather here and go to the compressor in pieces of this size: one call per record
    // would cost the compressor's per-call overhead for every ~300-byte line.
    internal const int ScratchFlushBytes = 16 * 1024;

    private readonly ZstdSharp.Compressor? _compressor;
    private readonly CompressorPool? _pool;
    private Stream? _writer;
    private bool _returned;

    public PreparedFile(long firstOffset, StageCompression compression, int zstdLevel, CompressorPool pool)
    {
        FirstOffset = firstOffset;
        LastOffset = firstOffset;
        if (compression == StageCompression.Zstd)
        {
            _pool = pool;
            _compressor = pool.Rent();
            _writer = new ZstdSharp.CompressionStream(Content, _compressor, bufferSize: ScratchFlushBytes, preserveCompressor: true, leaveOpen: true);
        }
        else
        {
            _writer = StageFiles.Compress(Content, compression, zstdLevel);
        }
    }

    public long FirstOffset { get; }

    /// <summary>The last offset in the file, line or rejected record: the name's last offset.</summary>
    public long LastOffset { get; private set; }

    /// <summary>Lines and rejected records.</summary>
    public int Records { get; private set; }

    /// <summary>Payload bytes of lines and rejected records: what <see cref="StagingOptions.MaxFileBytes"/> limits.</summary>
    public long PayloadBytes { get; private set; }

    public int Lines { get; private set; }

    /// <summary>Payload bytes of the records that became lines.</summary>
    public long BytesIn { get; private set; }

    public OffsetRanges LineOffsets { get; } = new();

    public List<(IngestRecord Record, RejectReason Reason, string? Detail)> Rejects { get; } = [];

    /// <summary>The compressed file, complete once <see cref="Close"/> has run.</summary>
    public SegmentBufferStream Content { get; } = new();

    public bool IsClosed => _writer is null;

    /// <summary>Encodes <paramref name="record"/> into <paramref name="scratch"/> (the partition's pending lines), or keeps it as a reject.</summary>
    public void Add(IngestRecord record, NdjsonRecordEncoder encoder, ArrayBufferWriter<byte> scratch)
    {
        RejectReason reason = encoder.TryEncode(record, scratch, out string? detail);
        if (reason == RejectReason.None)
        {
            LineOffsets.Add(record.Offset);
            Lines++;
            BytesIn += record.PayloadBytes;
            if (scratch.WrittenCount >= ScratchFlushBytes)
            {
                Flush(scratch);
            }
        }
        else
        {
            Rejects.Add((record, reason, detail));
        }

        LastOffset = record.Offset;
        Records++;
        PayloadBytes += record.PayloadBytes;
    }

    /// <summary>Sends the pending lines to the compressor and ends the compressed stream (one zstd frame: Databend reads no more than one).</summary>
    public void Close(ArrayBufferWriter<byte> scratch)
    {
        if (_writer is null)
        {
            return;
        }

        Flush(scratch);
        if (!ReferenceEquals(_writer, Content))
        {
            _writer.Dispose();
        }

        _writer = null;
        ReturnCompressor();
    }

    public void Dispose()
    {
        if (_writer is not null && !ReferenceEquals(_writer, Content))
        {
            _writer.Dispose();
        }

        _writer = null;
        ReturnCompressor();
        Content.Dispose();
    }

    private void Flush(ArrayBufferWriter<byte> scratch)
    {
        if (scratch.WrittenCount > 0)
        {
            _writer!.Write(scratch.WrittenSpan);
            scratch.ResetWrittenCount();
        }
    }

    private void ReturnCompressor()
    {
        if (_compressor is not null && !_returned)
        {
            _returned = true;
            _pool!.Return(_compressor);
        }
    }
}
