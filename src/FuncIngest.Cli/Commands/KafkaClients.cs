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

    /// <summary>
    /// Builds a consumer. librdkafka checks each property only now, so an unknown
    /// <c>KafkaConsumer:*</c> property or a bad value of one becomes a configuration error naming
    /// the setting (Confluent.Kafka <c>SafeConfigHandle.Set</c>: <see cref="InvalidOperationException"/>
    /// for an unknown property, <see cref="ArgumentException"/> for an invalid value; a
    /// <see cref="KafkaException"/> when librdkafka refuses the handle as a whole).
    /// </summary>
    public static IConsumer<byte[], byte[]> Build(ConsumerBuilder<byte[], byte[]> builder, FuncIngestSettings settings)
    {
        try
        {
            return builder.Build();
        }
        catch (Exception e) when (settings.KafkaConsumer.Count > 0 && e is ArgumentException or InvalidOperationException or KafkaException)
        {
            string? named = settings.KafkaConsumer.Keys.FirstOrDefault(k => e.Message.Contains('"' + k + '"', StringComparison.Ordinal));
            throw new FuncIngestConfigurationException(
                named is null ? FuncIngestSettings.KafkaConsumerSection : FuncIngestSettings.KafkaConsumerSection + ":" + named,
                $"librdkafka refused the consumer properties: {e.Message.TrimEnd('.')} (names and values: librdkafka's CONFIGURATION.md).");
        }
    }

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
