using Microsoft.Extensions.Logging;

namespace FuncIngest.Internal;

internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Information, "Staged {Records} records of {Topic}[{Partition}] in {Path} ({Created})")]
    public static partial void FileStaged(ILogger logger, int records, string topic, int partition, string path, string created);

    [LoggerMessage(101, LogLevel.Warning, "Dead-lettered {Records} records of {Topic}[{Partition}] to {Path}; first reason: {Reason} ({Detail})")]
    public static partial void DeadLettered(ILogger logger, int records, string topic, int partition, string path, string reason, string? detail);

    [LoggerMessage(102, LogLevel.Information, "Skipped {Records} records of {Topic}[{Partition}] already covered by staged or dead-letter files")]
    public static partial void SkippedCovered(ILogger logger, int records, string topic, int partition);

    [LoggerMessage(103, LogLevel.Warning, "Stage object {Path} does not count as staged: {Reason}; records of its offsets are staged again")]
    public static partial void IgnoredForCoverage(ILogger logger, string path, string reason);

    [LoggerMessage(104, LogLevel.Warning, "The held stage lock of {Topic}[{Partition}] could not be renewed; taking it again and listing the partition's coverage afresh")]
    public static partial void HoldLost(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(200, LogLevel.Information, "Loaded {Files} files ({Rows} rows) into {Table}; skipped {Skipped} already loaded")]
    public static partial void Loaded(ILogger logger, int files, long rows, string table, int skipped);

    [LoggerMessage(201, LogLevel.Warning, "Load transaction for {Table} failed transiently (attempt {Attempt} of {Attempts}); retrying in {DelayMs} ms")]
    public static partial void LoadRetry(ILogger logger, Exception exception, string table, int attempt, int attempts, long delayMs);

    [LoggerMessage(202, LogLevel.Error, "Quarantined {Path} after a permanent load failure: {Error}")]
    public static partial void Quarantined(ILogger logger, string path, string error);

    [LoggerMessage(203, LogLevel.Warning, "Trimmed {Path} to offsets from {NextOffset}: the ledger shows its start already loaded")]
    public static partial void Trimmed(ILogger logger, string path, long nextOffset);

    [LoggerMessage(204, LogLevel.Information, "Another loader holds the load lease of {Table}; it loads what is staged")]
    public static partial void LoaderBusy(ILogger logger, string table);

    [LoggerMessage(205, LogLevel.Warning, "Load transaction for {Table} lost a commit race (Databend {Code}; attempt {Attempt} of {Attempts}); planning again from the ledger in {DelayMs} ms")]
    public static partial void LostCommitRace(ILogger logger, string table, int code, int attempt, int attempts, long delayMs);

    [LoggerMessage(206, LogLevel.Warning, "Lost the load lease of {Table}; continuing (the ledger keeps concurrent loaders exactly-once)")]
    public static partial void LeaseLost(ILogger logger, Exception exception, string table);

    [LoggerMessage(207, LogLevel.Warning, "Could not delete {Path}; it is not needed any more")]
    public static partial void CleanupFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(208, LogLevel.Warning, "Databend refused the line of offset {Offset} in {Path}; dead-lettered it and loading the rest: {Error}")]
    public static partial void LineRefused(ILogger logger, string path, long offset, string error);

    [LoggerMessage(209, LogLevel.Warning, "Stage object {Path} is in the folder of table {Table} but is not a staged file FuncIngest writes; left in place, not loaded")]
    public static partial void NotAStagedFile(ILogger logger, string path, string table);

    [LoggerMessage(210, LogLevel.Warning, "Skipped {Path} in the listing of internal stage {Stage}: {Reason}")]
    public static partial void ListingEntrySkipped(ILogger logger, string path, string stage, string reason);
}
