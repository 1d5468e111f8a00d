using System.CommandLine;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using FuncIngest.Hosting;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Cli.Commands;

/// <summary><c>funcingest produce</c>: sample or given JSON events, idempotent producer.</summary>
internal static class ProduceCommand
{
    private static readonly Option<string> s_topic = new("--topic") { Description = "Topic to send to.", Required = true };
    private static readonly Option<int> s_count = new("--count") { Description = "Number of sample events (ignored with --file).", DefaultValueFactory = _ => 10 };
    private static readonly Option<FileInfo?> s_file = new("--file") { Description = "Send each line of this NDJSON file as one event." };

    public static Command Build()
    {
        var command = new Command("produce", "Send sample JSON events (or the lines of --file) with an idempotent producer (acks=all) and print what went to each partition.");
        command.Options.Add(s_topic);
        command.Options.Add(s_count);
        command.Options.Add(s_file);
        command.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            FuncIngestSettings settings = CliApplication.LoadSettings(parse);
            if (string.IsNullOrWhiteSpace(settings.KafkaBrokerList))
            {
                throw new FuncIngestConfigurationException(nameof(settings.KafkaBrokerList), "is required: the Kafka bootstrap servers.");
            }

            string topic = parse.GetValue(s_topic)!;
            FileInfo? file = parse.GetValue(s_file);
            IEnumerable<string> values = file is not null
                ? File.ReadLines(file.FullName).Where(l => l.Length > 0)
                : Enumerable.Range(0, parse.GetValue(s_count)).Select(i => $"{{\"id\":{i},\"event\":\"sample\",\"at\":\"{DateTime.UtcNow:O}\"}}");

            var perPartition = new SortedDictionary<int, int>();
            using ILoggerFactory logs = CliApplication.Logs(parse);
            using (IAdminClient admin = KafkaClients.Admin(settings, logs, socketTimeoutMs: 10_000))
            {
                try
                {
                    _ = admin.GetMetadata(TimeSpan.FromSeconds(10));
                }
                catch (KafkaException e)
                {
                    throw new KafkaException(new Error(e.Error.Code, $"no broker of KafkaBrokerList '{settings.KafkaBrokerList}' answered within 10 s ({e.Error.Reason})"));
                }
            }

            ProducerConfig config = settings.ProducerConfig();
            // librdkafka's default (300 s) would keep an unreachable broker's send waiting for minutes.
            config.MessageTimeoutMs = 30_000;
            using IProducer<string, byte[]> producer = KafkaClients.Producer(config, logs).Build();
            int n = 0;
            foreach (string value in values)
            {
                DeliveryResult<string, byte[]> result = await producer.ProduceAsync(topic, new Message<string, byte[]>
                {
                    Key = "key-" + (n++).ToString(CultureInfo.InvariantCulture),
                    Value = Encoding.UTF8.GetBytes(value),
                }, cancellationToken);
                perPartition[result.Partition.Value] = perPartition.GetValueOrDefault(result.Partition.Value) + 1;
            }

            producer.Flush(cancellationToken);
            foreach ((int partition, int count) in perPartition)
            {
                output.WriteLine($"{topic}[{partition}]: {count}");
            }

            output.WriteLine($"sent {n} events to {topic}");
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}
