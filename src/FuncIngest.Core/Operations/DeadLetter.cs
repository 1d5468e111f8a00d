using FuncIngest.Records;

namespace FuncIngest.Operations;

/// <summary>One dead-lettered record, as its dead-letter file holds it.</summary>
/// <param name="File">The dead-letter file (path in the stage).</param>
/// <param name="Topic">Its topic.</param>
/// <param name="Partition">Its partition.</param>
/// <param name="Offset">Its offset.</param>
/// <param name="Reason">Why it was rejected (a <c>RejectReason</c> name; <c>RefusedByDatabend</c> when COPY refused its staged line).</param>
/// <param name="Detail">The rejection's detail (Databend's message for <c>RefusedByDatabend</c>).</param>
/// <param name="Key">The exact key bytes, or null.</param>
/// <param name="Value">The exact value bytes, or null (a tombstone). For <c>RefusedByDatabend</c>, the staged NDJSON line.</param>
/// <param name="Timestamp">The record's timestamp, when it had one.</param>
/// <param name="TimestampType">The timestamp's type, when the dead letter records it (older ones do not).</param>
/// <param name="Headers">The exact headers.</param>
/// <param name="DeadLetteredAt">When it was dead-lettered.</param>
public sealed record DeadLetter(
    string File,
    string Topic,
    int Partition,
    long Offset,
    string Reason,
    string? Detail,
    ReadOnlyMemory<byte>? Key,
    ReadOnlyMemory<byte>? Value,
    DateTimeOffset? Timestamp,
    RecordTimestampType? TimestampType,
    IReadOnlyList<RecordHeader> Headers,
    DateTimeOffset? DeadLetteredAt);
