using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Databend.Client;
using FuncIngest.Internal;
using FuncIngest.Staging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FuncIngest.Loading;

/// <summary>
/// Loads one table's staged files exactly once, with any number of loaders running at once
/// (two <c>funcingest run</c> processes, a replaced orchestration, a sweep racing a batch).
/// A per-table lease in the stage makes that rare; the ledger protocol below makes it harmless.
/// </summary>
/// <remarks>
/// <para>Databend's commit rule (databendlabs/databend: src/query/storages/fuse/src/retry/commit.rs
/// and retry/diff.rs; src/query/storages/common/session/src/transaction.rs): reads are not
/// pinned, a table's base is fixed by the transaction's first write to it, and at COMMIT the
/// changes are merged onto the latest snapshot, failing with 4001 only when a segment the
/// transaction rewrote is gone. Appends always merge. So a blind upsert of the ledger does not
/// stop two loaders from committing the same offsets.</para>
/// <para>One pass, for the partitions of up to <see cref="LoaderOptions.MaxFilesPerLoad"/> files:</para>
/// <list type="number">
/// <item>Outside the transaction, every partition gets a ledger row (INSERT of next_offset 0 where
/// none was seen). Two loaders may both insert one: duplicates are tolerated, the largest
/// next_offset of a key is its value.</item>
/// <item>BEGIN, then UPDATE the partitions' ledger rows (updated_at only). This first write pins
/// the ledger's base and rewrites every segment that holds those rows: from here on the
/// transaction reads the ledger as of its base, and any other transaction that commits a change
/// to those rows makes this COMMIT fail with 4001 (and the reverse).</item>
/// <item>Read the ledger (pinned), plan each file in offset order per partition (skip when
/// loaded, load it whole, or a trimmed copy of the offsets not yet loaded), COPY INTO with
/// FORCE = TRUE (the ledger, not COPY's 24-hour load history, decides), check each file's row
/// count, UPDATE the ledger rows to the new next offsets, COMMIT only in txn_state Active.</item>
/// <item>4001, 2011, a lost reply or an unknown transaction state: retry from step 1. A retry
/// re-reads the ledger, so a COMMIT that did land is found there and its files are skipped.</item>
/// </list>
/// <para>Errors: a COPY refused for a file's content (1046 BadBytes with the line, 1076) dead-letters
/// that one line and loads the rest of the file; a file that cannot be read at all is quarantined.
/// Anything else (storage credentials, a missing table, permissions) fails the pass with every
/// file left staged.</para>
/// </remarks>
public sealed class TableLoader
{
    /// <summary>After this many lines of one file are refused in one pass, the file is quarantined instead.</summary>
    public const int MaxRejectedLinesPerFile = 100;

    // The last ledger values read, per ledger, table and partition, for the lag gauge while
    // Databend cannot be read. Process-wide: hosts make a new loader for every load run.
    private static readonly ConcurrentDictionary<(string Ledger, string Table, string Topic, int Partition), long> s_lastNext = new();

    private static readonly Regex s_badLine = new(@"at file '(?<file>[^']*)', line (?<line>\d+)", RegexOptions.CultureInvariant);
    private readonly Func<DatabendClient> _clientFactory;
    private readonly IStageStore _store;
    private readonly StagingOptions _staging;
    private readonly LoaderOptions _options;
    private readonly StageLayout _layout;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    // Partitions whose ledger row this loader has seen: rows are never deleted, so step 1's
    // read-and-insert is needed only for a partition not seen yet (one round trip less per pass).
    private readonly HashSet<(string Topic, int Partition)> _ledgerRowsSeen = [];

