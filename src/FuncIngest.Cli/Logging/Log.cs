using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Cli.Logging;

internal static partial class Log
{
    [LoggerMessage(EventId = 900, Message = "{Facility} {Client}: {Message}")]
    public static partial void Kafka(ILogger logger, LogLevel level, string facility, string client, string message);

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
