using System.CommandLine;
using Confluent.Kafka;
using Databend.Client;
using FuncIngest.Hosting;
using FuncIngest.Loading;
using FuncIngest.Records;
using FuncIngest.Staging;
using FuncIngest.Cli.Progress;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace FuncIngest.Cli.Commands;

/// <summary>
/// <c>funcingest replay</c>: read a range of one partition with assign + seek (no group commit)
/// and ingest it. Offsets the ledger already holds are skipped; with <c>--force</c> the range is
/// loaded again through a throwaway prefix and ledger, which creates duplicates on purpose.
/// </summary>
internal static class ReplayCommand
{
    private static readonly Option<string> s_topic = new("--topic") { Description = "Topic.", Required = true };
    private static readonly Option<int> s_partition = new("--partition") { Description = "Partition.", Required = true };
    private static readonly Option<long> s_from = new("--from-offset") { Description = "First offset to read.", Required = true };
    private static readonly Option<long?> s_to = new("--to-offset") { Description = "Last offset to read (inclusive). Default: the partition's end when the command starts." };
    private static readonly Option<bool> s_force = new("--force") { Description = "Load the range even where the ledger says it is loaded. This creates duplicate rows." };

    public static Command Build()
    {
        var command = new Command("replay", "Re-read a range of one partition (assign + seek, no consumer-group commit) and ingest it; already loaded offsets are skipped unless --force.");
        foreach (Option option in new Option[] { s_topic, s_partition, s_from, s_to, s_force })
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            FuncIngestSettings settings = CliApplication.LoadSettings(parse);
            settings.Validate(kafka: true, databend: true, stage: true);
            string topic = parse.GetValue(s_topic)!;
            var partition = new TopicPartition(topic, parse.GetValue(s_partition));
            long from = parse.GetValue(s_from);
            bool force = parse.GetValue(s_force);

            using ILoggerFactory logs = CliApplication.Logs(parse);
            if (CliConsole.Live(output) is not { } terminal)
            {
                await ReplayAsync(settings, logs, partition, from, parse.GetValue(s_to), force, output, null, cancellationToken);
                return ExitCodes.Ok;
            }

            // On a terminal: a bar for reading the range, then staging and loading it; the lines print above it.
            using var lines = new AnsiConsoleLineWriter(terminal);
            await terminal.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(context => ReplayAsync(settings, logs, partition, from, parse.GetValue(s_to), force, lines, new Steps(context, $"{partition.Topic}[{partition.Partition.Value}]"), cancellationToken));
            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    /// <summary>Reads the range, stages and loads it, writing what it did to <paramref name="output"/>; <paramref name="steps"/> shows how far it is.</summary>
    private static async Task ReplayAsync(FuncIngestSettings settings, ILoggerFactory logs, TopicPartition partition, long from, long? to, bool force, TextWriter output, Steps? steps, CancellationToken cancellationToken)
    {
        List<IngestRecord> records = Read(settings, logs, partition, from, to, steps);
        output.WriteLine($"read {records.Count} records of {partition.Topic}[{partition.Partition.Value}] from offset {from}");
        if (records.Count == 0)
        {
            steps?.Done();
            return;
        }

        StagingOptions staging = settings.Staging;
        LoaderOptions loader = settings.Loader;
        string? scratchLedger = null;
        if (force)
        {
            string run = Guid.NewGuid().ToString("N")[..12];
            staging = Clone(settings.Staging, $"{settings.Staging.Prefix.Trim('/')}/_replay/{run}".TrimStart('/'));
            scratchLedger = $"funcingest_replay_{run}";
            loader = new LoaderOptions
            {
                StageName = settings.Loader.StageName,
                LedgerTable = scratchLedger,
                MaxFilesPerLoad = settings.Loader.MaxFilesPerLoad,
                MaxTransactionAttempts = settings.Loader.MaxTransactionAttempts,
                RetryDelay = settings.Loader.RetryDelay,
                MissingFieldAs = settings.Loader.MissingFieldAs,
            };
            using DatabendClient client = Clients.Databend(settings)();
            await client.ExecuteAsync(DatabendSetup.LedgerDdl(scratchLedger), cancellationToken);
        }

        try
        {
            IStageStore store = Clients.Stage(settings);
            steps?.Start(Step.Stage);
            StageBatchResult staged = await new BatchStager(store, staging, schemas: settings.CreateSchemaRegistry()).StageAsync(records, cancellationToken);
            steps?.Start(Step.Load);
            LoadResult loaded = await new TableLoader(Clients.Databend(settings), store, staging, loader).LoadAllAsync(cancellationToken);
            steps?.Done();
            output.WriteLine($"staged {staged.StagedRecords} (dead-lettered {staged.DeadLetteredRecords}, already staged {staged.SkippedRecords}); loaded {loaded.RowsLoaded} rows; skipped {loaded.Skipped.Count} files the ledger holds");
        }
        finally
        {
            if (scratchLedger is not null)
            {
                using DatabendClient client = Clients.Databend(settings)();
                await client.ExecuteAsync($"DROP TABLE IF EXISTS {DatabendSql.QuoteIdentifier(scratchLedger)}", CancellationToken.None);
            }
        }
    }

    private static List<IngestRecord> Read(FuncIngestSettings settings, ILoggerFactory logs, TopicPartition partition, long from, long? to, Steps? steps)
    {
        ConsumerConfig config = settings.ConsumerConfig();
        config.GroupId = "funcingest-replay-" + Guid.NewGuid().ToString("N");
        using IConsumer<byte[], byte[]> consumer = KafkaClients.Build(KafkaClients.Consumer(config, logs), settings);
        long end = to + 1 ?? consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value;
        var records = new List<IngestRecord>();
        if (from >= end)
        {
            return records;
        }

        steps?.Reading(0, end - from);

        consumer.Assign(new TopicPartitionOffset(partition, from));
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            ConsumeResult<byte[], byte[]>? result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF)
            {
                if (consumer.Position(partition) >= end)
                {
                    break;
                }

                continue;
            }

            if (result.Offset.Value >= end)
            {
                break;
            }

            records.Add(IngestRecord.FromConsumeResult(result));
            if (records.Count % 256 == 0)
            {
                steps?.Reading(result.Offset.Value + 1 - from, end - from);
            }

            if (result.Offset.Value + 1 >= end)
            {
                break;
            }
        }

