using System.Globalization;
using Databend.Client;
using FuncIngest.Loading;
using FuncIngest.Staging;

namespace FuncIngest.Operations;

/// <summary>
/// Lists and resets a table's keys in the offset ledger (<see cref="LoaderOptions.LedgerTable"/>).
/// Shared by <c>funcingest ledger</c> and, through Core, by any host.
/// </summary>
/// <remarks>
/// <para>The ledger may hold more than one row per key (two loaders inserting a partition's first
/// row at once); readers take the largest next_offset. A reset therefore replaces all rows of a
/// key: one explicit transaction deletes them and inserts one row with the new offset. Databend
/// runs DELETE and INSERT inside an explicit transaction (databendlabs/databend:
/// src/query/ast/src/ast/statements/statement.rs, <c>allowed_in_multi_statement</c> lists
/// <c>Delete</c> and <c>Insert</c>; any other statement would commit the transaction first,
/// src/query/service/src/interpreters/interpreter.rs, <c>auto_commit_if_not_allowed_in_transaction</c>),
/// and a DELETE followed by an INSERT on one table in one transaction commits both
/// (tests/sqllogictests/suites/base/issues/issue_18159.test). Readers never see the key without
/// a row, and a load transaction that claimed the key's rows (its UPDATE rewrote their segments)
/// and commits after the reset fails with 4001 and plans again from the new row, since the
/// reset's DELETE removed those segments (the commit rule in <see cref="TableLoader"/>).</para>
/// <para>A reset holds the table's loader lease, as quarantine release does: no load pass of
/// this table runs while the ledger changes, and a reset while a loader holds the lease is
/// refused before anything changes.</para>
/// <para>The refill ledger (<c>{LedgerTable}_refill</c>) is never touched: its keys are units of
/// released or replayed records (<see cref="RefillArea"/>), not positions in a partition, and
/// deleting one would let the same release or replay load its records a second time.</para>
/// </remarks>
public sealed class LedgerManager
{
    private const int MaxAttempts = 5;

    // updated_at is written and read as UTC text, as the loader writes it.
    private const string Utc = "SET timezone = 'UTC'";

    private readonly Func<DatabendClient> _clientFactory;
    private readonly StagingOptions _staging;
    private readonly LoaderOptions _options;
    private readonly TableLoader _loader;
    private readonly TimeProvider _time;

    /// <summary>Creates a manager over a table's ledger keys.</summary>
    /// <param name="clientFactory">Makes a Databend session.</param>
    /// <param name="store">The stage (it holds the loader lease).</param>
    /// <param name="staging">The staging options (table).</param>
    /// <param name="loader">The loader options (ledger table).</param>
    /// <param name="timeProvider">Clock for updated_at.</param>
    public LedgerManager(Func<DatabendClient> clientFactory, IStageStore store, StagingOptions staging, LoaderOptions loader, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(clientFactory);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(staging);
        ArgumentNullException.ThrowIfNull(loader);
        _loader = new TableLoader(clientFactory, store, staging, loader);
        _clientFactory = clientFactory;
        _staging = staging;
        _options = loader;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The ledger's name.</summary>
    public string LedgerTable => _options.LedgerTable;

    /// <summary>The table's ledger keys, one per topic and partition (duplicated rows at their largest next offset), by topic and partition.</summary>
    /// <param name="topic">Only this topic, or null for all.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<LedgerPartition>> ListAsync(string? topic = null, CancellationToken cancellationToken = default)
    {
        using DatabendClient client = _clientFactory();
        await client.ExecuteAsync(Utc, cancellationToken).ConfigureAwait(false);
        return [.. (await ReadAsync(client, topic, cancellationToken).ConfigureAwait(false)).Values
            .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition)];
    }

