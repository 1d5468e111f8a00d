namespace FuncIngest.Cli.Progress;

/// <summary>One partition's row of <c>run</c>'s live view.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Consumed">Records consumed by this run.</param>
/// <param name="Staged">Records this run wrote to staged files.</param>
/// <param name="LoadedTo">The next offset to load once the last load pass that touched the partition committed (the ledger's value); null until a pass loaded or skipped a file of it.</param>
/// <param name="Position">The next offset to consume; null before the first record or end of partition.</param>
/// <param name="End">The partition's high watermark as of the consumer's last fetch; null before the first fetch.</param>
/// <param name="ConsumedPerSecond">Records consumed per second over the sliding window.</param>
/// <param name="LoadedPerSecond">Offsets per second, over the sliding window, of the files this run loaded.</param>
internal sealed record PartitionProgress(
    string Topic,
    int Partition,
    long Consumed,
    long Staged,
    long? LoadedTo,
    long? Position,
    long? End,
    double ConsumedPerSecond,
    double LoadedPerSecond)
{
    /// <summary>Records in the partition not consumed yet: end minus position; null while either is unknown.</summary>
    public long? Lag => End is { } end && Position is { } position ? Math.Max(0, end - position) : null;
}
