using FuncIngest.Staging;

namespace FuncIngest.Loading;

/// <summary>What one <see cref="TableLoader.LoadPendingAsync"/> pass did.</summary>
public sealed class LoadResult
{
    /// <summary>Files whose rows were committed in this pass (whole or trimmed).</summary>
    public List<StageFileName> Loaded { get; } = [];

    /// <summary>Files the ledger showed as already loaded (a retry after a commit whose reply was lost, or redelivery).</summary>
    public List<StageFileName> Skipped { get; } = [];

    /// <summary>Files moved to quarantine after a permanent failure, with the error.</summary>
    public List<(StageFileName File, string Error)> Quarantined { get; } = [];

    /// <summary>
    /// Objects in the table's folder that are not staged files FuncIngest writes (a name it
    /// cannot parse, such as a last offset of <see cref="long.MaxValue"/>): counted as bad
    /// files, left in place and never loaded.
    /// </summary>
    public List<string> NotStaged { get; } = [];

    /// <summary>Rows committed.</summary>
    public long RowsLoaded { get; set; }

    /// <summary>Lines Databend refused while loading, moved to the dead-letter area: the file, the record's offset, Databend's message.</summary>
    public List<(StageFileName File, long Offset, string Error)> DeadLettered { get; } = [];

    /// <summary>True when another loader held the table's lease, so this call loaded nothing.</summary>
    public bool Busy { get; set; }

    /// <summary>Transaction attempts that failed transiently and were retried.</summary>
    public int Retries { get; set; }

    /// <summary>True when staged files remain (more than one pass's worth).</summary>
    public bool MoreRemaining { get; set; }
}
