namespace FuncIngest.Operations;

/// <summary>One ledger key a reset changes (or would change, without applying).</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Before">The key's next offset before the reset (the largest of its rows), or null when it had no row.</param>
/// <param name="RowsBefore">How many rows the key had.</param>
/// <param name="After">The key's next offset after the reset, or null when its rows are deleted.</param>
/// <param name="EndOffset">The partition's end offset in Kafka when the reset was checked.</param>
public sealed record LedgerResetChange(string Topic, int Partition, long? Before, int RowsBefore, long? After, long EndOffset);
