using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Databend.Client;
using FuncIngest.Loading;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.Staging;

namespace FuncIngest.Operations;

/// <summary>
/// Lists dead letters and replays them into the table, exactly once however often replay runs.
/// Shared by <c>funcingest deadletter</c> and, through Core, by any host.
/// </summary>
/// <remarks>
/// <para>A dead letter's offset is behind the ledger once the loader passed its neighbours, so
/// the normal loader would skip it. Each record is replayed as its own unit in the refill area
/// (<see cref="RefillArea"/>): staged under a ledger key of its own and loaded by an ordinary
/// <see cref="TableLoader"/>, so a record loads once whether replay runs once, twice, or crashes
/// half way. A record whose offset the ledger has not passed yet is left for later
/// (<see cref="DeadLetterReplayOutcome.Waiting"/>): for a line Databend refused, the staged file
/// that held it may still be loaded with it.</para>
/// <para>What is replayed: a record the stager rejected is encoded again from its exact key,
/// value, headers and timestamp with the current settings (StrictJson, mode). A line Databend
/// refused (<c>RefusedByDatabend</c>) holds the staged NDJSON line as its value: in transform mode
/// that line is the record's value, so it is encoded again like any value; in raw mode it is a
/// complete raw row (uuid, offsets, record_metadata, add_time as first staged), so it is loaded
/// unchanged; wrapping it again would nest the row inside raw_data.</para>
/// <para>A dead-letter file moves to <see cref="StageLayout.DeadLetterReplayedPrefix"/> once every
/// record in it is loaded; until then it stays, and its loaded records are skipped by the refill
/// ledger on the next replay. A replayed file still owns its offsets (a released quarantined
/// file leaves them out).</para>
/// </remarks>
public sealed class DeadLetterManager
{
    private const string RefusedByDatabend = nameof(RejectReason.RefusedByDatabend);
    private readonly IStageStore _store;
    private readonly StagingOptions _staging;
    private readonly TableLoader _loader;
    private readonly RefillArea _refill;
    private readonly StageLayout _layout;
    private readonly TimeProvider _time;
    private readonly Schemas.SchemaRegistrySchemas? _schemas;

    /// <summary>Creates a manager over a table's stage.</summary>
    /// <param name="clientFactory">Makes a Databend session (the ledger, the replay loads).</param>
    /// <param name="store">The stage.</param>
    /// <param name="staging">The staging options (table, prefix, encoding as it is now).</param>
    /// <param name="loader">The loader options (ledger, stage name).</param>
    /// <param name="timeProvider">Clock (add_time of replayed raw rows).</param>
    /// <param name="schemas">The Schema Registry, required when the encoding reads one (<see cref="EncodingOptions.UsesSchemaRegistry"/>): replay decodes values as staging does.</param>
    public DeadLetterManager(Func<DatabendClient> clientFactory, IStageStore store, StagingOptions staging, LoaderOptions loader, TimeProvider? timeProvider = null, Schemas.SchemaRegistrySchemas? schemas = null)
    {
        ArgumentNullException.ThrowIfNull(clientFactory);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(staging);
        ArgumentNullException.ThrowIfNull(loader);
        _store = store;
        _staging = staging;
        _loader = new TableLoader(clientFactory, store, staging, loader);
        _refill = new RefillArea(clientFactory, store, staging, loader);
        _layout = staging.Layout;
        _time = timeProvider ?? TimeProvider.System;
        _schemas = schemas;
        if (staging.Encoding.UsesSchemaRegistry && schemas is null)
        {
            throw new FuncIngestConfigurationException("SchemaRegistryUrl", "is required to replay: the encoding reads schemas from the Schema Registry.");
        }
    }

