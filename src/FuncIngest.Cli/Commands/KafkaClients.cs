using Confluent.Kafka;
using FuncIngest.Cli.Logging;
using FuncIngest.Hosting;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Cli.Commands;

/// <summary>
/// Kafka clients of the CLI, with librdkafka's log routed through the CLI's logging (quiet unless
/// <c>--verbose</c>) instead of librdkafka's default writer to stderr.
/// </summary>
internal static class KafkaClients
{
    // What an admin client or a metadata query needs from the consumer settings; the rest
    // (group, offsets, assignment) are consumer properties that librdkafka warns about (CONFWARN)
    // when given to another kind of client.
    private static readonly string[] s_shared = ["bootstrap.servers", "security.protocol", "sasl.", "ssl.", "socket.", "client.id"];

    public static ConsumerBuilder<byte[], byte[]> Consumer(ConsumerConfig config, ILoggerFactory logs) =>
        new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler(Handler<IConsumer<byte[], byte[]>>(logs));

    public static ProducerBuilder<string, byte[]> Producer(ProducerConfig config, ILoggerFactory logs) =>
        new ProducerBuilder<string, byte[]>(config).SetLogHandler(Handler<IProducer<string, byte[]>>(logs));

    public static IAdminClient Admin(FuncIngestSettings settings, ILoggerFactory logs, int? socketTimeoutMs = null)
    {
        var config = new AdminClientConfig(settings.ConsumerConfig()
            .Where(p => s_shared.Any(k => k.EndsWith('.') ? p.Key.StartsWith(k, StringComparison.Ordinal) : p.Key == k))
            .ToDictionary(p => p.Key, p => p.Value));
        if (socketTimeoutMs is { } timeout)
        {
            config.SocketTimeoutMs = timeout;
        }

        return new AdminClientBuilder(config).SetLogHandler(Handler<IAdminClient>(logs)).Build();
    }

    private static Action<T, LogMessage> Handler<T>(ILoggerFactory logs)
    {
        ILogger logger = logs.CreateLogger(CliLoggerFactory.KafkaCategory);
        return (_, message) =>
        {
            LogLevel level = Log.ToLogLevel(message.Level);
            if (logger.IsEnabled(level))
            {
                Log.Kafka(logger, level, message.Facility, message.Name, message.Message);
            }
        };
    }
}