    /// <summary>Creates a loader; options are validated here.</summary>
    /// <param name="clientFactory">Makes a Databend session; the loader disposes what it gets.</param>
    /// <param name="store">The stage.</param>
    /// <param name="staging">The staging options (table, prefix, compression).</param>
    /// <param name="options">The loader options.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="timeProvider">Clock.</param>
    public TableLoader(Func<DatabendClient> clientFactory, IStageStore store, StagingOptions staging, LoaderOptions options, ILogger<TableLoader>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(clientFactory);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(staging);
        ArgumentNullException.ThrowIfNull(options);
        staging.Validate();
        options.Validate();
        if (string.Equals(staging.Table, options.LedgerTable, StringComparison.OrdinalIgnoreCase))
        {
            // Loading stage files into the ledger would let their content decide what is skipped.
            throw new FuncIngestConfigurationException($"{StagingOptions.Section}:Table", $"'{staging.Table}' is the ledger table ({LoaderOptions.Section}:LedgerTable); FuncIngest never loads staged files into it.");
        }

        _clientFactory = clientFactory;
        _store = store;
        _staging = staging;
        _options = options;
        _layout = staging.Layout;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Prefix of trimmed copies of partly loaded files.</summary>
    public string TrimmedPrefix => _layout.Prefix.Length == 0 ? "_trimmed" : $"{_layout.Prefix}/_trimmed";

    /// <summary>Loads the staged files of the table, one transaction per <see cref="LoaderOptions.MaxFilesPerLoad"/> files, until none is left.</summary>
    public async Task<LoadResult> LoadAllAsync(CancellationToken cancellationToken = default)
    {
        var total = new LoadResult();
        while (true)
        {
            LoadResult pass = await LoadPendingAsync(cancellationToken).ConfigureAwait(false);
            total.Loaded.AddRange(pass.Loaded);
            total.Skipped.AddRange(pass.Skipped);
            total.Quarantined.AddRange(pass.Quarantined);
            total.DeadLettered.AddRange(pass.DeadLettered);
            total.NotStaged.AddRange(pass.NotStaged.Where(p => !total.NotStaged.Contains(p, StringComparer.Ordinal)));
            total.RowsLoaded += pass.RowsLoaded;
            total.Retries += pass.Retries;
            total.Busy |= pass.Busy;
            if (!pass.MoreRemaining || pass.Busy || pass.Loaded.Count + pass.Skipped.Count + pass.Quarantined.Count == 0)
            {
                total.MoreRemaining = pass.MoreRemaining;
                return total;
            }
        }
    }

    /// <summary>Loads up to <see cref="LoaderOptions.MaxFilesPerLoad"/> staged files in one transaction.</summary>
    /// <exception cref="DatabendException">
    /// Databend stayed unreachable or conflicting through every attempt (transient: try again later),
    /// or refused for a reason that is not the files' content (an environment error: fix what the
    /// message names). Either way the files stay staged.
    /// </exception>
    public async Task<LoadResult> LoadPendingAsync(CancellationToken cancellationToken = default)
    {
        var result = new LoadResult();
        IStageLock? lease = await TryLeaseAsync(cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            // Another loader holds the table: it will load what is staged. Correctness does not
            // depend on the lease, only the wasted work of two loaders racing does.
            result.Busy = true;
            result.MoreRemaining = true;
            Log.LoaderBusy(_logger, _staging.Table);
            return result;
        }

        await using (lease.ConfigureAwait(false))
        {
            List<PendingFile> pending = await ListPendingAsync(result.NotStaged, cancellationToken).ConfigureAwait(false);
            foreach (PendingFile bad in pending.Where(p => p.Problem is not null).ToList())
            {
                // A name whose metadata disagrees (or an empty object) must not move the ledger.
                await QuarantineAsync(bad, $"the file does not agree with its name: {bad.Problem}", result, cancellationToken).ConfigureAwait(false);
                pending.Remove(bad);
            }

            if (pending.Count == 0)
            {
                return result;
            }

            List<PendingFile> batch = [.. pending.Take(_options.MaxFilesPerLoad)];
            result.MoreRemaining = pending.Count > batch.Count;
            try
            {
                await LoadBatchAsync(batch, result, lease, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Databend down or refusing: the ledger cannot be read now, but the files are
                // still staged, so the gauge shows them against the last ledger values seen.
                RecordLag(pending, LastNextOffsets());
                throw;
            }

            await RecordLagAsync(pending, cancellationToken).ConfigureAwait(false);
        }

        Log.Loaded(_logger, result.Loaded.Count, result.RowsLoaded, _staging.Table, result.Skipped.Count);
        return result;
    }

    /// <summary>The ledger rows of this table, one per partition (duplicated rows count once, at their largest next offset).</summary>
    public async Task<IReadOnlyList<LedgerEntry>> ReadLedgerAsync(CancellationToken cancellationToken = default)
    {
        using DatabendClient client = _clientFactory();
        return [.. (await ReadLedgerAsync(client, cancellationToken).ConfigureAwait(false)).Select(e => new LedgerEntry(e.Key.Topic, e.Key.Partition, e.Value))];
    }

    private async Task<Dictionary<(string Topic, int Partition), long>> ReadLedgerAsync(DatabendClient client, CancellationToken cancellationToken)
    {
        DatabendResult rows = await client.ExecuteAsync(
            $"SELECT topic, kpartition, next_offset FROM {Ledger} WHERE target_table = {DatabendSql.QuoteString(_staging.Table)}",
            cancellationToken).ConfigureAwait(false);
        var next = new Dictionary<(string, int), long>();
        foreach (DatabendRow row in rows.Rows)
        {
            (string, int) key = (row.GetString(0), row.GetInt32(1));
            long value = row.GetInt64(2);
            next[key] = next.TryGetValue(key, out long seen) ? Math.Max(seen, value) : value;
        }

        foreach (((string topic, int partition), long value) in next)
        {
            s_lastNext[(_options.LedgerTable, _staging.Table, topic, partition)] = value;
        }

        return next;
    }

    private string Ledger => DatabendSql.QuoteIdentifier(_options.LedgerTable);

    /// <summary>The next offset per partition of this table, as the loader plans with it (duplicated rows at their largest value).</summary>
    internal async Task<Dictionary<(string Topic, int Partition), long>> ReadNextOffsetsAsync(CancellationToken cancellationToken)
    {
        using DatabendClient client = _clientFactory();
        return await ReadLedgerAsync(client, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The table's load lease, or null when another loader (or a release or replay) holds it past the lock timeout.</summary>
    internal async Task<IStageLock?> TryLeaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _store.LockAsync(_layout.TableLoaderLock, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Updates the lag gauge: per partition, highest staged offset + 1 minus the ledger's next offset.</summary>
    private async Task RecordLagAsync(List<PendingFile> pending, CancellationToken cancellationToken)
    {
        Dictionary<(string Topic, int Partition), long> next = await ReadNextOffsetsAsync(cancellationToken).ConfigureAwait(false);
        LedgerAfterLoad = next;
        RecordLag(pending, next);
    }

    /// <summary>The ledger as the last pass of this loader read it after loading (committed state), or null when no pass loaded anything.</summary>
    internal IReadOnlyDictionary<(string Topic, int Partition), long>? LedgerAfterLoad { get; private set; }

    /// <summary>
    /// The lag gauge from a stage listing and ledger values. A partition with no ledger value
    /// known counts from its lowest staged offset: loaded files are deleted after COMMIT, so
    /// staged files are, but for a crash in between, not loaded yet.
    /// </summary>
    private void RecordLag(List<PendingFile> pending, Dictionary<(string Topic, int Partition), long> next)
    {
        foreach (IGrouping<(string Topic, int Partition), PendingFile> partition in pending.GroupBy(p => (p.Name.Topic, p.Name.Partition)))
        {
            long stagedHigh = partition.Max(p => p.Name.LastOffset) + 1;
            long loadedTo = next.TryGetValue(partition.Key, out long known) ? known : partition.Min(p => p.Name.FirstOffset);
            FuncIngestMetrics.LedgerLag[(_staging.Table, partition.Key.Topic, partition.Key.Partition)] = Math.Max(0, stagedHigh - loadedTo);
        }
    }

    /// <summary>The ledger values any loader of this table in this process read last (hosts make a new loader for every load run).</summary>
    private Dictionary<(string Topic, int Partition), long> LastNextOffsets() =>
        s_lastNext.Where(e => e.Key.Ledger == _options.LedgerTable && e.Key.Table == _staging.Table)
            .ToDictionary(e => (e.Key.Topic, e.Key.Partition), e => e.Value);

    private async Task<List<PendingFile>> ListPendingAsync(List<string>? notStaged, CancellationToken cancellationToken)
    {
        var files = new List<PendingFile>();
        await foreach (StagedObject staged in _store.ListAsync($"{(_layout.Prefix.Length == 0 ? string.Empty : _layout.Prefix + "/")}{_layout.Table}/", cancellationToken).ConfigureAwait(false))
        {
            if (StageFileName.TryParse(staged.Path, out StageFileName? name) && name.Table == _layout.Table && name.Prefix == _layout.Prefix)
            {
                files.Add(new PendingFile(name, staged) { Problem = StageFiles.Disagreement(name, staged) });
            }
            else if (notStaged is not null
                && !(staged.Path.EndsWith(StageMetadata.SidecarSuffix, StringComparison.Ordinal)
                    && StageFileName.TryParse(staged.Path[..^StageMetadata.SidecarSuffix.Length], out _)))
            {
                notStaged.Add(staged.Path);
                Log.NotAStagedFile(_logger, staged.Path, _staging.Table);
            }
        }

        // Per partition in offset order (I4); partitions one after another.
        return [.. files.OrderBy(f => f.Name.Topic, StringComparer.Ordinal).ThenBy(f => f.Name.Partition).ThenBy(f => f.Name.FirstOffset)];
    }

    private async Task LoadBatchAsync(List<PendingFile> batch, LoadResult result, IStageLock lease, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await LoadInTransactionAsync(batch, result, lease, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (DatabendException e) when (e.IsTransient && attempt < _options.MaxTransactionAttempts && !cancellationToken.IsCancellationRequested)
            {
                result.Retries++;
                FuncIngestMetrics.TransactionRetries.Add(1);
                TimeSpan delay = Backoff(attempt);
                if (e.IsConflict)
                {
                    Log.LostCommitRace(_logger, _staging.Table, e.ServerCode ?? 0, attempt, _options.MaxTransactionAttempts, (long)delay.TotalMilliseconds);
                }
                else
                {
                    Log.LoadRetry(_logger, e, _staging.Table, attempt, _options.MaxTransactionAttempts, (long)delay.TotalMilliseconds);
                }

                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (DatabendException e) when (!e.IsTransient && attempt < _options.MaxTransactionAttempts)
            {
                if (!await RemoveVanishedAsync(batch, cancellationToken).ConfigureAwait(false))
                {
                    throw;
                }

                // A file of the batch is gone: another loader (without the lease) loaded and
                // deleted it while this one planned, and COPY failed on it. Not an environment
                // error: plan again without it (the ledger covers its offsets).
                result.Retries++;
                Log.LostCommitRace(_logger, _staging.Table, e.ServerCode ?? 0, attempt, _options.MaxTransactionAttempts, 0);
                if (batch.Count == 0)
                {
                    return;
                }
            }
            catch (BadLineException e) when (e.File.File.Rejected.Count < MaxRejectedLinesPerFile)
            {
                // One record Databend refuses costs that record, not its file (I7): dead-letter it
                // and plan again without it. Not an attempt: every round removes one line.
                await DeadLetterLineAsync(e, result, cancellationToken).ConfigureAwait(false);
                attempt--;
            }
            catch (BadLineException e)
            {
                await QuarantineAsync(e.File.File, $"more than {MaxRejectedLinesPerFile} lines refused; last: {e.Message}", result, cancellationToken).ConfigureAwait(false);
                batch.Remove(e.File.File);
                if (batch.Count == 0)
                {
                    return;
                }

                attempt--;
            }
            catch (BadFileException e) when (batch.Count > 1 && e.File is null)
            {
                // The failure does not say which file: load the files one by one to find it.
                foreach (PendingFile file in batch)
                {
                    await LoadBatchAsync([file], result, lease, cancellationToken).ConfigureAwait(false);
                }

                return;
            }
            catch (BadFileException e)
            {
                PendingFile bad = e.File ?? batch[0];
                await QuarantineAsync(bad, e.Message, result, cancellationToken).ConfigureAwait(false);
                batch.Remove(bad);
                if (batch.Count == 0)
                {
                    return;
                }

                attempt--;
            }
        }
    }

    private async Task<bool> RemoveVanishedAsync(List<PendingFile> batch, CancellationToken cancellationToken)
    {
        var listed = (await ListPendingAsync(null, cancellationToken).ConfigureAwait(false)).Select(f => f.Name.Path).ToHashSet(StringComparer.Ordinal);
        return batch.RemoveAll(f => !listed.Contains(f.Name.Path)) > 0;
    }

    private async Task LoadInTransactionAsync(List<PendingFile> batch, LoadResult result, IStageLock lease, CancellationToken cancellationToken)
    {
        await RenewAsync(lease, cancellationToken).ConfigureAwait(false);
        var loaded = new List<PendingFile>();
        var skipped = new List<PendingFile>();
        var trimmedCopies = new List<string>();
        long rows = 0;
        try
        {
            using (DatabendClient client = _clientFactory())
            {
                // Loads write TIMESTAMP text ending in Z; parse it in UTC (a local zone would move
                // times that fall in a daylight-saving gap).
                await client.ExecuteAsync("SET timezone = 'UTC'", cancellationToken).ConfigureAwait(false);
                var keys = batch.Select(f => (f.Name.Topic, f.Name.Partition)).Distinct().ToList();
                await EnsureLedgerRowsAsync(client, keys, cancellationToken).ConfigureAwait(false);
                string now = SqlTimestamp(_time.GetUtcNow());

                DatabendTransaction transaction = await client.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    // Step 2: the first write to the ledger pins its base and claims the rows.
                    foreach (IGrouping<string, (string Topic, int Partition)> topic in keys.GroupBy(k => k.Topic))
                    {
                        DatabendResult touched = await client.ExecuteAsync(
                            $"UPDATE {Ledger} SET updated_at = {DatabendSql.QuoteString(now)} WHERE target_table = {DatabendSql.QuoteString(_staging.Table)} AND topic = {DatabendSql.QuoteString(topic.Key)} AND kpartition IN ({string.Join(", ", topic.Select(k => k.Partition.ToString(CultureInfo.InvariantCulture)))})",
                            cancellationToken).ConfigureAwait(false);
                        if ((touched.RowsUpdated ?? throw new DatabendException("Databend did not report how many ledger rows UPDATE changed (no 'number of rows updated' column); FuncIngest needs a server that does.")) < topic.Count())
                        {
                            _ledgerRowsSeen.Clear();
                            throw new DatabendException($"A ledger row of {_staging.Table}/{topic.Key} disappeared after it was created; planning again.", isTransient: true);
                        }
                    }

                    // Step 3: read as of the base, plan, copy, advance.
                    Dictionary<(string Topic, int Partition), long> next = await ReadLedgerAsync(client, cancellationToken).ConfigureAwait(false);
                    var changed = new Dictionary<(string Topic, int Partition), long>();
                    var copies = new List<Copy>();
                    foreach (PendingFile file in batch)
                    {
                        (string, int) key = (file.Name.Topic, file.Name.Partition);
                        long nextOffset = next.GetValueOrDefault(key, 0);
                        if (file.Name.LastOffset < nextOffset)
                        {
                            skipped.Add(file);
                            continue;
                        }

                        if (file.Name.FirstOffset >= nextOffset && file.Rejected.Count == 0)
                        {
                            copies.Add(new Copy(file.Name.Path, file.Name.Compression, LineCount(file), file, null));
                        }
                        else
                        {
                            Copy trimmed = await TrimAsync(file, nextOffset, cancellationToken).ConfigureAwait(false);
                            trimmedCopies.Add(trimmed.Path);
                            if (trimmed.ExpectedRows > 0)
                            {
                                copies.Add(trimmed);
                            }
                        }

                        next[key] = checked(file.Name.LastOffset + 1);
                        changed[key] = next[key];
                        loaded.Add(file);
                    }

                    foreach (IGrouping<StageCompression, Copy> group in copies.GroupBy(c => c.Compression))
                    {
                        rows += await CopyAsync(client, [.. group], cancellationToken).ConfigureAwait(false);
                    }

                    foreach (((string topic, int partition), long nextOffset) in changed)
                    {
                        DatabendResult advanced = await client.ExecuteAsync(
                            $"UPDATE {Ledger} SET next_offset = {nextOffset.ToString(CultureInfo.InvariantCulture)}, updated_at = {DatabendSql.QuoteString(now)} WHERE target_table = {DatabendSql.QuoteString(_staging.Table)} AND topic = {DatabendSql.QuoteString(topic)} AND kpartition = {partition.ToString(CultureInfo.InvariantCulture)}",
                            cancellationToken).ConfigureAwait(false);
                        if (advanced.RowsUpdated is not > 0)
                        {
                            throw new DatabendException($"The ledger row of {_staging.Table}/{topic}[{partition}] was not updated; planning again.", isTransient: true);
                        }
                    }

                    await RenewAsync(lease, cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (BadLineException e)
        {
            // Read the refused line now: a trimmed copy is deleted below.
            (e.Offset, e.Text) = await ReadLineAsync(e.File, e.Line, cancellationToken).ConfigureAwait(false);
            throw;
        }
        finally
        {
            // Trimmed copies are named per attempt; loaded or not, they are not needed again.
            foreach (string trimmed in trimmedCopies)
            {
                await DeleteQuietlyAsync(trimmed).ConfigureAwait(false);
            }
        }

        result.Loaded.AddRange(loaded.Select(f => f.Name));
        result.Skipped.AddRange(skipped.Select(f => f.Name));
        result.RowsLoaded += rows;
        FuncIngestMetrics.LoadedFiles.Add(loaded.Count, new KeyValuePair<string, object?>("outcome", "loaded"));
        FuncIngestMetrics.LoadedFiles.Add(skipped.Count, new KeyValuePair<string, object?>("outcome", "skipped"));
        FuncIngestMetrics.LoadedRows.Add(rows);

        // Committed: the files are in the table (or were already). Deleting them is cleanup; if
        // it fails, the next pass skips them by the ledger and deletes them then.
        foreach (PendingFile file in loaded.Concat(skipped))
        {
            await _store.DeleteAsync(file.Name.Path, cancellationToken).ConfigureAwait(false);
            await _store.DeleteAsync(file.Name.Path + StageMetadata.SidecarSuffix, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Step 1, in autocommit statements: a ledger row for every partition, so the transaction's
    /// first statement can claim existing rows. A row only appended inside the transaction would
    /// merge with a concurrent one at COMMIT instead of conflicting.
    /// </summary>
    private async Task EnsureLedgerRowsAsync(DatabendClient client, List<(string Topic, int Partition)> keys, CancellationToken cancellationToken)
    {
        if (keys.All(_ledgerRowsSeen.Contains))
        {
            return;
        }

        Dictionary<(string Topic, int Partition), long> existing = await ReadLedgerAsync(client, cancellationToken).ConfigureAwait(false);
        _ledgerRowsSeen.UnionWith(existing.Keys);
        List<(string Topic, int Partition)> missing = [.. keys.Where(k => !existing.ContainsKey(k))];
        if (missing.Count == 0)
        {
            return;
        }

        string now = SqlTimestamp(_time.GetUtcNow());
        string values = string.Join(", ", missing.Select(k =>
            $"({DatabendSql.QuoteString(_staging.Table)}, {DatabendSql.QuoteString(k.Topic)}, {k.Partition.ToString(CultureInfo.InvariantCulture)}, 0, {DatabendSql.QuoteString(now)})"));
        await client.ExecuteAsync(
            $"INSERT INTO {Ledger} (target_table, topic, kpartition, next_offset, updated_at) VALUES {values}",
            cancellationToken).ConfigureAwait(false);
        _ledgerRowsSeen.UnionWith(missing);
    }

    private async Task RenewAsync(IStageLock lease, CancellationToken cancellationToken)
    {
        try
        {
            await lease.RenewAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Lost the lease (a long retry outlived it): another loader may start; the ledger
            // protocol keeps both correct, so carry on.
            Log.LeaseLost(_logger, e, _staging.Table);
        }
    }

    private async Task DeleteQuietlyAsync(string path)
    {
        try
        {
            await _store.DeleteAsync(path, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.CleanupFailed(_logger, e, path);
        }
    }

    private async Task<long> CopyAsync(DatabendClient client, List<Copy> files, CancellationToken cancellationToken)
    {
        string compression = files[0].Compression switch
        {
            StageCompression.Zstd => "ZSTD",
            StageCompression.Gzip => "GZIP",
            _ => "NONE",
        };
        string list = string.Join(", ", files.Select(f => DatabendSql.QuoteString(f.Path)));
        string sql = $"COPY INTO {DatabendSql.QuoteIdentifier(_staging.Table)} FROM @{DatabendSetup.StageIdentifier(_options.StageName)} FILES = ({list}) "
            + $"FILE_FORMAT = (TYPE = NDJSON COMPRESSION = {compression} MISSING_FIELD_AS = {_options.MissingFieldAs.ToUpperInvariant()}) ON_ERROR = ABORT FORCE = TRUE";
        long started = Stopwatch.GetTimestamp();
        DatabendResult result;
        try
        {
            result = await client.ExecuteAsync(sql, cancellationToken).ConfigureAwait(false);
        }
        catch (DatabendException e) when (!e.IsTransient && e.ServerCode is BadBytesCode or InvalidCompressionDataCode)
        {
            throw ContentError(e, files);
        }
        finally
        {
            FuncIngestMetrics.CopyDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        Dictionary<string, CopyFileResult> byFile = CopyFileResult.FromResult(result).ToDictionary(r => r.File, StringComparer.Ordinal);
        long rows = 0;
        foreach (Copy copy in files)
        {
            if (!byFile.TryGetValue(copy.Path, out CopyFileResult? loaded))
            {
                // With FORCE = TRUE COPY loads every listed file; a missing one is a fault, and
                // advancing the ledger past it would lose its rows.
                throw new DatabendException($"COPY did not report file {copy.Path}; the transaction is abandoned so the ledger does not move past it.", isTransient: true);
            }

            if (loaded.ErrorsSeen > 0 || loaded.RowsLoaded != copy.ExpectedRows)
            {
                throw new BadFileException(copy.File, $"File {copy.Path} loaded {loaded.RowsLoaded} of {copy.ExpectedRows} rows with {loaded.ErrorsSeen} errors; first error (line {loaded.FirstErrorLine}): {loaded.FirstError}");
            }

            rows += loaded.RowsLoaded;
        }

        return rows;
    }

    /// <summary>
    /// A COPY refused for content: 1046 BadBytes names the file and line in its detail
    /// ("at file '...', line N", N from 0: databendlabs/databend src/common/storage/src/copy.rs,
    /// FileParseErrorAtLine::to_error_code); 1076 InvalidCompressionData names no line.
    /// </summary>
    private static Exception ContentError(DatabendException e, List<Copy> files)
    {
        Match match = s_badLine.Match(e.Detail ?? string.Empty);
        if (!match.Success)
        {
            match = s_badLine.Match(e.Message);
        }

        Copy? copy = null;
        if (match.Success)
        {
            string named = match.Groups["file"].Value;
            copy = files.FirstOrDefault(f => string.Equals(f.Path, named, StringComparison.Ordinal) || named.EndsWith("/" + f.Path, StringComparison.Ordinal) || f.Path.EndsWith("/" + named, StringComparison.Ordinal));
        }
        else if (files.Count == 1)
        {
            copy = files[0];
        }

        string reason = $"Databend error {e.ServerCode}: {e.Message}";
        if (copy is not null && match.Success && e.ServerCode == BadBytesCode
            && int.TryParse(match.Groups["line"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int line))
        {
            return new BadLineException(copy, line, reason, e);
        }

        return new BadFileException(copy?.File, reason, e);
    }

    /// <summary>Moves the refused line to the dead-letter area, with Databend's message as the reason.</summary>
    private async Task DeadLetterLineAsync(BadLineException e, LoadResult result, CancellationToken cancellationToken)
    {
        PendingFile file = e.File.File;
        long offset = e.Offset;
        byte[] line = e.Text;
        var record = new Records.IngestRecord(file.Name.Topic, file.Name.Partition, offset, key: null, value: line);
        StageFileName name = _layout.DeadLetterFile(file.Name.Topic, file.Name.Partition, offset, offset);
        using var encoder = new Ndjson.NdjsonRecordEncoder(_staging.Encoding, _time.GetUtcNow());
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        encoder.WriteDeadLetter(record, Ndjson.RejectReason.RefusedByDatabend, e.Message, _time.GetUtcNow(), buffer);
        IStageUpload upload = await _store.StartUploadAsync(name.Path, cancellationToken).ConfigureAwait(false);
        await using (upload.ConfigureAwait(false))
        {
            await upload.Content.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            string at = offset.ToString(CultureInfo.InvariantCulture);
            // Already there: an earlier pass dead-lettered this line and crashed before COMMIT.
            await upload.CommitAsync(
                new Dictionary<string, string>
                {
                    [StageMetadata.FirstOffset] = at,
                    [StageMetadata.LastOffset] = at,
                    [StageMetadata.LineCount] = "1",
                    [StageMetadata.LineOffsets] = at,
                },
                cancellationToken).ConfigureAwait(false);
        }

        file.Rejected.Add(offset);
        result.DeadLettered.Add((file.Name, offset, e.Message));
        FuncIngestMetrics.StagedRecords.Add(1, new KeyValuePair<string, object?>("outcome", "dead_lettered_at_load"));
        Log.LineRefused(_logger, file.Name.Path, offset, e.Message);
    }

    /// <summary>The offset and text of line <paramref name="line"/> (from 0) of a file as it was copied.</summary>
    private async Task<(long Offset, byte[] Line)> ReadLineAsync(Copy copy, int line, CancellationToken cancellationToken)
    {
        IReadOnlyList<long> offsets = copy.Offsets ?? [.. StageFiles.Offsets(await ReadLineOffsetsAsync(copy.File, cancellationToken).ConfigureAwait(false))];
        if (line < 0 || line >= offsets.Count)
        {
            throw new BadFileException(copy.File, $"Databend refused line {line} of {copy.Path}, which has {offsets.Count} lines.");
        }

        Stream source = StageFiles.Decompress(await _store.OpenReadAsync(copy.Path, cancellationToken).ConfigureAwait(false), copy.Compression);
        await using (source.ConfigureAwait(false))
        {
            using var reader = new StreamReader(source, Encoding.UTF8);
            try
            {
                for (int i = 0; ; i++)
                {
                    string text = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                        ?? throw new BadFileException(copy.File, $"{copy.Path} has fewer lines than its offsets metadata lists.");
                    if (i == line)
                    {
                        return (offsets[line], Encoding.UTF8.GetBytes(text));
                    }
                }
            }
            catch (Exception e) when (IsUnreadableContent(e))
            {
                throw new BadFileException(copy.File, $"File {copy.Path} cannot be decompressed: {e.Message}");
            }
        }
    }

    /// <summary>A file's line offsets, checked against its name; any fault in them quarantines the file, never fails the pass.</summary>
    private async Task<OffsetRanges> ReadLineOffsetsAsync(PendingFile file, CancellationToken cancellationToken)
    {
        try
        {
            return await StageFiles.ReadCheckedLineOffsetsAsync(_store, file.Name, file.Staged, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or OverflowException)
        {
            throw new BadFileException(file, $"File {file.Name.Path} has unreadable offsets metadata: {e.Message}");
        }
    }

    /// <summary>What decompressors throw for content that is not what its name says (not a storage error).</summary>
    private static bool IsUnreadableContent(Exception e) => e is InvalidDataException or ZstdSharp.ZstdException or DecoderFallbackException;

    /// <summary>
    /// Writes a copy of the file holding only the lines at or after <paramref name="nextOffset"/>
    /// that Databend has not refused. Named per attempt: the lines kept depend on the attempt.
    /// </summary>
    private async Task<Copy> TrimAsync(PendingFile file, long nextOffset, CancellationToken cancellationToken)
    {
        Log.Trimmed(_logger, file.Name.Path, nextOffset);
        OffsetRanges lineOffsets = await ReadLineOffsetsAsync(file, cancellationToken).ConfigureAwait(false);

        string extension = StageFileName.ExtensionOf(_staging.Compression);
        string path = string.Create(CultureInfo.InvariantCulture, $"{TrimmedPrefix}/{_layout.Table}/{file.Name.Topic}/{file.Name.Partition}/{Math.Max(nextOffset, file.Name.FirstOffset):D20}-{file.Name.LastOffset:D20}-{Guid.NewGuid():N}{extension}");
        var kept = new List<long>();
        IStageUpload upload = await _store.StartUploadAsync(path, cancellationToken).ConfigureAwait(false);
        await using (upload.ConfigureAwait(false))
        {
            Stream source = StageFiles.Decompress(await _store.OpenReadAsync(file.Name.Path, cancellationToken).ConfigureAwait(false), file.Name.Compression);
            await using (source.ConfigureAwait(false))
            {
                using var reader = new StreamReader(source, Encoding.UTF8);
                Stream output = StageFiles.Compress(upload.Content, _staging.Compression, _staging.ZstdLevel);
                try
                {
                    foreach (long offset in StageFiles.Offsets(lineOffsets))
                    {
                        string? line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false)
                            ?? throw new BadFileException(file, $"File {file.Name.Path} has fewer lines than its offsets metadata lists.");
                        if (offset >= nextOffset && !file.Rejected.Contains(offset))
                        {
                            await output.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken).ConfigureAwait(false);
                            kept.Add(offset);
                        }
                    }
                }
                catch (Exception e) when (IsUnreadableContent(e))
                {
                    throw new BadFileException(file, $"File {file.Name.Path} cannot be decompressed: {e.Message}");
                }
                finally
                {
                    if (!ReferenceEquals(output, upload.Content))
                    {
                        await output.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }

            await upload.CommitAsync(new Dictionary<string, string> { [StageMetadata.LineCount] = kept.Count.ToString(CultureInfo.InvariantCulture) }, cancellationToken).ConfigureAwait(false);
        }

        return new Copy(path, _staging.Compression, kept.Count, file, kept);
    }

    private async Task QuarantineAsync(PendingFile file, string error, LoadResult result, CancellationToken cancellationToken)
    {
        var target = new StageFileName(_layout.QuarantinePrefix, _layout.Table, file.Name.Topic, file.Name.Partition, file.Name.FirstOffset, file.Name.LastOffset, file.Name.Compression);
        string ascii = new([.. error.Select(c => c is >= ' ' and <= '~' ? c : ' ')]);
        var metadata = new Dictionary<string, string>(file.Staged.Metadata, StringComparer.OrdinalIgnoreCase)
        {
            [StageMetadata.QuarantineError] = ascii.Length > 1000 ? ascii[..1000] : ascii,
        };
        IStageUpload upload = await _store.StartUploadAsync(target.Path, cancellationToken).ConfigureAwait(false);
        await using (upload.ConfigureAwait(false))
        {
            Stream source = await _store.OpenReadAsync(file.Name.Path, cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                await source.CopyToAsync(upload.Content, cancellationToken).ConfigureAwait(false);
            }

            await upload.CommitAsync(metadata, cancellationToken).ConfigureAwait(false);
        }

        await _store.DeleteAsync(file.Name.Path, cancellationToken).ConfigureAwait(false);
        result.Quarantined.Add((file.Name, error));
        FuncIngestMetrics.LoadedFiles.Add(1, new KeyValuePair<string, object?>("outcome", "quarantined"));
        Log.Quarantined(_logger, file.Name.Path, error);
    }

    private static long LineCount(PendingFile file) =>
        file.Staged.Metadata.TryGetValue(StageMetadata.LineCount, out string? count) && long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out long lines)
            ? lines
            : throw new BadFileException(file, $"Staged file {file.Name.Path} has no {StageMetadata.LineCount} metadata.");

    private static string SqlTimestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private TimeSpan Backoff(int attempt)
    {
        double ms = Math.Min(_options.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1), 30_000);
        return TimeSpan.FromMilliseconds((ms / 2) + (Random.Shared.NextDouble() * ms / 2));
    }

    // Databend's data errors (src/common/exception/src/exception_code.rs): BadBytes and
    // InvalidCompressionData are what a file's content causes; every other code is not the data's fault.
    private const int BadBytesCode = 1046;
    private const int InvalidCompressionDataCode = 1076;

    private sealed class PendingFile(StageFileName name, StagedObject staged)
    {
        public StageFileName Name { get; } = name;

        public StagedObject Staged { get; } = staged;

        /// <summary>Why the file does not agree with its name (it is quarantined, not loaded), or null.</summary>
        public string? Problem { get; init; }

        /// <summary>Offsets of lines Databend refused in this pass (dead-lettered; left out of the copy).</summary>
        public HashSet<long> Rejected { get; } = [];
    }

    /// <summary>One file given to COPY: the staged file itself or a trimmed copy of it (with the offsets of its lines).</summary>
    private sealed record Copy(string Path, StageCompression Compression, long ExpectedRows, PendingFile File, IReadOnlyList<long>? Offsets);

    /// <summary>A file whose content COPY cannot load at all (null: COPY did not say which).</summary>
    private sealed class BadFileException(PendingFile? file, string message, Exception? inner = null) : Exception(message, inner)
    {
        public PendingFile? File { get; } = file;
    }

    /// <summary>One line Databend refused (line counted from 0 in the copied file).</summary>
    private sealed class BadLineException(Copy file, int line, string message, Exception inner) : Exception(message, inner)
    {
        public Copy File { get; } = file;

        public int Line { get; } = line;

        /// <summary>The record's offset, read while the copied file still exists.</summary>
        public long Offset { get; set; } = -1;

        /// <summary>The refused line.</summary>
        public byte[] Text { get; set; } = [];
    }
}
