namespace FuncIngest.Staging;

/// <summary>What staging one batch did. Every record of the batch is counted in exactly one of the counts.</summary>
public sealed class StageBatchResult
{
    /// <summary>Files written, per partition in offset order.</summary>
    public List<StagedFile> Files { get; } = [];

    /// <summary>Records written to staged files.</summary>
    public int StagedRecords { get; set; }

    /// <summary>Records written to the dead-letter area.</summary>
    public int DeadLetteredRecords { get; set; }

    /// <summary>Records skipped because staged or dead-letter files already covered their offsets (redelivery), or duplicated within the batch.</summary>
    public int SkippedRecords { get; set; }

    /// <summary>The (table-relative) partitions the batch touched: topic and partition.</summary>
    public HashSet<(string Topic, int Partition)> Partitions { get; } = [];

    internal void Add(StageBatchResult other)
    {
        Files.AddRange(other.Files);
        StagedRecords += other.StagedRecords;
        DeadLetteredRecords += other.DeadLetteredRecords;
        SkippedRecords += other.SkippedRecords;
        Partitions.UnionWith(other.Partitions);
    }
}
