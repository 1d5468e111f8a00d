using System.CommandLine;
using System.Text.Json;
using Databend.Client;
using FuncIngest.Hosting;
using FuncIngest.Loading;
using FuncIngest.Ndjson;

namespace FuncIngest.Cli.Commands;

/// <summary>
/// <c>funcingest verify</c> (raw mode): no (topic, partition, offset) twice, and no row beyond
/// what the ledger row of its topic and partition says is loaded. Offsets missing below the
/// ledger are reported but are not errors: compacted and transactional topics have gaps,
/// retention removes the oldest offsets, and dead letters leave gaps by design.
/// </summary>
internal static class VerifyCommand
{
    public static Command Build()
    {
        var command = new Command("verify", "Check the table against the ledger (raw mode): no (topic, partition, offset) twice, no row the ledger does not cover. Exit 1 on a problem.");
        command.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            FuncIngestSettings settings = CliApplication.LoadSettings(parse);
            settings.Validate(kafka: false, databend: true, stage: false);
            if (settings.Staging.Encoding.Mode != RecordMode.Raw)
            {
                throw new FuncIngestConfigurationException("FuncIngest:Staging:Encoding:Mode", "verify checks raw-mode tables (record_metadata, koffset); the table is in transform mode.");
            }

            Func<DatabendClient> clients = Clients.Databend(settings);
            // The ledger may hold several rows per partition by design; ReadLedgerAsync takes the largest next offset of each.
            var loader = new TableLoader(clients, new LedgerOnlyStage(), settings.Staging, settings.Loader);
            Dictionary<(string Topic, int Partition), long> ledger = (await loader.ReadLedgerAsync(cancellationToken)).ToDictionary(e => (e.Topic, e.Partition), e => e.NextOffset);
            var seen = new Dictionary<(string Topic, int Partition), HashSet<long>>();
            var duplicates = new Dictionary<string, long>(StringComparer.Ordinal);
            using (DatabendClient client = clients())
            {
                // The topic is in record_metadata only: kpartition and koffset alone collide when one table holds several topics.
                await foreach (DatabendRow row in client.QueryAsync($"SELECT record_metadata, kpartition, koffset FROM {DatabendSql.QuoteIdentifier(settings.Staging.Table)}", cancellationToken))
                {
                    (string, int) key = (TopicOf(row[0]), row.GetInt32(1));
                    if (!seen.TryGetValue(key, out HashSet<long>? offsets))
                    {
                        seen[key] = offsets = [];
                    }

                    if (!offsets.Add(row.GetInt64(2)))
                    {
                        duplicates[key.Item1] = duplicates.GetValueOrDefault(key.Item1) + 1;
                    }
                }
            }

            var topics = seen.Keys.Concat(ledger.Keys).Select(k => k.Topic).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var lines = new List<(string Topic, Totals Totals)>();
            foreach (string topic in topics)
            {
                var totals = new Totals { Duplicates = duplicates.GetValueOrDefault(topic) };
                foreach ((string, int) key in seen.Keys.Concat(ledger.Keys).Where(k => k.Topic == topic).Distinct())
                {
                    HashSet<long> offsets = seen.GetValueOrDefault(key) ?? [];
                    long next = ledger.GetValueOrDefault(key, 0);
                    totals.Partitions++;
                    totals.Rows += offsets.Count;
                    totals.Beyond += offsets.Count(o => o >= next);
                    // Counted from offset 0: what the table lacks of [0, next).
                    totals.Missing += next - offsets.Count(o => o < next);
                }

                totals.Rows += totals.Duplicates;
                lines.Add((topic, totals));
            }

            var all = new Totals
            {
                Rows = lines.Sum(l => l.Totals.Rows),
                Partitions = lines.Sum(l => l.Totals.Partitions),
                Duplicates = lines.Sum(l => l.Totals.Duplicates),
                Beyond = lines.Sum(l => l.Totals.Beyond),
                Missing = lines.Sum(l => l.Totals.Missing),
            };
            output.WriteLine($"{settings.Staging.Table}: {all.Describe(lines.Count)} (gaps are normal for compacted or transactional topics, retention and dead letters)");
            if (lines.Count > 1)
            {
                foreach ((string topic, Totals totals) in lines)
                {
                    output.WriteLine($"  topic {(topic.Length == 0 ? "(none in record_metadata)" : topic)}: {totals.Describe(1)}");
                }
            }

            bool ok = all.Duplicates == 0 && all.Beyond == 0;
            output.WriteLine(ok ? "verify: OK" : "verify: PROBLEM");
            return ok ? ExitCodes.Ok : ExitCodes.ProblemFound;
        }, cancellationToken));
        return command;
    }

    /// <summary>The <c>topic</c> of a row's record_metadata; empty for rows without one (written by another tool).</summary>
    private static string TopicOf(string? metadata)
    {
        if (metadata is null)
        {
            return string.Empty;
        }

        using JsonDocument document = JsonDocument.Parse(metadata);
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("topic", out JsonElement topic) && topic.ValueKind == JsonValueKind.String
            ? topic.GetString()!
            : string.Empty;
    }

    private sealed class Totals
    {
        public long Rows { get; set; }

        public int Partitions { get; set; }

        public long Duplicates { get; set; }

        public long Beyond { get; set; }

        public long Missing { get; set; }

        public string Describe(int topics) =>
            $"{Rows} rows in {Partitions} partitions{(topics == 1 ? string.Empty : $" of {topics} topics")}; duplicates {Duplicates}; rows beyond the ledger {Beyond}; offsets missing below the ledger {Missing}";
    }
}
