using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Cli.Logging;

internal static partial class Log
{
    [LoggerMessage(EventId = 900, Message = "{Facility} {Client}: {Message}")]
    public static partial void Kafka(ILogger logger, LogLevel level, string facility, string client, string message);

    [LoggerMessage(EventId = 910, Level = LogLevel.Information,
        Message = "process: {CpuSeconds:F1} CPU-s, GC {Gen0}/{Gen1}/{Gen2} collections (gen 0/1/2), {PauseSeconds:F2} s paused, {AllocatedMegabytes} MB allocated, {JitMethods} methods compiled at run time in {JitSeconds:F2} s")]
    public static partial void ProcessCounters(ILogger logger, double cpuSeconds, int gen0, int gen1, int gen2, double pauseSeconds, long allocatedMegabytes, long jitMethods, double jitSeconds);

    [LoggerMessage(EventId = 911, Level = LogLevel.Information,
        Message = "ledger not read at start ({Reason}): records the table already holds, if read again, are staged again and skipped by the loader")]
    public static partial void LedgerNotRead(ILogger logger, string reason);

    /// <summary>librdkafka's syslog levels as log levels.</summary>
    public static LogLevel ToLogLevel(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };
}