    /// <summary>The dead letters of the table (not yet replayed), optionally of one reason, topic and partition.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(string? reason = null, string? topic = null, int? partition = null, CancellationToken cancellationToken = default)
    {
        var letters = new List<DeadLetter>();
        string folder = topic is null ? $"{_layout.DeadLetterPrefix}/{_layout.Table}/"
            : partition is null ? $"{_layout.DeadLetterPrefix}/{_layout.Table}/{topic}/"
            : _layout.DeadLetterFolder(topic, partition.Value);
        await foreach (StagedObject file in _store.ListAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            if (!StageFileName.TryParse(file.Path, out StageFileName? name) || name.Prefix != _layout.DeadLetterPrefix || name.Table != _layout.Table
                || (topic is not null && name.Topic != topic) || (partition is not null && name.Partition != partition))
            {
                continue;
            }

            foreach (DeadLetter letter in await ReadAsync(file.Path, cancellationToken).ConfigureAwait(false))
            {
                if (reason is null || string.Equals(letter.Reason, reason, StringComparison.OrdinalIgnoreCase))
                {
                    letters.Add(letter);
                }
            }
        }

        return [.. letters.OrderBy(l => l.Topic, StringComparer.Ordinal).ThenBy(l => l.Partition).ThenBy(l => l.Offset)];
    }

