namespace Databend.Client;

/// <summary>Progress figures the server reports for a statement (<c>stats</c>).</summary>
public sealed record DatabendQueryStats
{
    /// <summary>Rows scanned.</summary>
    public long ScanRows { get; init; }

    /// <summary>Bytes scanned.</summary>
    public long ScanBytes { get; init; }

    /// <summary>Rows written (INSERT, COPY, REPLACE ...).</summary>
    public long WriteRows { get; init; }

    /// <summary>Bytes written.</summary>
    public long WriteBytes { get; init; }

    /// <summary>Rows in the result.</summary>
    public long ResultRows { get; init; }

    /// <summary>Server-side running time in milliseconds.</summary>
    public double RunningTimeMs { get; init; }

    /// <summary>
    /// Progress counters only grow during a statement, but the answer to <c>/final</c> may carry
    /// fewer (or none); the statement's figures are the largest seen on any of its pages.
    /// </summary>
    internal static DatabendQueryStats Max(DatabendQueryStats a, DatabendQueryStats b) => new()
    {
        ScanRows = Math.Max(a.ScanRows, b.ScanRows),
        ScanBytes = Math.Max(a.ScanBytes, b.ScanBytes),
        WriteRows = Math.Max(a.WriteRows, b.WriteRows),
        WriteBytes = Math.Max(a.WriteBytes, b.WriteBytes),
        ResultRows = Math.Max(a.ResultRows, b.ResultRows),
        RunningTimeMs = Math.Max(a.RunningTimeMs, b.RunningTimeMs),
    };
}
