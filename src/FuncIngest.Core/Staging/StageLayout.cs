using System.Globalization;

namespace FuncIngest.Staging;

/// <summary>
/// Where things go in the stage, all under one prefix:
/// <code>
/// {prefix}/{table}/{topic}/{partition}/{first:D20}-{last:D20}.ndjson.zst    staged files
/// {prefix}/_deadletter/{table}/{topic}/{partition}/{first}-{last}.ndjson    rejected records, with reasons
/// {prefix}/_deadletter_replayed/{table}/{topic}/{partition}/...            dead letters replayed into the table
/// {prefix}/_quarantine/{table}/{topic}/{partition}/...                      files the loader could not load
/// {prefix}/_refill/...                                                       records loaded below the ledger (Operations.RefillArea)
/// {prefix}/_locks/{table}/{topic}/{partition}                               per-partition writer locks
/// </code>
/// </summary>
public sealed class StageLayout
{
    /// <summary>Creates a layout.</summary>
    public StageLayout(string prefix, string table)
    {
        Prefix = prefix.Trim('/');
        Table = table;
    }

    /// <summary>The stage prefix.</summary>
    public string Prefix { get; }

    /// <summary>The target table.</summary>
    public string Table { get; }

    /// <summary>Prefix of dead-letter files.</summary>
    public string DeadLetterPrefix => Join("_deadletter");

    /// <summary>Prefix of dead-letter files whose every record was replayed into the table (<c>funcingest deadletter replay</c>).</summary>
    public string DeadLetterReplayedPrefix => Join("_deadletter_replayed");

    /// <summary>Prefix of quarantined files.</summary>
    public string QuarantinePrefix => Join("_quarantine");

    /// <summary>The name of a staged file.</summary>
    public StageFileName File(string topic, int partition, long first, long last, StageCompression compression) =>
        new(Prefix, Table, topic, partition, first, last, compression);

    /// <summary>The name of a dead-letter file.</summary>
    public StageFileName DeadLetterFile(string topic, int partition, long first, long last) =>
        new(DeadLetterPrefix, Table, topic, partition, first, last, StageCompression.None);

    /// <summary>The folder of one partition's staged files (ends with '/').</summary>
    public string PartitionFolder(string topic, int partition) => StageFileName.PartitionFolderOf(Prefix, Table, topic, partition);

    /// <summary>The folder of one partition's dead-letter files (ends with '/').</summary>
    public string DeadLetterFolder(string topic, int partition) => StageFileName.PartitionFolderOf(DeadLetterPrefix, Table, topic, partition);

    /// <summary>The folder of one partition's replayed dead-letter files (ends with '/').</summary>
    public string DeadLetterReplayedFolder(string topic, int partition) => StageFileName.PartitionFolderOf(DeadLetterReplayedPrefix, Table, topic, partition);

    /// <summary>The folder of one partition's quarantined files (ends with '/').</summary>
    public string QuarantineFolder(string topic, int partition) => StageFileName.PartitionFolderOf(QuarantinePrefix, Table, topic, partition);

    /// <summary>The lock name of one partition's writers.</summary>
    public string PartitionLock(string topic, int partition) =>
        string.Create(CultureInfo.InvariantCulture, $"{Join("_locks")}/{Table}/{topic}/{partition}");

    /// <summary>The lease name of the table's loader (one loader at a time, across processes, where the stage has leases).</summary>
    public string TableLoaderLock => $"{Join("_locks")}/{Table}.loader";

    private string Join(string area) => Prefix.Length == 0 ? area : $"{Prefix}/{area}";
}
