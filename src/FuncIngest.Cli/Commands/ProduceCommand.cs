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
    private static readonly Option<string> s_format = new("--format") { Description = "json (default): each line as it is; avro: each line (Avro's JSON encoding) serialized with --schema by Confluent's AvroSerializer, registered in SchemaRegistryUrl.", DefaultValueFactory = _ => "json" };
    private static readonly Option<FileInfo?> s_schema = new("--schema") { Description = "The Avro schema file (.avsc) for --format avro." };

    public static Command Build()
    {
        var command = new Command("produce", "Send sample JSON events (or the lines of --file) with an idempotent producer (acks=all) and print what went to each partition.");
        command.Options.Add(s_topic);
        command.Options.Add(s_count);
        command.Options.Add(s_file);
        command.Options.Add(s_format);
        command.Options.Add(s_schema);
        command.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            FuncIngestSettings settings = CliApplication.LoadSettings(parse);
            if (string.IsNullOrWhiteSpace(settings.KafkaBrokerList))
            {
                throw new FuncIngestConfigurationException(nameof(settings.KafkaBrokerList), "is required: the Kafka bootstrap servers.");
            }

            string topic = parse.GetValue(s_topic)!;
            using AvroValues? avro = AvroValues.Create(parse.GetValue(s_format)!, parse.GetValue(s_schema), settings, topic);
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
            using IProducer<string, byte[]> producer = KafkaClients.Build(KafkaClients.Producer(config, logs), settings);
            int n = 0;
            foreach (string value in values)
            {
                DeliveryResult<string, byte[]> result = await producer.ProduceAsync(topic, new Message<string, byte[]>
                {
                    Key = "key-" + (n++).ToString(CultureInfo.InvariantCulture),
                    Value = avro is null ? Encoding.UTF8.GetBytes(value) : await avro.SerializeAsync(value, n - 1),
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

    /// <summary>
    /// Lines in Avro's JSON encoding (as kafka-avro-console-producer reads them: a union's value
    /// wrapped as <c>{"type": value}</c>) turned into the wire format by Confluent's AvroSerializer,
    /// which registers the schema under <c>{topic}-value</c>.
    /// </summary>
    private sealed class AvroValues : IDisposable
    {
        private readonly Avro.Schema _schema;
        private readonly Confluent.SchemaRegistry.CachedSchemaRegistryClient _client;
        private readonly Confluent.SchemaRegistry.Serdes.AvroSerializer<Avro.Generic.GenericRecord> _serializer;
        private readonly string _topic;

        private AvroValues(Avro.Schema schema, Confluent.SchemaRegistry.CachedSchemaRegistryClient client, string topic)
        {
            _schema = schema;
            _client = client;
            _serializer = new Confluent.SchemaRegistry.Serdes.AvroSerializer<Avro.Generic.GenericRecord>(client);
            _topic = topic;
        }

        public static AvroValues? Create(string format, FileInfo? schemaFile, FuncIngestSettings settings, string topic)
        {
            if (string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
            {
                return schemaFile is null ? null : throw new FuncIngestConfigurationException("--schema", "is for --format avro only.");
            }

            if (!string.Equals(format, "avro", StringComparison.OrdinalIgnoreCase))
            {
                throw new FuncIngestConfigurationException("--format", $"'{format}' is not json or avro.");
            }

            if (schemaFile is null)
            {
                throw new FuncIngestConfigurationException("--schema", "is required with --format avro: the Avro schema file (.avsc).");
            }

            if (string.IsNullOrWhiteSpace(settings.SchemaRegistryUrl))
            {
                throw new FuncIngestConfigurationException(nameof(settings.SchemaRegistryUrl), "is required with --format avro: the schema is registered there.");
            }

            Avro.Schema schema;
            try
            {
                schema = Avro.Schema.Parse(File.ReadAllText(schemaFile.FullName));
            }
            catch (Avro.AvroException e)
            {
                throw new FuncIngestConfigurationException("--schema", $"{schemaFile.Name} is not an Avro schema: {e.Message}");
            }

            var config = new Confluent.SchemaRegistry.SchemaRegistryConfig { Url = settings.SchemaRegistryUrl };
            if (!string.IsNullOrEmpty(settings.SchemaRegistryKey))
            {
                config.BasicAuthCredentialsSource = Confluent.SchemaRegistry.AuthCredentialsSource.UserInfo;
                config.BasicAuthUserInfo = $"{settings.SchemaRegistryKey}:{settings.SchemaRegistrySecret}";
            }

            return new AvroValues(schema, new Confluent.SchemaRegistry.CachedSchemaRegistryClient(config), topic);
        }

        public async Task<byte[]> SerializeAsync(string json, int line)
        {
            Avro.Generic.GenericRecord record;
            try
            {
                var reader = new Avro.Generic.GenericDatumReader<Avro.Generic.GenericRecord>(_schema, _schema);
                record = reader.Read(null!, new Avro.IO.JsonDecoder(_schema, json));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new FuncIngestConfigurationException("--file", $"event {line + 1} is not the schema's record in Avro's JSON encoding (a union's value wrapped as {{\"type\": value}}): {e.Message}");
            }

            return await _serializer.SerializeAsync(record, new SerializationContext(MessageComponentType.Value, _topic));
        }

        public void Dispose() => _client.Dispose();
    }
}
