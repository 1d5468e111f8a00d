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

    /// <summary>Rows written by the statement (INSERT, REPLACE, COPY, UPDATE ...).</summary>
    public long AffectedRows => Stats.WriteRows;
}
