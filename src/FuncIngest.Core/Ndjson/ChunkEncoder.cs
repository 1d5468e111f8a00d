using System.Buffers;
using FuncIngest.Records;

namespace FuncIngest.Ndjson;

/// <summary>
/// Encodes a run of records into a stream (normally a compressor over a block upload),
/// batching lines into 64 KiB writes. Rejected records are returned, not written.
/// </summary>
internal sealed class ChunkEncoder(NdjsonRecordEncoder encoder)
{
    public const int FlushThreshold = 64 * 1024;

    private ArrayBufferWriter<byte> _buffer = new(FlushThreshold);

    public async Task<ChunkEncodeResult> EncodeAsync(IReadOnlyList<IngestRecord> records, int start, int end, Stream output, CancellationToken cancellationToken)
    {
        var result = new ChunkEncodeResult();
        _buffer.ResetWrittenCount();
        for (int i = start; i < end; i++)
        {
            IngestRecord record = records[i];
            RejectReason reason = encoder.TryEncode(record, _buffer, out string? detail);
            if (reason != RejectReason.None)
            {
                result.Rejects.Add((record, reason, detail));
                continue;
            }

            result.LineOffsets.Add(record.Offset);
            result.Lines++;
            result.BytesIn += record.PayloadBytes;
            if (_buffer.WrittenCount >= FlushThreshold)
            {
                await output.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                // A huge record grows the buffer; do not keep that memory for the rest of the batch.
                _buffer = _buffer.Capacity > 4 * FlushThreshold ? new ArrayBufferWriter<byte>(FlushThreshold) : _buffer;
                _buffer.ResetWrittenCount();
            }
        }

        if (_buffer.WrittenCount > 0)
        {
            await output.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            _buffer.ResetWrittenCount();
        }

        return result;
    }
}
