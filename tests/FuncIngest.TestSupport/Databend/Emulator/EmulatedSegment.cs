namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>
/// An immutable group of rows, as a fuse table keeps its rows in immutable segments
/// (databendlabs/databend: src/query/storages/fuse/src/retry/diff.rs compares snapshots by
/// segment location). An append adds a segment; UPDATE, DELETE and REPLACE INTO write a new
/// segment in place of each one holding a row they change (replace_into_operation_agg.rs
/// rewrites the block that held the old row).
/// </summary>
internal sealed record EmulatedSegment(long Id, IReadOnlyList<object?[]> Rows)
{
    private static long s_lastId;

    public static EmulatedSegment Create(IReadOnlyList<object?[]> rows) => new(Interlocked.Increment(ref s_lastId), rows);
}