    /// <summary>Replays the selected dead letters (see the remarks of <see cref="DeadLetterManager"/>).</summary>
    /// <param name="reason">Only dead letters of this reason.</param>
    /// <param name="topic">Only dead letters of this topic.</param>
    /// <param name="partition">Only dead letters of this partition (of <paramref name="topic"/>).</param>
    /// <param name="progress">Told, on the replaying thread, after each item of each step (for a progress bar).</param>
    /// <param name="cancellationToken">Stops the replay; what is loaded stays loaded, and the next replay picks up the rest.</param>
    /// <exception cref="OperationRefusedException">Nothing matches, or the table's loader (or another replay) is running.</exception>
    public async Task<IReadOnlyList<ReplayedDeadLetter>> ReplayAsync(string? reason = null, string? topic = null, int? partition = null, IProgress<DeadLetterReplayProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<DeadLetter> letters = await ListAsync(reason, topic, partition, cancellationToken).ConfigureAwait(false);
        if (letters.Count == 0)
        {
            string what = string.Join(' ', new[] { reason is null ? null : $"reason {reason}", topic is null ? null : $"topic {topic}", partition is null ? null : $"partition {partition}" }.Where(s => s is not null));
            throw new OperationRefusedException($"no dead letters of table {_layout.Table}{(what.Length == 0 ? string.Empty : " match " + what)}; `funcingest deadletter list` shows them", isUsageError: true);
        }

        IStageLock lease = await _loader.TryLeaseAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new OperationRefusedException($"the loader of table {_layout.Table} holds its lease (a load pass or a release is running); nothing was replayed, try again when it is done", isUsageError: false);

        var results = new List<ReplayedDeadLetter>();
        await using (lease.ConfigureAwait(false))
        {
            Dictionary<(string Topic, int Partition), long> ledger = await _loader.ReadNextOffsetsAsync(cancellationToken).ConfigureAwait(false);
            var units = new List<(DeadLetter Letter, StageFileName Unit)>();
            using var encoder = new NdjsonRecordEncoder(_staging.Encoding, _time.GetUtcNow());
            if (_schemas is not null && _staging.Encoding.UsesSchemaRegistry)
            {
                // As in staging: ids resolved first (a registry that cannot be asked fails the replay
                // before anything is staged), then the synchronous encode.
                encoder.Schemas = await _schemas.ResolveForAsync(
                    _staging.Encoding,
                    letters.Select(letter => new IngestRecord(letter.Topic, letter.Partition, letter.Offset, letter.Key, letter.Value)),
                    cancellationToken).ConfigureAwait(false);
            }

            var buffer = new ArrayBufferWriter<byte>();
            int done = 0;
            foreach (DeadLetter letter in letters)
            {
                // Counted as it starts, so that every way out of the loop below counts it.
                progress?.Report(new DeadLetterReplayProgress(DeadLetterReplayStep.Staging, done++, letters.Count));
                if (letter.Offset >= ledger.GetValueOrDefault((letter.Topic, letter.Partition), 0))
                {
                    results.Add(new ReplayedDeadLetter(letter, DeadLetterReplayOutcome.Waiting, null));
                    continue;
                }

                StageFileName? pending = await PendingUnitAsync(letter, cancellationToken).ConfigureAwait(false);
                if (pending is not null)
                {
                    // An earlier replay staged this record and stopped before loading it: load that
                    // attempt, never a second one beside it.
                    units.Add((letter, pending));
                    continue;
                }

                buffer.ResetWrittenCount();
                byte[] line;
                if (letter.Reason == RefusedByDatabend && _staging.Encoding.Mode == RecordMode.Raw)
                {
                    line = letter.Value?.ToArray() ?? [];
                }
                else
                {
                    var record = new IngestRecord(letter.Topic, letter.Partition, letter.Offset, letter.Key, letter.Value, letter.Timestamp,
                        letter.TimestampType ?? (letter.Timestamp is null ? RecordTimestampType.NotAvailable : RecordTimestampType.CreateTime), letter.Headers);
                    RejectReason rejected = encoder.TryEncode(record, buffer, out string? detail);
                    if (rejected != RejectReason.None)
                    {
                        results.Add(new ReplayedDeadLetter(letter, DeadLetterReplayOutcome.StillRejected, $"{rejected}: {detail}"));
                        continue;
                    }

                    line = buffer.WrittenSpan.ToArray();
                }

                int attempt = (await _refill.DeadLettersOfUnitsAsync(RefillArea.DeadLetterUnitPrefix(letter.Topic, letter.Offset), letter.Partition, cancellationToken).ConfigureAwait(false)).Count;
                StageFileName unit = await _refill.StageUnitAsync(RefillArea.DeadLetterUnit(letter.Topic, letter.Offset, attempt), letter.Partition, [(letter.Offset, line)], cancellationToken).ConfigureAwait(false);
                units.Add((letter, unit));
            }

            progress?.Report(new DeadLetterReplayProgress(DeadLetterReplayStep.Staging, letters.Count, letters.Count));
            progress?.Report(new DeadLetterReplayProgress(DeadLetterReplayStep.Loading, 0, 1));
            if (units.Count > 0)
            {
                await lease.RenewAsync(cancellationToken).ConfigureAwait(false);
                LoadResult load = await _refill.LoadAsync(cancellationToken).ConfigureAwait(false);
                var loaded = load.Loaded.Select(n => n.Path).ToHashSet(StringComparer.Ordinal);
                var skipped = load.Skipped.Select(n => n.Path).ToHashSet(StringComparer.Ordinal);
                foreach ((DeadLetter letter, StageFileName unit) in units)
                {
                    string? refused = load.DeadLettered.Where(d => d.File.Path == unit.Path).Select(d => d.Error)
                        .Concat(load.Quarantined.Where(q => q.File.Path == unit.Path).Select(q => q.Error)).FirstOrDefault();
                    results.Add(refused is not null ? new ReplayedDeadLetter(letter, DeadLetterReplayOutcome.RefusedAgain, $"{RefusedByDatabend}: {refused}")
                        : loaded.Contains(unit.Path) ? new ReplayedDeadLetter(letter, DeadLetterReplayOutcome.Loaded, null)
                        : skipped.Contains(unit.Path) ? new ReplayedDeadLetter(letter, DeadLetterReplayOutcome.AlreadyLoaded, null)
                        : new ReplayedDeadLetter(letter, DeadLetterReplayOutcome.RefusedAgain, load.Busy ? "another replay is loading; run replay again" : "it was not loaded; run replay again"));
                }
            }

            progress?.Report(new DeadLetterReplayProgress(DeadLetterReplayStep.Loading, 1, 1));
            await MoveReplayedFilesAsync(letters, results, progress, cancellationToken).ConfigureAwait(false);
        }

        return [.. results.OrderBy(r => r.Letter.Topic, StringComparer.Ordinal).ThenBy(r => r.Letter.Partition).ThenBy(r => r.Letter.Offset)];
    }

