using System.CommandLine;
using System.Text.Json;
using Confluent.Kafka;
using FuncIngest.Hosting;
using FuncIngest.Loading;
using FuncIngest.Staging;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace FuncIngest.Cli.Commands;

/// <summary><c>funcingest status</c>: per partition, Kafka end offset, staged, loaded, lag; dead letters and quarantine.</summary>
internal static class StatusCommand
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON instead of a table." };

    public static Command Build()
    {
        var command = new Command("status", "Show per partition: Kafka end offset, staged files, loaded (ledger), lag; and dead-lettered and quarantined files.");
        command.Options.Add(s_json);
        command.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            FuncIngestSettings settings = CliApplication.LoadSettings(parse);
            settings.Validate(kafka: true, databend: true, stage: true);
            IStageStore store = Clients.Stage(settings);
            StageLayout layout = settings.Staging.Layout;
            var loader = new TableLoader(Clients.Databend(settings), store, settings.Staging, settings.Loader);
            Dictionary<(string, int), long> ledger = (await loader.ReadLedgerAsync(cancellationToken)).ToDictionary(e => (e.Topic, e.Partition), e => e.NextOffset);

            var rows = new List<PartitionStatus>();
            using ILoggerFactory logs = CliApplication.Logs(parse);
            using IConsumer<byte[], byte[]> consumer = KafkaClients.Consumer(settings.ConsumerConfig(), logs).Build();
            using IAdminClient admin = KafkaClients.Admin(settings, logs);
            foreach (string topic in settings.Topics)
            {
                Metadata metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
                foreach (PartitionMetadata partition in metadata.Topics.SelectMany(t => t.Partitions).OrderBy(p => p.PartitionId))
                {
                    WatermarkOffsets marks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition.PartitionId), TimeSpan.FromSeconds(10));
                    int staged = 0, deadLetters = 0, quarantined = 0;
                    await foreach (StagedObject _ in store.ListAsync(layout.PartitionFolder(topic, partition.PartitionId), cancellationToken))
                    {
                        staged++;
                    }

                    await foreach (StagedObject _ in store.ListAsync(layout.DeadLetterFolder(topic, partition.PartitionId), cancellationToken))
                    {
                        deadLetters++;
                    }

                    await foreach (StagedObject _ in store.ListAsync(layout.QuarantineFolder(topic, partition.PartitionId), cancellationToken))
                    {
                        quarantined++;
                    }

                    long loaded = ledger.GetValueOrDefault((topic, partition.PartitionId), 0);
                    rows.Add(new PartitionStatus(topic, partition.PartitionId, marks.High.Value, loaded, Math.Max(0, marks.High.Value - loaded), staged, deadLetters, quarantined));
                }
            }

            if (parse.GetValue(s_json))
            {
                output.WriteLine(JsonSerializer.Serialize(new StatusReport(settings.Staging.Table, rows), StatusJsonContext.Default.StatusReport));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("topic", "partition", "end offset", "loaded (ledger)", "lag", "staged files", "dead-letter files", "quarantined files");
            foreach (PartitionStatus row in rows)
            {
                table.AddRow(row.Topic, $"{row.Partition}", $"{row.EndOffset}", $"{row.LoadedNextOffset}", $"{row.Lag}", $"{row.StagedFiles}", $"{row.DeadLetterFiles}", $"{row.QuarantinedFiles}");
            }

            bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
            IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(output),
                Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
                ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            });
            if (!terminal)
            {
                // Piped or captured output has no width: Spectre would assume 80 columns and wrap
                // the headers; let the table be as wide as its content instead.
                console.Profile.Width = 1000;
            }

            console.Write(table);
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }
}
