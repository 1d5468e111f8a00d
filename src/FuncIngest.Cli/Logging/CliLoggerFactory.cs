using Microsoft.Extensions.Logging;

namespace FuncIngest.Cli.Logging;

/// <summary>
/// The CLI's logging: one line per message on standard error. Quiet by default (warnings from
/// FuncIngest, nothing from librdkafka, whose connection chatter would bury the command's own
/// output); everything with <c>--verbose</c>.
/// </summary>
internal sealed class CliLoggerFactory(TextWriter error, bool verbose) : ILoggerFactory
{
    /// <summary>The category of librdkafka's own log lines.</summary>
    public const string KafkaCategory = "librdkafka";

    public ILogger CreateLogger(string categoryName) =>
        new Logger(error, categoryName, verbose ? LogLevel.Debug : string.Equals(categoryName, KafkaCategory, StringComparison.Ordinal) ? LogLevel.None : LogLevel.Warning);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(TextWriter error, string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string level = logLevel switch
            {
                LogLevel.Trace => "trace",
                LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error => "error",
                _ => "crit",
            };
            string line = $"{level}: {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += $" ({exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")})";
            }

            // Writers are shared with the command's output in tests and by the daemon's threads.
            lock (error)
            {
                error.WriteLine(line);
            }
        }
    }
}