    /// <summary>A dead-letter file leaves the dead-letter area once every record in it is in the table.</summary>
    private async Task MoveReplayedFilesAsync(IReadOnlyList<DeadLetter> selected, List<ReplayedDeadLetter> results, IProgress<DeadLetterReplayProgress>? progress, CancellationToken cancellationToken)
    {
        var done = results.Where(r => r.Outcome is DeadLetterReplayOutcome.Loaded or DeadLetterReplayOutcome.AlreadyLoaded)
            .Select(r => (r.Letter.File, r.Letter.Offset)).ToHashSet();
        List<string> paths = [.. selected.Select(l => l.File).Distinct(StringComparer.Ordinal)];
        int moved = 0;
        foreach (string path in paths)
        {
            progress?.Report(new DeadLetterReplayProgress(DeadLetterReplayStep.MovingFiles, moved++, paths.Count));
            IReadOnlyList<DeadLetter> all = await ReadAsync(path, cancellationToken).ConfigureAwait(false);
            if (!all.All(l => done.Contains((path, l.Offset))) || !StageFileName.TryParse(path, out StageFileName? name))
            {
                continue;
            }

            StagedObject? file = null;
            await foreach (StagedObject o in _store.ListAsync(path, cancellationToken).ConfigureAwait(false))
            {
                file = o.Path == path ? o : file;
            }

            if (file is null)
            {
                continue;
            }

            var target = new StageFileName(_layout.DeadLetterReplayedPrefix, name.Table, name.Topic, name.Partition, name.FirstOffset, name.LastOffset, name.Compression);
            IStageUpload upload = await _store.StartUploadAsync(target.Path, cancellationToken).ConfigureAwait(false);
            await using (upload.ConfigureAwait(false))
            {
                Stream source = await _store.OpenReadAsync(path, cancellationToken).ConfigureAwait(false);
                await using (source.ConfigureAwait(false))
                {
                    await source.CopyToAsync(upload.Content, cancellationToken).ConfigureAwait(false);
                }

                // Already there: an earlier replay moved it and stopped before deleting the original.
                await upload.CommitAsync(new Dictionary<string, string>(file.Metadata, StringComparer.OrdinalIgnoreCase), cancellationToken).ConfigureAwait(false);
            }

            await _store.DeleteAsync(path, cancellationToken).ConfigureAwait(false);
        }

        progress?.Report(new DeadLetterReplayProgress(DeadLetterReplayStep.MovingFiles, paths.Count, paths.Count));
    }

    private async Task<StageFileName?> PendingUnitAsync(DeadLetter letter, CancellationToken cancellationToken)
    {
        await foreach (StagedObject staged in _store.ListAsync($"{_refill.Layout.Prefix}/{_layout.Table}/{RefillArea.DeadLetterUnitPrefix(letter.Topic, letter.Offset)}", cancellationToken).ConfigureAwait(false))
        {
            if (StageFileName.TryParse(staged.Path, out StageFileName? name) && name.Partition == letter.Partition && name.Prefix == _refill.Layout.Prefix)
            {
                return name;
            }
        }

        return null;
    }

    private async Task<IReadOnlyList<DeadLetter>> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>();
        Stream source = await _store.OpenReadAsync(path, cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            using var reader = new StreamReader(source, System.Text.Encoding.UTF8);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length > 0)
                {
                    letters.Add(Parse(path, line));
                }
            }
        }

        return letters;
    }

    private static DeadLetter Parse(string path, string line)
    {
        using JsonDocument document = JsonDocument.Parse(line);
        JsonElement root = document.RootElement;
        var headers = new List<RecordHeader>();
        if (root.TryGetProperty("headers", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement header in list.EnumerateArray())
            {
                headers.Add(new RecordHeader(header.GetProperty("key").GetString() ?? string.Empty, Bytes(header, "value")));
            }
        }

        RecordTimestampType? type = root.TryGetProperty("timestamp_type", out JsonElement t) && t.ValueKind == JsonValueKind.String
            && Enum.TryParse(t.GetString(), ignoreCase: false, out RecordTimestampType parsed) ? parsed : null;
        return new DeadLetter(
            path,
            root.GetProperty("topic").GetString()!,
            root.GetProperty("partition").GetInt32(),
            root.GetProperty("offset").GetInt64(),
            root.TryGetProperty("reason", out JsonElement r) ? r.GetString() ?? string.Empty : string.Empty,
            root.TryGetProperty("detail", out JsonElement d) ? d.GetString() : null,
            Bytes(root, "key"),
            Bytes(root, "value"),
            Time(root, "timestamp"),
            type,
            headers,
            Time(root, "dead_lettered_at"));
    }

    private static ReadOnlyMemory<byte>? Bytes(JsonElement element, string property) =>
        element.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetBytesFromBase64() : null;

    private static DateTimeOffset? Time(JsonElement element, string property) =>
        element.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at) ? at : null;
}
