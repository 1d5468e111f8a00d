namespace FuncIngest.Cli.Progress;

/// <summary>The numbers of <c>run</c> at one moment, for a view.</summary>
/// <param name="Partitions">One row per partition seen (assigned now or consumed earlier), by topic and partition.</param>
/// <param name="Consumed">Records consumed.</param>
/// <param name="Staged">Records staged.</param>
/// <param name="DeadLettered">Records dead-lettered while staging.</param>
/// <param name="LoadedRows">Rows loaded into the table.</param>
/// <param name="ConsumedPerSecond">Records consumed per second over the sliding window.</param>
/// <param name="LoadedRowsPerSecond">Rows loaded per second over the sliding window.</param>
/// <param name="Elapsed">Time since the run started.</param>
internal sealed record RunProgressSnapshot(
    IReadOnlyList<PartitionProgress> Partitions,
    long Consumed,
    long Staged,
    long DeadLettered,
    long LoadedRows,
    double ConsumedPerSecond,
    double LoadedRowsPerSecond,
    TimeSpan Elapsed);
