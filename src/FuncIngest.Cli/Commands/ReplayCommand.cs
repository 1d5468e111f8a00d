using System.CommandLine;
using Confluent.Kafka;
using Databend.Client;
using FuncIngest.Hosting;
using FuncIngest.Loading;
using FuncIngest.Records;
using FuncIngest.Staging;
using Microsoft.Extensions.Logging;

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
            List<IngestRecord> records = Read(settings, logs, partition, from, parse.GetValue(s_to));
            output.WriteLine($"read {records.Count} records of {partition.Topic}[{partition.Partition.Value}] from offset {from}");
            if (records.Count == 0)
            {
                return ExitCodes.Ok;
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
                StageBatchResult staged = await new BatchStager(store, staging, schemas: settings.CreateSchemaRegistry()).StageAsync(records, cancellationToken);
                LoadResult loaded = await new TableLoader(Clients.Databend(settings), store, staging, loader).LoadAllAsync(cancellationToken);
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

            return ExitCodes.Ok;
        }, cancellationToken));
        return command;
    }

    private static List<IngestRecord> Read(FuncIngestSettings settings, ILoggerFactory logs, TopicPartition partition, long from, long? to)
    {
        ConsumerConfig config = settings.ConsumerConfig();
        config.GroupId = "funcingest-replay-" + Guid.NewGuid().ToString("N");
        using IConsumer<byte[], byte[]> consumer = KafkaClients.Consumer(config, logs).Build();
        long end = to + 1 ?? consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value;
        var records = new List<IngestRecord>();
        if (from >= end)
        {
            return records;
        }

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
}
