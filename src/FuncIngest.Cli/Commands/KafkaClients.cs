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
    // What an admin client or a metadata query needs of the consumer settings FuncIngest makes,
    // besides the KafkaConsumer:* properties that are not for consumers only; the rest (group,
    // offsets, assignment, prefetch) are consumer properties that librdkafka warns about (CONFWARN)
    // when given to another kind of client.
    private static readonly string[] s_shared = ["bootstrap.servers", "security.protocol", "sasl.", "ssl.", "socket.", "client.id"];

    public static ConsumerBuilder<byte[], byte[]> Consumer(ConsumerConfig config, ILoggerFactory logs) =>
        new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler(Handler<IConsumer<byte[], byte[]>>(logs));

    /// <summary>Builds a consumer, naming the setting behind a property librdkafka refuses (see <see cref="Checked{T}"/>).</summary>
    public static IConsumer<byte[], byte[]> Build(ConsumerBuilder<byte[], byte[]> builder, FuncIngestSettings settings) =>
        Checked(builder.Build, settings);

    /// <summary>Builds a producer, naming the setting behind a property librdkafka refuses (see <see cref="Checked{T}"/>).</summary>
    public static IProducer<string, byte[]> Build(ProducerBuilder<string, byte[]> builder, FuncIngestSettings settings) =>
        Checked(builder.Build, settings);

    /// <summary>
    /// librdkafka checks each property only when a client is built: Confluent.Kafka throws
    /// <see cref="InvalidOperationException"/> for an unknown property and <see cref="ArgumentException"/>
    /// for an invalid value (<c>SafeConfigHandle.Set</c>), and <see cref="InvalidOperationException"/>
    /// when librdkafka refuses the configuration as a whole (<c>SafeKafkaHandle.Create</c>, e.g.
    /// "`max.poll.interval.ms`must be >= `session.timeout.ms`"). These become a configuration error
    /// naming the setting behind the property librdkafka names: a <c>KafkaConsumer:*</c> property,
    /// or the FuncIngest setting FuncIngest sets it from.
    /// </summary>
    private static T Checked<T>(Func<T> build, FuncIngestSettings settings)
    {
        try
        {
            return build();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException && SettingBehind(e.Message, settings) is { } setting)
        {
            throw new FuncIngestConfigurationException(
                setting,
                $"librdkafka refused it: {e.Message.TrimEnd().TrimEnd('.')} (names and values: librdkafka's CONFIGURATION.md).");
        }
    }

    private static string? SettingBehind(string message, FuncIngestSettings settings)
    {
        foreach (System.Text.RegularExpressions.Match quoted in System.Text.RegularExpressions.Regex.Matches(message, "[\"`](?<name>[A-Za-z0-9_.]+)[\"`]", System.Text.RegularExpressions.RegexOptions.CultureInvariant))
        {
            string property = quoted.Groups["name"].Value;
            if (settings.KafkaConsumer.ContainsKey(property))
            {
                return FuncIngestSettings.KafkaConsumerSection + ":" + property;
            }

            if (FuncIngestSettings.SettingOfProperty(property) is { } setting)
            {
                return setting;
            }
        }

        // librdkafka names an alias's main property (max.partition.fetch.bytes: fetch.message.max.bytes).
        return settings.KafkaConsumer.Count > 0 ? FuncIngestSettings.KafkaConsumerSection : null;
    }

    public static ProducerBuilder<string, byte[]> Producer(ProducerConfig config, ILoggerFactory logs) =>
        new ProducerBuilder<string, byte[]>(config).SetLogHandler(Handler<IProducer<string, byte[]>>(logs));

    public static IAdminClient Admin(FuncIngestSettings settings, ILoggerFactory logs, int? socketTimeoutMs = null)
    {
        IReadOnlyDictionary<string, string> client = settings.ClientProperties();
        var config = new AdminClientConfig(settings.ConsumerConfig()
            .Where(p => client.ContainsKey(p.Key) || s_shared.Any(k => k.EndsWith('.') ? p.Key.StartsWith(k, StringComparison.Ordinal) : p.Key == k))
            .ToDictionary(p => p.Key, p => p.Value));
        if (socketTimeoutMs is { } timeout)
        {
            config.SocketTimeoutMs = timeout;
        }

        return Checked(new AdminClientBuilder(config).SetLogHandler(Handler<IAdminClient>(logs)).Build, settings);
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