    /// <summary>
    /// Checks a reset against Kafka and the ledger and, when <paramref name="apply"/>, applies it
    /// (see the remarks of <see cref="LedgerManager"/>). Without <paramref name="apply"/> nothing changes.
    /// </summary>
    /// <param name="reset">What to reset.</param>
    /// <param name="endOffsets">The topic's partitions in Kafka with their end offsets (high watermarks), or null when Kafka has no such topic.</param>
    /// <param name="apply">False: only say what would change.</param>
    /// <param name="cancellationToken">Cancels the reset; a transaction without COMMIT changes nothing.</param>
    /// <returns>The keys changed (or that would change), by partition.</returns>
    /// <exception cref="OperationRefusedException">
    /// The topic or partition is not in Kafka, or the offset is below 0 or above the partition's
    /// end offset (usage errors); or the table's loader holds its lease. Nothing changed. Or,
    /// after the reset committed, a key read back differs: a loader without the lease moved it.
    /// </exception>
    public async Task<IReadOnlyList<LedgerResetChange>> ResetAsync(LedgerReset reset, IReadOnlyDictionary<int, long>? endOffsets, bool apply, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reset);
        List<int> partitions = Check(reset, endOffsets);
        if (!apply)
        {
            return await PlanAsync(reset, partitions, endOffsets!, cancellationToken).ConfigureAwait(false);
        }

