using System.CommandLine;
using Databend.Client;
using FuncIngest.Hosting;
using FuncIngest.Loading;
using FuncIngest.Ndjson;

namespace FuncIngest.Cli.Commands;

/// <summary>
/// <c>funcingest verify</c> (raw mode): no (kpartition, koffset) twice, and no row beyond what the
/// ledger says is loaded. Offsets missing below the ledger are reported but are not errors:
/// compacted and transactional topics have gaps, and dead letters leave gaps by design.
/// </summary>
internal static class VerifyCommand
{
    public static Command Build()
    {
        var command = new Command("verify", "Check the table against the ledger (raw mode): no duplicate (kpartition, koffset), no row the ledger does not cover. Exit 1 on a problem.");
        command.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            FuncIngestSettings settings = CliApplication.LoadSettings(parse);
            settings.Validate(kafka: false, databend: true, stage: false);
            if (settings.Staging.Encoding.Mode != RecordMode.Raw)
            {
                throw new FuncIngestConfigurationException("FuncIngest:Staging:Encoding:Mode", "verify checks raw-mode tables (koffset, kpartition); the table is in transform mode.");
            }

            Func<DatabendClient> clients = Clients.Databend(settings);
            var loader = new TableLoader(clients, Clients.Stage(settings), settings.Staging, settings.Loader);
            IReadOnlyList<LedgerEntry> ledger = await loader.ReadLedgerAsync(cancellationToken);
            var seen = new Dictionary<int, HashSet<long>>();
            long duplicates = 0, rows = 0;
            using (DatabendClient client = clients())
            {
                await foreach (DatabendRow row in client.QueryAsync($"SELECT kpartition, koffset FROM {DatabendSql.QuoteIdentifier(settings.Staging.Table)}", cancellationToken))
                {
                    rows++;
                    int partition = row.GetInt32(0);
                    if (!seen.TryGetValue(partition, out HashSet<long>? offsets))
                    {
                        seen[partition] = offsets = [];
                    }

                    if (!offsets.Add(row.GetInt64(1)))
                    {
                        duplicates++;
                    }
                }
            }

            long beyond = 0, gaps = 0;
            foreach ((int partition, HashSet<long> offsets) in seen)
            {
                long next = ledger.Where(e => e.Partition == partition).Select(e => e.NextOffset).DefaultIfEmpty(0).Max();
                beyond += offsets.Count(o => o >= next);
                gaps += offsets.Count == 0 ? 0 : (Math.Min(offsets.Max() + 1, next) - offsets.Min()) - offsets.Count(o => o < next);
            }

            output.WriteLine($"{settings.Staging.Table}: {rows} rows in {seen.Count} partitions; duplicates {duplicates}; rows beyond the ledger {beyond}; offsets missing below the ledger {gaps} (gaps are normal for compacted or transactional topics and dead letters)");
            bool ok = duplicates == 0 && beyond == 0;
            output.WriteLine(ok ? "verify: OK" : "verify: PROBLEM");
            return ok ? ExitCodes.Ok : ExitCodes.ProblemFound;
        }));
        return command;
    }
}
