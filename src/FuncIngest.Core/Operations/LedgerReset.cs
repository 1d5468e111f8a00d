namespace FuncIngest.Operations;

/// <summary>What <see cref="LedgerManager.ResetAsync"/> changes: the ledger keys of one topic (or one partition of it).</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">One partition, or null for every partition Kafka reports for the topic.</param>
/// <param name="ToOffset">The next offset to load from, or null to delete the keys (the loader starts them again at 0).</param>
public sealed record LedgerReset(string Topic, int? Partition, long? ToOffset)
{
    /// <summary>True when the keys are deleted rather than set.</summary>
    public bool Deletes => ToOffset is null;
}
