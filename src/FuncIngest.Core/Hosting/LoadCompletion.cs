using FuncIngest.Loading;

namespace FuncIngest.Hosting;

/// <summary>How a load run ended, reported back to the table's scheduler.</summary>
/// <param name="Run">The run's number.</param>
/// <param name="Succeeded">Whether every staged file was loaded, skipped or quarantined.</param>
/// <param name="Error">Why the run failed, when it did.</param>
/// <param name="FilesLoaded">Files loaded.</param>
/// <param name="FilesSkipped">Files the ledger showed as loaded already.</param>
/// <param name="FilesQuarantined">Files moved to quarantine.</param>
/// <param name="RowsLoaded">Rows committed.</param>
public sealed record LoadCompletion(long Run, bool Succeeded, string? Error, int FilesLoaded, int FilesSkipped, int FilesQuarantined, long RowsLoaded)
{
    /// <summary>A successful run's completion.</summary>
    public static LoadCompletion Success(long run, LoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new(run, true, null, result.Loaded.Count, result.Skipped.Count, result.Quarantined.Count, result.RowsLoaded);
    }

    /// <summary>A failed run's completion.</summary>
    public static LoadCompletion Failure(long run, string error) => new(run, false, error, 0, 0, 0, 0);
}
