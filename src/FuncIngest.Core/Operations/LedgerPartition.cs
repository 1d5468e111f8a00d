namespace FuncIngest.Operations;

/// <summary>One key of the ledger (table, topic, partition) as the loader reads it.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="NextOffset">The first offset not yet in the table: the largest next_offset of the key's rows.</param>
/// <param name="Rows">How many ledger rows the key has. More than one is harmless: two loaders inserted a first row at once.</param>
/// <param name="UpdatedAt">The latest updated_at of the key's rows (UTC), or null when none is set.</param>
public sealed record LedgerPartition(string Topic, int Partition, long NextOffset, int Rows, DateTime? UpdatedAt);
