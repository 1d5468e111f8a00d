using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using FuncIngest.Hosting;
using FuncIngest.Operations;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace FuncIngest.Cli.Commands;

/// <summary><c>funcingest ledger list|reset</c>: thin over <see cref="LedgerManager"/>.</summary>
internal static class LedgerCommand
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON instead of a table." };
    private static readonly Option<string?> s_listTopic = new("--topic") { Description = "Only the keys of this topic." };
    private static readonly Option<string> s_topic = new("--topic") { Description = "The topic whose keys to reset.", Required = true };
    private static readonly Option<int?> s_partition = new("--partition") { Description = "Only this partition (default: every partition Kafka reports for the topic)." };
    private static readonly Option<long?> s_to = new("--to-offset") { Description = "Set the next offset to load to this (0 up to the partition's Kafka end offset)." };
    private static readonly Option<bool> s_delete = new("--delete") { Description = "Delete the keys: the loader starts them again at 0." };
    private static readonly Option<bool> s_yes = new("--yes") { Description = "Apply. Without it the command prints what it would change and changes nothing." };

    public static Command Build()
    {
        var command = new Command("ledger", "Show the offset ledger of the table (the next offset to load per partition), and reset it.");
        command.Subcommands.Add(BuildList());
        command.Subcommands.Add(BuildReset());
        return command;
    }

    private static Command BuildList()
    {
        var list = new Command("list", "List the table's ledger keys: topic, partition, next offset (the largest of a key's rows), rows per key, last update.");
        list.Options.Add(s_listTopic);
        list.Options.Add(s_json);
        list.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            IReadOnlyList<LedgerPartition> keys = await Manager(parse, kafka: false).ListAsync(parse.GetValue(s_listTopic), cancellationToken);
            if (parse.GetValue(s_json))
            {
                output.WriteLine(JsonSerializer.Serialize([.. keys.Select(k => new LedgerRow(k.Topic, k.Partition, k.NextOffset, k.Rows, k.UpdatedAt))], OperationsJsonContext.Default.ListLedgerRow));
                return ExitCodes.Ok;
            }

            if (keys.Count == 0)
            {
                output.WriteLine("no ledger rows for this table");
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("topic", "partition", "next offset", "rows", "updated at (UTC)");
            foreach (LedgerPartition k in keys)
            {
                table.AddRow(Markup.Escape(k.Topic), $"{k.Partition}", $"{k.NextOffset}", $"{k.Rows}",
                    k.UpdatedAt?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "?");
            }

            CliConsole.Create(output).Write(table);
            return ExitCodes.Ok;
        }, cancellationToken));
        return list;
    }

    private static Command BuildReset()
    {
        var reset = new Command("reset", "Set (--to-offset) or delete (--delete) the ledger keys of a topic or one partition, in one transaction, while no loader runs. Needs --yes to change anything.");
        foreach (Option option in new Option[] { s_topic, s_partition, s_to, s_delete, s_yes })
        {
            reset.Options.Add(option);
        }

        reset.Validators.Add(result =>
        {
            if ((result.GetValue(s_delete) ? 1 : 0) + (result.GetValue(s_to) is null ? 0 : 1) != 1)
            {
                result.AddError("give exactly one of --to-offset O or --delete");
            }
        });
        reset.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            LedgerManager manager = Manager(parse, kafka: true);
            var request = new LedgerReset(parse.GetValue(s_topic)!, parse.GetValue(s_partition), parse.GetValue(s_delete) ? null : parse.GetValue(s_to));
            bool apply = parse.GetValue(s_yes);
            Dictionary<int, long>? ends = EndOffsets(CliApplication.LoadSettings(parse), parse, request.Topic);
            IReadOnlyList<LedgerResetChange> changes = await manager.ResetAsync(request, ends, apply, cancellationToken);
            foreach (LedgerResetChange c in changes)
            {
                string before = c.Before is null ? "no row" : c.RowsBefore > 1 ? $"next offset {c.Before} ({c.RowsBefore} rows)" : $"next offset {c.Before}";
                string after = c.After is null ? "no row (the loader starts at 0)" : $"next offset {c.After}";
                output.WriteLine($"{c.Topic}[{c.Partition}]: {before} -> {after} (Kafka end offset {c.EndOffset})");
            }

            output.WriteLine(apply
                ? $"reset {changes.Count} partitions of {request.Topic} in ledger {manager.LedgerTable}"
                : $"would reset {changes.Count} partitions of {request.Topic} in ledger {manager.LedgerTable}; nothing changed: add --yes to apply");
            return ExitCodes.Ok;
        }, cancellationToken));
        return reset;
    }

    /// <summary>The topic's partitions and end offsets (high watermarks), or null when Kafka has no such topic.</summary>
    private static Dictionary<int, long>? EndOffsets(FuncIngestSettings settings, ParseResult parse, string topic)
    {
        using ILoggerFactory logs = CliApplication.Logs(parse);
        using IAdminClient admin = KafkaClients.Admin(settings, logs);
        // The metadata of all topics: asking for one by name lets a broker with
        // auto.create.topics.enable create it, and a mistyped --topic must not create a topic.
        TopicMetadata? metadata = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.FirstOrDefault(t => string.Equals(t.Topic, topic, StringComparison.Ordinal));
        if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
        {
            return null;
        }

        using IConsumer<byte[], byte[]> consumer = KafkaClients.Build(KafkaClients.Consumer(settings.ConsumerConfig(), logs), settings);
        return metadata.Partitions.ToDictionary(
            p => p.PartitionId,
            p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), TimeSpan.FromSeconds(10)).High.Value);
    }

    private static LedgerManager Manager(ParseResult parse, bool kafka)
    {
        FuncIngestSettings settings = CliApplication.LoadSettings(parse);
        settings.Validate(kafka: kafka, databend: true, stage: true);
        return new LedgerManager(Clients.Databend(settings), Clients.Stage(settings), settings.Staging, settings.Loader);
    }
}
