using System.Diagnostics;
using System.Globalization;
using System.Text;
using Databend.Client;
using FuncIngest.Internal;
using FuncIngest.Staging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FuncIngest.Loading;

/// <summary>
/// Loads one table's staged files exactly once. One loader per table must run at a time per
/// host (the Functions app serializes it in a durable entity, <c>funcingest run</c> in-process);
/// concurrent loaders on different hosts stay correct, because the ledger rows they both change
/// make all but one commit fail with a conflict, and the retry finds the work done.
/// </summary>
/// <remarks>
/// One transaction per pass: BEGIN; read the table's ledger rows; plan each file in offset order
/// per partition (skip when its last offset is below the ledger's next offset, load it whole,
/// or trim it to the offsets not yet loaded); COPY INTO with FORCE = TRUE (the ledger, not COPY's
/// 24-hour load history, decides what is loaded); check every file loaded the rows it holds;
/// REPLACE the ledger rows; commit only in txn_state Active; then delete the loaded files.
/// </remarks>
public sealed class TableLoader
{
    private readonly Func<DatabendClient> _clientFactory;
    private readonly IStageStore _store;
    private readonly StagingOptions _staging;
    private readonly LoaderOptions _options;
    private readonly StageLayout _layout;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

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
            total.RowsLoaded += pass.RowsLoaded;
            total.Retries += pass.Retries;
            if (!pass.MoreRemaining || pass.Loaded.Count + pass.Skipped.Count + pass.Quarantined.Count == 0)
            {
                return total;
            }
        }
    }

    /// <summary>Loads up to <see cref="LoaderOptions.MaxFilesPerLoad"/> staged files in one transaction.</summary>
    /// <exception cref="DatabendException">Databend stayed unreachable or conflicting through every attempt (transient: try again later; the files stay staged).</exception>
    public async Task<LoadResult> LoadPendingAsync(CancellationToken cancellationToken = default)
    {
        var result = new LoadResult();
        List<PendingFile> pending = await ListPendingAsync(cancellationToken).ConfigureAwait(false);
        if (pending.Count == 0)
        {
            return result;
        }

        List<PendingFile> batch = [.. pending.Take(_options.MaxFilesPerLoad)];
        result.MoreRemaining = pending.Count > batch.Count;
        await LoadBatchAsync(batch, result, cancellationToken).ConfigureAwait(false);
        await RecordLagAsync(pending, cancellationToken).ConfigureAwait(false);
        Log.Loaded(_logger, result.Loaded.Count, result.RowsLoaded, _staging.Table, result.Skipped.Count);
        return result;
    }

    /// <summary>The ledger rows of this table.</summary>
    public async Task<IReadOnlyList<LedgerEntry>> ReadLedgerAsync(CancellationToken cancellationToken = default)
    {
        using DatabendClient client = _clientFactory();
        return await ReadLedgerAsync(client, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<LedgerEntry>> ReadLedgerAsync(DatabendClient client, CancellationToken cancellationToken)
    {
        DatabendResult rows = await client.ExecuteAsync(
            $"SELECT topic, kpartition, next_offset FROM {DatabendSql.QuoteIdentifier(_options.LedgerTable)} WHERE target_table = {DatabendSql.QuoteString(_staging.Table)}",
            cancellationToken).ConfigureAwait(false);
        return [.. rows.Rows.Select(r => new LedgerEntry(r.GetString(0), r.GetInt32(1), r.GetInt64(2)))];
    }

    /// <summary>Updates the lag gauge: per partition, highest staged offset + 1 minus the ledger's next offset.</summary>
    private async Task RecordLagAsync(List<PendingFile> pending, CancellationToken cancellationToken)
    {
        Dictionary<(string, int), long> next = (await ReadLedgerAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(e => (e.Topic, e.Partition), e => e.NextOffset);
        foreach (IGrouping<(string Topic, int Partition), PendingFile> partition in pending.GroupBy(p => (p.Name.Topic, p.Name.Partition)))
        {
            long stagedHigh = partition.Max(p => p.Name.LastOffset) + 1;
            FuncIngestMetrics.LedgerLag[(_staging.Table, partition.Key.Topic, partition.Key.Partition)] =
                Math.Max(0, stagedHigh - next.GetValueOrDefault(partition.Key, 0));
        }
    }

    private async Task<List<PendingFile>> ListPendingAsync(CancellationToken cancellationToken)
    {
        var files = new List<PendingFile>();
        await foreach (StagedObject staged in _store.ListAsync($"{(_layout.Prefix.Length == 0 ? string.Empty : _layout.Prefix + "/")}{_layout.Table}/", cancellationToken).ConfigureAwait(false))
        {
            if (StageFileName.TryParse(staged.Path, out StageFileName? name) && name.Table == _layout.Table && name.Prefix == _layout.Prefix)
            {
                files.Add(new PendingFile(name, staged));
            }
        }

        // Per partition in offset order (I4); partitions one after another.
        return [.. files.OrderBy(f => f.Name.Topic, StringComparer.Ordinal).ThenBy(f => f.Name.Partition).ThenBy(f => f.Name.FirstOffset)];
    }

    private async Task LoadBatchAsync(List<PendingFile> batch, LoadResult result, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await LoadInTransactionAsync(batch, result, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (DatabendException e) when (e.IsTransient && attempt < _options.MaxTransactionAttempts && !cancellationToken.IsCancellationRequested)
            {
                result.Retries++;
                FuncIngestMetrics.TransactionRetries.Add(1);
                TimeSpan delay = Backoff(attempt);
                Log.LoadRetry(_logger, e, _staging.Table, attempt, _options.MaxTransactionAttempts, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (PermanentLoadException) when (batch.Count > 1)
            {
                // One bad file fails the whole COPY: load the files one by one to find it.
                foreach (PendingFile file in batch)
                {
                    await LoadBatchAsync([file], result, cancellationToken).ConfigureAwait(false);
                }

                return;
            }
            catch (PermanentLoadException e)
            {
                await QuarantineAsync(batch[0], e.Message, result, cancellationToken).ConfigureAwait(false);
                return;
            }
        }
    }

    private async Task LoadInTransactionAsync(List<PendingFile> batch, LoadResult result, CancellationToken cancellationToken)
    {
        var loaded = new List<StageFileName>();
        var skipped = new List<StageFileName>();
        var trimmedCopies = new List<string>();
        long rows = 0;
        using (DatabendClient client = _clientFactory())
        {
            DatabendTransaction transaction = await client.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                Dictionary<(string, int), long> next = (await ReadLedgerAsync(client, cancellationToken).ConfigureAwait(false))
                    .ToDictionary(e => (e.Topic, e.Partition), e => e.NextOffset);
                var changed = new Dictionary<(string Topic, int Partition), long>();
                var copies = new List<(string Path, StageCompression Compression, long ExpectedRows, StageFileName File)>();
                foreach (PendingFile file in batch)
                {
                    (string, int) key = (file.Name.Topic, file.Name.Partition);
                    long nextOffset = next.GetValueOrDefault(key, -1);
                    if (file.Name.LastOffset < nextOffset)
                    {
                        skipped.Add(file.Name);
                        continue;
                    }

                    if (file.Name.FirstOffset >= nextOffset)
                    {
                        copies.Add((file.Name.Path, file.Name.Compression, LineCount(file), file.Name));
                    }
                    else
                    {
                        (string path, long kept) = await TrimAsync(file, nextOffset, cancellationToken).ConfigureAwait(false);
                        trimmedCopies.Add(path);
                        if (kept > 0)
                        {
                            copies.Add((path, _staging.Compression, kept, file.Name));
                        }
                    }

                    next[key] = file.Name.LastOffset + 1;
                    changed[(file.Name.Topic, file.Name.Partition)] = file.Name.LastOffset + 1;
                    loaded.Add(file.Name);
                }

                foreach (IGrouping<StageCompression, (string Path, StageCompression Compression, long ExpectedRows, StageFileName File)> group in copies.GroupBy(c => c.Compression))
                {
                    rows += await CopyAsync(client, [.. group], cancellationToken).ConfigureAwait(false);
                }

                if (changed.Count > 0)
                {
                    string now = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
                    string values = string.Join(", ", changed.Select(c =>
                        $"({DatabendSql.QuoteString(_staging.Table)}, {DatabendSql.QuoteString(c.Key.Topic)}, {c.Key.Partition.ToString(CultureInfo.InvariantCulture)}, {c.Value.ToString(CultureInfo.InvariantCulture)}, {DatabendSql.QuoteString(now)})"));
                    await client.ExecuteAsync(
                        $"REPLACE INTO {DatabendSql.QuoteIdentifier(_options.LedgerTable)} (target_table, topic, kpartition, next_offset, updated_at) ON (target_table, topic, kpartition) VALUES {values}",
                        cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        result.Loaded.AddRange(loaded);
        result.Skipped.AddRange(skipped);
        result.RowsLoaded += rows;
        FuncIngestMetrics.LoadedFiles.Add(loaded.Count, new KeyValuePair<string, object?>("outcome", "loaded"));
        FuncIngestMetrics.LoadedFiles.Add(skipped.Count, new KeyValuePair<string, object?>("outcome", "skipped"));
        FuncIngestMetrics.LoadedRows.Add(rows);

        // Committed: the files are in the table (or were already). Deleting them is cleanup; if
        // it fails, the next pass skips them by the ledger and deletes them then.
        foreach (StageFileName file in loaded.Concat(skipped))
        {
            await _store.DeleteAsync(file.Path, cancellationToken).ConfigureAwait(false);
            await _store.DeleteAsync(file.Path + StageMetadata.SidecarSuffix, cancellationToken).ConfigureAwait(false);
        }

        foreach (string trimmed in trimmedCopies)
        {
            await _store.DeleteAsync(trimmed, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<long> CopyAsync(DatabendClient client, List<(string Path, StageCompression Compression, long ExpectedRows, StageFileName File)> files, CancellationToken cancellationToken)
    {
        string compression = files[0].Compression switch
        {
            StageCompression.Zstd => "ZSTD",
            StageCompression.Gzip => "GZIP",
            _ => "NONE",
        };
        string list = string.Join(", ", files.Select(f => DatabendSql.QuoteString(f.Path)));
        string sql = $"COPY INTO {DatabendSql.QuoteIdentifier(_staging.Table)} FROM @{_options.StageName} FILES = ({list}) "
            + $"FILE_FORMAT = (TYPE = NDJSON COMPRESSION = {compression} MISSING_FIELD_AS = {_options.MissingFieldAs.ToUpperInvariant()}) ON_ERROR = ABORT FORCE = TRUE";
        long started = Stopwatch.GetTimestamp();
        DatabendResult result;
        try
        {
            result = await client.ExecuteAsync(sql, cancellationToken).ConfigureAwait(false);
        }
        catch (DatabendException e) when (!e.IsTransient)
        {
            throw new PermanentLoadException($"COPY INTO {_staging.Table} failed (Databend error {e.ServerCode}): {e.Message}", e);
        }
        finally
        {
            FuncIngestMetrics.CopyDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        Dictionary<string, CopyFileResult> byFile = CopyFileResult.FromResult(result).ToDictionary(r => r.File, StringComparer.Ordinal);
        long rows = 0;
        foreach ((string path, _, long expected, _) in files)
        {
            if (!byFile.TryGetValue(path, out CopyFileResult? loaded))
            {
                // With FORCE = TRUE COPY loads every listed file; a missing one is a fault, and
                // advancing the ledger past it would lose its rows.
                throw new DatabendException($"COPY did not report file {path}; the transaction is abandoned so the ledger does not move past it.", isTransient: true);
            }

            if (loaded.ErrorsSeen > 0 || loaded.RowsLoaded != expected)
            {
                throw new PermanentLoadException($"File {path} loaded {loaded.RowsLoaded} of {expected} rows with {loaded.ErrorsSeen} errors; first error (line {loaded.FirstErrorLine}): {loaded.FirstError}");
            }

            rows += loaded.RowsLoaded;
        }

        return rows;
    }

    /// <summary>Writes a copy of the file holding only the lines at or after <paramref name="nextOffset"/>.</summary>
    private async Task<(string Path, long Kept)> TrimAsync(PendingFile file, long nextOffset, CancellationToken cancellationToken)
    {
        Log.Trimmed(_logger, file.Name.Path, nextOffset);
        OffsetRanges lineOffsets = await StageFiles.ReadLineOffsetsAsync(_store, file.Staged, cancellationToken).ConfigureAwait(false);
        var trimmedName = new StageFileName(TrimmedPrefix, _layout.Table, file.Name.Topic, file.Name.Partition, Math.Max(nextOffset, file.Name.FirstOffset), file.Name.LastOffset, _staging.Compression);
        long kept = 0;
        IStageUpload upload = await _store.StartUploadAsync(trimmedName.Path, cancellationToken).ConfigureAwait(false);
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
                            ?? throw new PermanentLoadException($"File {file.Name.Path} has fewer lines than its offsets metadata lists.");
                        if (offset >= nextOffset)
                        {
                            await output.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), cancellationToken).ConfigureAwait(false);
                            kept++;
                        }
                    }
                }
                finally
                {
                    if (!ReferenceEquals(output, upload.Content))
                    {
                        await output.DisposeAsync().ConfigureAwait(false);
                    }
                }
            }

            // An existing trimmed copy comes from an earlier attempt: same lines.
            await upload.CommitAsync(new Dictionary<string, string> { [StageMetadata.LineCount] = kept.ToString(CultureInfo.InvariantCulture) }, cancellationToken).ConfigureAwait(false);
        }

        return (trimmedName.Path, kept);
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
            : throw new PermanentLoadException($"Staged file {file.Name.Path} has no {StageMetadata.LineCount} metadata.");

    private TimeSpan Backoff(int attempt)
    {
        double ms = Math.Min(_options.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1), 30_000);
        return TimeSpan.FromMilliseconds((ms / 2) + (Random.Shared.NextDouble() * ms / 2));
    }

    private sealed record PendingFile(StageFileName Name, StagedObject Staged);

    /// <summary>A failure that retrying the same transaction cannot fix (bad file content, schema mismatch).</summary>
    private sealed class PermanentLoadException : Exception
    {
        public PermanentLoadException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }
}
