namespace FuncIngest.Loading;

/// <summary>A row of the ledger: the next offset to load for one partition of one table.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="NextOffset">The first offset not yet in the table.</param>
public sealed record LedgerEntry(string Topic, int Partition, long NextOffset);
