namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>Server-side state of one client session: database, settings, and the open transaction.</summary>
internal sealed class EmulatedSession(string id)
{
    public string Id { get; } = id;

    public string Database { get; set; } = "default";

    public SortedDictionary<string, string> Settings { get; } = new(StringComparer.Ordinal);

    /// <summary><c>AutoCommit</c>, <c>Active</c> or <c>Fail</c> (tests/suites/1_stateful/09_http_handler, test_txn_*).</summary>
    public string TxnState { get; set; } = "AutoCommit";

    public Transaction? Transaction { get; set; }
}

/// <summary>An open transaction: the snapshot it reads and the changes it will commit.</summary>
internal sealed class Transaction
{
    /// <summary>Per table touched: the version it started from, its private rows, whether it only appended.</summary>
    public Dictionary<string, TxnTable> Tables { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Snapshot of every table's rows and version at BEGIN.</summary>
    public Dictionary<string, (IReadOnlyList<object?[]> Rows, long Version)> Snapshot { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<(string Table, string Path)> LoadedFiles { get; } = [];

    public List<(EmulatedStage Stage, string Blob)> Purges { get; } = [];
}

/// <summary>A table as a transaction sees and changes it.</summary>
internal sealed class TxnTable(long baseVersion, List<object?[]> rows)
{
    public long BaseVersion { get; } = baseVersion;

    public List<object?[]> Rows { get; } = rows;

    public List<object?[]> Appended { get; } = [];

    /// <summary>True after REPLACE, DELETE or UPDATE: the commit then needs the table unchanged since BEGIN.</summary>
    public bool Mutated { get; set; }
}