        IStageLock lease = await _loader.TryLeaseAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new OperationRefusedException($"the loader of table {_staging.Table} holds its lease (a load pass is running); the ledger was not changed, stop the hosts and try again", isUsageError: false);
        await using (lease.ConfigureAwait(false))
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    return await ApplyAsync(reset, partitions, endOffsets!, cancellationToken).ConfigureAwait(false);
                }
                catch (DatabendException e) when (e.IsTransient && attempt < MaxAttempts && !cancellationToken.IsCancellationRequested)
                {
                    // A loader without the lease (internal stage: the lease is per process)
                    // committed to these keys first (4001), or Databend failed transiently: the
                    // transaction committed nothing, so read and try again.
                    await lease.RenewAsync(cancellationToken).ConfigureAwait(false);
                    await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), _time, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static List<int> Check(LedgerReset reset, IReadOnlyDictionary<int, long>? endOffsets)
    {
        if (endOffsets is null || endOffsets.Count == 0)
        {
            throw new OperationRefusedException($"topic {reset.Topic} is not in Kafka; the ledger was not changed", isUsageError: true);
        }

        if (reset.Partition is { } one && !endOffsets.ContainsKey(one))
        {
            throw new OperationRefusedException($"partition {one} of topic {reset.Topic} is not in Kafka (it has partitions {string.Join(", ", endOffsets.Keys.Order())}); the ledger was not changed", isUsageError: true);
        }

        List<int> partitions = reset.Partition is { } p ? [p] : [.. endOffsets.Keys.Order()];
        if (reset.ToOffset is { } to)
        {
            if (to < 0)
            {
                throw new OperationRefusedException($"--to-offset {to} is below 0; the ledger was not changed", isUsageError: true);
            }

            foreach (int partition in partitions)
            {
                if (to > endOffsets[partition])
                {
                    // Past the end, the ledger would claim offsets Kafka has not written: records
                    // produced there later would be skipped as loaded.
                    throw new OperationRefusedException($"--to-offset {to} is above the end offset {endOffsets[partition]} of {reset.Topic}[{partition}]; the ledger was not changed", isUsageError: true);
                }
            }
        }

        return partitions;
    }

    private async Task<IReadOnlyList<LedgerResetChange>> PlanAsync(LedgerReset reset, List<int> partitions, IReadOnlyDictionary<int, long> endOffsets, CancellationToken cancellationToken)
    {
        using DatabendClient client = _clientFactory();
        await client.ExecuteAsync(Utc, cancellationToken).ConfigureAwait(false);
        Dictionary<(string, int), LedgerPartition> before = await ReadAsync(client, reset.Topic, cancellationToken).ConfigureAwait(false);
        return Changes(reset, partitions, endOffsets, before);
    }

    private async Task<IReadOnlyList<LedgerResetChange>> ApplyAsync(LedgerReset reset, List<int> partitions, IReadOnlyDictionary<int, long> endOffsets, CancellationToken cancellationToken)
    {
        using DatabendClient client = _clientFactory();
        await client.ExecuteAsync(Utc, cancellationToken).ConfigureAwait(false);
        string table = DatabendSql.QuoteString(_staging.Table);
        string topic = DatabendSql.QuoteString(reset.Topic);
        string ledger = DatabendSql.QuoteIdentifier(_options.LedgerTable);
        string keys = string.Join(", ", partitions.Select(p => p.ToString(CultureInfo.InvariantCulture)));
        Dictionary<(string, int), LedgerPartition> before;
        DatabendTransaction transaction = await client.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            // Read inside the transaction, before its first write: what the report says was there.
            before = await ReadAsync(client, reset.Topic, cancellationToken).ConfigureAwait(false);
            await client.ExecuteAsync(
                $"DELETE FROM {ledger} WHERE target_table = {table} AND topic = {topic} AND kpartition IN ({keys})",
                cancellationToken).ConfigureAwait(false);
            if (reset.ToOffset is { } to)
            {
                string now = DatabendSql.QuoteString(_time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
                string offset = to.ToString(CultureInfo.InvariantCulture);
                string values = string.Join(", ", partitions.Select(p => $"({table}, {topic}, {p.ToString(CultureInfo.InvariantCulture)}, {offset}, {now})"));
                await client.ExecuteAsync(
                    $"INSERT INTO {ledger} (target_table, topic, kpartition, next_offset, updated_at) VALUES {values}",
                    cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (reset.ToOffset is { } set)
        {
            // A key without rows has no segment for the DELETE to claim, so a loader without the
            // lease that inserted its first row meanwhile commits too (appends merge); the
            // largest value would then win. Say so rather than report a reset that did not take.
            Dictionary<(string, int), LedgerPartition> after = await ReadAsync(client, reset.Topic, cancellationToken).ConfigureAwait(false);
            foreach (int partition in partitions)
            {
                if (after.GetValueOrDefault((reset.Topic, partition)) is { } now && now.NextOffset != set)
                {
                    throw new OperationRefusedException($"a loader moved {reset.Topic}[{partition}] to {now.NextOffset} while the reset ran (is a host still running?); stop every host and reset again", isUsageError: false);
                }
            }
        }

        return Changes(reset, partitions, endOffsets, before);
    }

    private static List<LedgerResetChange> Changes(LedgerReset reset, List<int> partitions, IReadOnlyDictionary<int, long> endOffsets, Dictionary<(string, int), LedgerPartition> before) =>
        [.. partitions.Select(p =>
        {
            LedgerPartition? was = before.GetValueOrDefault((reset.Topic, p));
            return new LedgerResetChange(reset.Topic, p, was?.NextOffset, was?.Rows ?? 0, reset.ToOffset, endOffsets[p]);
        })];

    private async Task<Dictionary<(string, int), LedgerPartition>> ReadAsync(DatabendClient client, string? topic, CancellationToken cancellationToken)
    {
        string filter = topic is null ? string.Empty : $" AND topic = {DatabendSql.QuoteString(topic)}";
        DatabendResult rows = await client.ExecuteAsync(
            $"SELECT topic, kpartition, next_offset, updated_at FROM {DatabendSql.QuoteIdentifier(_options.LedgerTable)} WHERE target_table = {DatabendSql.QuoteString(_staging.Table)}{filter}",
            cancellationToken).ConfigureAwait(false);
        var keys = new Dictionary<(string, int), LedgerPartition>();
        foreach (DatabendRow row in rows.Rows)
        {
            (string, int) key = (row.GetString(0), row.GetInt32(1));
            long next = row.GetInt64(2);
            DateTime? updated = row.IsNull(3) ? null : row.GetDateTime(3);
            keys[key] = keys.TryGetValue(key, out LedgerPartition? seen)
                ? seen with { NextOffset = Math.Max(seen.NextOffset, next), Rows = seen.Rows + 1, UpdatedAt = Max(seen.UpdatedAt, updated) }
                : new LedgerPartition(key.Item1, key.Item2, next, 1, updated);
        }

        return keys;
    }

    private static DateTime? Max(DateTime? a, DateTime? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
