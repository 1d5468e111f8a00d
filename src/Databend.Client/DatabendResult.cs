namespace Databend.Client;

/// <summary>The complete outcome of a statement run with <see cref="DatabendClient.ExecuteAsync"/>.</summary>
public sealed class DatabendResult
{
    internal DatabendResult(string? queryId, IReadOnlyList<DatabendColumn> columns, IReadOnlyList<DatabendRow> rows, DatabendQueryStats stats)
    {
        QueryId = queryId;
        Columns = columns;
        Rows = rows;
        Stats = stats;
    }

    /// <summary>The id the server ran the statement under.</summary>
    public string? QueryId { get; }

    /// <summary>The result's columns (empty for statements without a result set).</summary>
    public IReadOnlyList<DatabendColumn> Columns { get; }

    /// <summary>Every row of the result.</summary>
    public IReadOnlyList<DatabendRow> Rows { get; }

    /// <summary>The server's progress figures.</summary>
    public DatabendQueryStats Stats { get; }

    /// <summary>
    /// Rows written by the statement (INSERT, REPLACE, COPY ...). For UPDATE and DELETE this
    /// counts every row of the blocks they rewrote; use <see cref="RowsUpdated"/> and
    /// <see cref="RowsDeleted"/> for the rows they matched.
    /// </summary>
    public long AffectedRows => Stats.WriteRows;

    /// <summary>The rows an UPDATE or MERGE changed, or null when the statement reports no such count.</summary>
    public long? RowsUpdated => MutationCount("number of rows updated");

    /// <summary>The rows a DELETE or MERGE removed, or null when the statement reports no such count.</summary>
    public long? RowsDeleted => MutationCount("number of rows deleted");

    /// <summary>The rows a MERGE inserted, or null when the statement reports no such count.</summary>
    public long? RowsInserted => MutationCount("number of rows inserted");

    // UPDATE, DELETE and MERGE answer one row whose UInt64 columns are named after what they
    // counted (databendlabs/databend: src/query/sql/src/planner/plans/mutation.rs, UPDATE_NAME
    // and friends; src/query/service/src/interpreters/interpreter_mutation.rs, get_mutation_table_result).
    private long? MutationCount(string column)
    {
        for (int i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i].Name, column, StringComparison.Ordinal))
            {
                return Rows.Count == 0 ? 0 : Rows.Sum(r => r.GetInt64(i));
            }
        }

        return null;
    }
}