        return records;
    }

    private static StagingOptions Clone(StagingOptions source, string prefix) => new()
    {
        Table = source.Table,
        Prefix = prefix,
        Compression = source.Compression,
        ZstdLevel = source.ZstdLevel,
        MaxFileRecords = source.MaxFileRecords,
        MaxFileBytes = source.MaxFileBytes,
        MaxParallelPartitions = source.MaxParallelPartitions,
        Encoding = source.Encoding,
    };

    private enum Step
    {
        Stage,
        Load,
    }

    /// <summary>The bars of a replay on a terminal: reading the range (by offset), then staging and loading it.</summary>
    private sealed class Steps(ProgressContext context, string what)
    {
        private readonly ProgressTask _read = context.AddTask($"read {Markup.Escape(what)}", autoStart: false);
        private readonly ProgressTask _stage = context.AddTask("stage", autoStart: false);
        private readonly ProgressTask _load = context.AddTask("load", autoStart: false);

        public void Reading(long offsets, long of)
        {
            _read.MaxValue = Math.Max(1, of);
            _read.Value = offsets;
            _read.StartTask();
        }

        public void Start(Step step)
        {
            Finish(_read);
            if (step == Step.Load)
            {
                Finish(_stage);
            }

            ProgressTask task = step == Step.Stage ? _stage : _load;
            task.IsIndeterminate = true;
            task.StartTask();
        }

        public void Done()
        {
            Finish(_read);
            Finish(_stage);
            Finish(_load);
        }

        private static void Finish(ProgressTask task)
        {
            task.IsIndeterminate = false;
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }
}
