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
}
