using System.Buffers;
using System.Runtime.CompilerServices;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.Staging;

namespace FuncIngest.Internal;

/// <summary>
/// A staged file encoded as its records arrived, waiting for its batch to be staged: its bytes,
/// which offsets became lines, and the rejected records (kept whole for their dead letters). Its
/// name is known only once it is closed: it carries the last offset.
/// </summary>
/// <remarks>
/// The lines stay uncompressed until the file reaches <see cref="CompressAfterBytes"/>, then go
/// through a compressor of their own. A zstd compressor at level 3 holds 1 to 3 MiB (its tables,
/// then its window as it fills; measured with ZstdSharp, 32 at once), which for a partition with
/// a small share of the batch is more than its lines; compressing every partition on arrival
/// made a 32-partition run's peak RSS 312 MB against 203 MB holding records. A file that stays
/// small is compressed when it is staged, with a pooled compressor. How many files of a batch
/// compress as they grow is capped too (<see cref="StagingBatch"/>): past the cap a file stays
/// plain, so a batch spread over many partitions holds at most its lines, not a compressor each.
/// </remarks>
internal sealed class PreparedFile : IDisposable
{
    /// <summary>Lines gather in the partition's scratch and are written on in pieces of this size.</summary>
    internal const int ScratchFlushBytes = 16 * 1024;

    /// <summary>Uncompressed bytes beyond which a file is compressed as it grows.</summary>
    internal const int CompressAfterBytes = 256 * 1024;

    private readonly StageCompression _compression;
    private readonly int _zstdLevel;
    private readonly CompressorPool _pool;
    private readonly StrongBox<int> _compressorsLeft;
    private ZstdSharp.Compressor? _compressor;
    private Stream? _writer;

    public PreparedFile(long firstOffset, StageCompression compression, int zstdLevel, CompressorPool pool, StrongBox<int> compressorsLeft)
    {
        _compressorsLeft = compressorsLeft;
        FirstOffset = firstOffset;
        LastOffset = firstOffset;
        _compression = compression;
        _zstdLevel = zstdLevel;
        _pool = pool;
        _writer = Content;
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

    /// <summary>The file's bytes, complete once <see cref="Close"/> has run: compressed when <see cref="IsCompressed"/>, the plain lines otherwise.</summary>
    public SegmentBufferStream Content { get; private set; } = new();

    /// <summary>True when <see cref="Content"/> holds the file as it is staged (compressed, one frame); false when it holds the plain lines.</summary>
    public bool IsCompressed { get; private set; }

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

    /// <summary>Writes the pending lines on and, when compressing, ends the stream (one zstd frame: Databend reads no more than one).</summary>
    public void Close(ArrayBufferWriter<byte> scratch)
    {
        if (_writer is null)
        {
            return;
        }

        Flush(scratch);
        EndWriter();
    }

    public void Dispose()
    {
        EndWriter();
        Content.Dispose();
    }

    private void Flush(ArrayBufferWriter<byte> scratch)
    {
        if (scratch.WrittenCount > 0)
        {
            _writer!.Write(scratch.WrittenSpan);
            scratch.ResetWrittenCount();
        }

        if (!IsCompressed && _compression != StageCompression.None && Content.Length >= CompressAfterBytes && _compressorsLeft.Value > 0)
        {
            _compressorsLeft.Value--;
            StartCompressing();
        }
    }

    /// <summary>From here on the lines go through a compressor; what is already held goes through it first.</summary>
    private void StartCompressing()
    {
        SegmentBufferStream plain = Content;
        Content = new SegmentBufferStream();
        if (_compression == StageCompression.Zstd)
        {
            _compressor = _pool.Rent();
            _writer = new ZstdSharp.CompressionStream(Content, _compressor, bufferSize: ScratchFlushBytes, preserveCompressor: true, leaveOpen: true);
        }
        else
        {
            _writer = StageFiles.Compress(Content, _compression, _zstdLevel);
        }

        plain.WriteTo(_writer);
        plain.Dispose();
        IsCompressed = true;
    }

    /// <summary>Ends a compressing writer (the frame's end goes into <see cref="Content"/>) and gives back its compressor and slot.</summary>
    private void EndWriter()
    {
        if (_writer is not null && !ReferenceEquals(_writer, Content))
        {
            _writer.Dispose();
            _compressorsLeft.Value++;
        }

        _writer = null;
        if (_compressor is not null)
        {
            _pool.Return(_compressor);
            _compressor = null;
        }
    }
}
