using System.CommandLine;
using System.Globalization;
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
    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON instead of a table. With --watch: one JSON document per line, one line per interval (JSON lines)." };
    private static readonly Option<bool> s_watch = new("--watch") { Description = "Show the status again every interval until Ctrl-C (exit 0): a table refreshing in place on a terminal, a new block per interval when redirected." };
    private static readonly Option<double?> s_interval = new("--interval") { Description = "Seconds between two looks with --watch (default 2)." };

    /// <summary>The compact form of the status document, one per line for <c>--watch --json</c>.</summary>
    private static readonly StatusJsonContext s_jsonLines = new(new JsonSerializerOptions { WriteIndented = false });

    public static Command Build()
    {
        var command = new Command("status", "Show per partition: Kafka end offset, staged files, loaded (ledger), lag; and dead-lettered and quarantined files.");
        command.Options.Add(s_json);
        command.Options.Add(s_watch);
        command.Options.Add(s_interval);
        command.Validators.Add(result =>
        {
            double seconds;
            try
            {
                if (result.GetValue(s_interval) is not { } given)
                {
                    return;
                }

                seconds = given;
            }
            catch (InvalidOperationException)
            {
                // Not a number: the parser reports that itself, in its own words.
                return;
            }

            if (!double.IsFinite(seconds) || seconds < 0.1 || seconds > 86_400)
            {
                result.AddError($"--interval must be a number of seconds from 0.1 to 86400, not {seconds.ToString(CultureInfo.InvariantCulture)}");
            }
            else if (!result.GetValue(s_watch))
            {
                result.AddError("--interval needs --watch");
            }
        });
        command.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            FuncIngestSettings settings = CliApplication.LoadSettings(parse);
            settings.Validate(kafka: true, databend: true, stage: true);
            using ILoggerFactory logs = CliApplication.Logs(parse);
            using var source = new StatusSource(settings, logs);
            bool json = parse.GetValue(s_json);
            if (!parse.GetValue(s_watch))
            {
                StatusReport report = await source.ReadAsync(cancellationToken);
                if (json)
                {
                    output.WriteLine(JsonSerializer.Serialize(report, StatusJsonContext.Default.StatusReport));
                }
                else
                {
                    CliConsole.Create(output).Write(Table(report));
                }

                return ExitCodes.Ok;
            }

            TimeSpan interval = TimeSpan.FromSeconds(parse.GetValue(s_interval) ?? 2);
            try
            {
                if (!json && CliConsole.Live(output) is { } terminal)
                {
                    await WatchLiveAsync(terminal, source, interval, cancellationToken);
                }
                else
                {
                    IAnsiConsole console = CliConsole.Create(output);
                    while (true)
                    {
                        StatusReport report = await source.ReadAsync(cancellationToken);
                        if (json)
                        {
                            output.WriteLine(JsonSerializer.Serialize(report, s_jsonLines.StatusReport));
                        }
                        else
                        {
                            output.WriteLine($"status at {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z");
                            console.Write(Table(report));
                            output.WriteLine();
                        }

                        output.Flush();
                        await Task.Delay(interval, cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C is how a watch ends: not an interruption of work.
            }

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static async Task WatchLiveAsync(IAnsiConsole console, StatusSource source, TimeSpan interval, CancellationToken cancellationToken)
    {
        StatusReport first = await source.ReadAsync(cancellationToken);
        await console.Live(Watched(first, interval)).AutoClear(false).StartAsync(async context =>
        {
            while (true)
            {
                await Task.Delay(interval, cancellationToken);
                context.UpdateTarget(Watched(await source.ReadAsync(cancellationToken), interval));
            }
        });
    }

    private static Table Watched(StatusReport report, TimeSpan interval) =>
        Table(report).Caption(string.Create(CultureInfo.InvariantCulture, $"at {DateTime.UtcNow:HH:mm:ss} UTC, every {interval.TotalSeconds:0.#} s; Ctrl-C to stop"));

    private static Table Table(StatusReport report)
    {
        var table = new Table().AddColumns("topic", "partition", "end offset", "loaded (ledger)", "lag", "staged files", "dead-letter files", "quarantined files");
        foreach (PartitionStatus row in report.Partitions)
        {
            table.AddRow(Markup.Escape(row.Topic), $"{row.Partition}", $"{row.EndOffset}", $"{row.LoadedNextOffset}", $"{row.Lag}", $"{row.StagedFiles}", $"{row.DeadLetterFiles}", $"{row.QuarantinedFiles}");
        }

        return table;
    }

    /// <summary>The clients status reads through, kept across the looks of <c>--watch</c>.</summary>
    private sealed class StatusSource : IDisposable
    {
        private readonly FuncIngestSettings _settings;
        private readonly IStageStore _store;
        private readonly TableLoader _loader;
        private readonly IConsumer<byte[], byte[]> _consumer;
        private readonly IAdminClient _admin;

        public StatusSource(FuncIngestSettings settings, ILoggerFactory logs)
        {
            _settings = settings;
            _store = Clients.Stage(settings);
            _loader = new TableLoader(Clients.Databend(settings), _store, settings.Staging, settings.Loader);
            _consumer = KafkaClients.Build(KafkaClients.Consumer(settings.ConsumerConfig(), logs), settings);
            _admin = KafkaClients.Admin(settings, logs);
        }

        public async Task<StatusReport> ReadAsync(CancellationToken cancellationToken)
        {
            FuncIngestSettings settings = _settings;
            StageLayout layout = settings.Staging.Layout;
            Dictionary<(string, int), long> ledger = (await _loader.ReadLedgerAsync(cancellationToken)).ToDictionary(e => (e.Topic, e.Partition), e => e.NextOffset);
            var rows = new List<PartitionStatus>();
            foreach (string topic in settings.Topics)
            {
                Metadata metadata = _admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
                foreach (PartitionMetadata partition in metadata.Topics.SelectMany(t => t.Partitions).OrderBy(p => p.PartitionId))
                {
                    WatermarkOffsets marks = _consumer.QueryWatermarkOffsets(new TopicPartition(topic, partition.PartitionId), TimeSpan.FromSeconds(10));
                    int staged = await CountAsync(layout.PartitionFolder(topic, partition.PartitionId), cancellationToken);
                    int deadLetters = await CountAsync(layout.DeadLetterFolder(topic, partition.PartitionId), cancellationToken);
                    int quarantined = await CountAsync(layout.QuarantineFolder(topic, partition.PartitionId), cancellationToken);
                    long loaded = ledger.GetValueOrDefault((topic, partition.PartitionId), 0);
                    rows.Add(new PartitionStatus(topic, partition.PartitionId, marks.High.Value, loaded, Math.Max(0, marks.High.Value - loaded), staged, deadLetters, quarantined));
                }
            }

            return new StatusReport(settings.Staging.Table, rows);
        }

        public void Dispose()
        {
            _consumer.Dispose();
            _admin.Dispose();
        }

        private async Task<int> CountAsync(string folder, CancellationToken cancellationToken)
        {
            int count = 0;
            await foreach (StagedObject _ in _store.ListAsync(folder, cancellationToken))
            {
                count++;
            }

            return count;
        }
    }
}
