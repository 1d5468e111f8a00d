using FuncIngest.Records;
using FuncIngest.Staging;

namespace FuncIngest.Ndjson;

/// <summary>What <see cref="ChunkEncoder"/> wrote and what it turned away.</summary>
internal sealed class ChunkEncodeResult
{
    public int Lines { get; set; }

    public long BytesIn { get; set; }

    public OffsetRanges LineOffsets { get; } = new();

    public List<(IngestRecord Record, RejectReason Reason, string? Detail)> Rejects { get; } = [];
}
