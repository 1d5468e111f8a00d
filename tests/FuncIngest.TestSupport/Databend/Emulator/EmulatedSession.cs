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

/// <summary>
/// An open transaction: the tables it wrote and what it will commit. It pins nothing at BEGIN:
/// a table it has not written yet is read at its latest commit, and the first statement that
/// writes a table fixes that table's base (databendlabs/databend:
/// src/query/storages/common/session/src/transaction.rs, <c>base_snapshot_location</c> kept from
/// the first <c>update_multi_table_meta</c>; src/query/service/src/catalogs/default/session_catalog.rs,
/// <c>get_table</c> reads the transaction's buffer only for tables it changed).
/// </summary>
internal sealed class Transaction
{
    /// <summary>Per table written: its base and the transaction's own segment list.</summary>
    public Dictionary<string, TxnTable> Tables { get; } = new(StringComparer.OrdinalIgnoreCase);

    public List<(string Table, string Path)> LoadedFiles { get; } = [];

    public List<(EmulatedStage Stage, string Blob)> Purges { get; } = [];
}

/// <summary>A table as a transaction changed it: the base it started from and its segments now.</summary>
internal sealed class TxnTable(IReadOnlyList<EmulatedSegment> baseSegments)
{
    public IReadOnlyList<EmulatedSegment> BaseSegments { get; } = baseSegments;

    public List<EmulatedSegment> Segments { get; } = [.. baseSegments];

    public IEnumerable<object?[]> Rows => Enumerable.Reverse(Segments).SelectMany(s => s.Rows);

    /// <summary>Adds rows as a new segment (COPY, INSERT, the insert half of REPLACE INTO).</summary>
    public void Append(IReadOnlyList<object?[]> rows)
    {
        if (rows.Count > 0)
        {
            Segments.Insert(0, EmulatedSegment.Create(rows));
        }
    }

    /// <summary>
    /// Applies <paramref name="change"/> to every row (null: delete the row; the same array:
    /// keep it); each segment holding a changed row is replaced by a new one. Returns the rows changed.
    /// </summary>
    public int Rewrite(Func<object?[], object?[]?> change)
    {
        int changed = 0;
        for (int i = Segments.Count - 1; i >= 0; i--)
        {
            var kept = new List<object?[]>(Segments[i].Rows.Count);
            int here = 0;
            foreach (object?[] row in Segments[i].Rows)
            {
                object?[]? result = change(row);
                if (!ReferenceEquals(result, row))
                {
                    here++;
                }

                if (result is not null)
                {
                    kept.Add(result);
                }
            }

            if (here == 0)
            {
                continue;
            }

            changed += here;
            if (kept.Count == 0)
            {
                Segments.RemoveAt(i);
            }
            else
            {
                Segments[i] = EmulatedSegment.Create(kept);
            }
        }

        return changed;
    }
}
