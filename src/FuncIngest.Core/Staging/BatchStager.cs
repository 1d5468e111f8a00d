using System.Buffers;
using System.Globalization;
using FuncIngest.Ndjson;
using FuncIngest.Internal;
using FuncIngest.Records;
using FuncIngest.Schemas;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FuncIngest.Staging;

/// <summary>
/// Turns a batch of Kafka records (any mix of topics and partitions) into NDJSON files in the
/// stage, and rejected records into dead-letter files, so that a batch can be acknowledged to
/// Kafka once <see cref="StageAsync(IReadOnlyList{IngestRecord}, CancellationToken)"/> returns. Shared by the Functions trigger and
/// <c>funcingest run</c>.
/// </summary>
/// <remarks>
/// <para>Per partition, under the partition's stage lock: offsets already covered by staged,
/// quarantined or dead-letter files are dropped (a redelivered batch, whatever its boundaries,
/// stages only what is new); the rest is cut into files that never span a covered range, so
/// staged files of a partition stay disjoint; each file streams through the encoder and the
/// compressor into a block upload that becomes visible only when committed, with
/// <c>If-None-Match: *</c>.</para>
/// <para>Order of writes: a file's dead letters are committed before the file itself. If the
/// process dies in between, the retry finds the dead letters (skipped) and writes the file; the
/// reverse order could lose the dead letters, because the file's name covers their offsets.</para>
/// </remarks>
public sealed class BatchStager
{
    private readonly IStageStore _store;
    private readonly StagingOptions _options;
    private readonly StageLayout _layout;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Topic, int Partition), PartitionHold> _held = new();
    private readonly CompressorPool _compressors;
    private readonly SchemaRegistrySchemas? _schemas;

    /// <summary>Stages a partition's share of a batch once its lock is held and its coverage known.</summary>
    private delegate Task StageLocked(IStageLock stageLock, OffsetRanges files, OffsetRanges dead, PartitionHold? hold, StageBatchResult result, CancellationToken cancellationToken);

    /// <summary>Creates a stager; the options are validated here.</summary>
    /// <param name="store">The stage.</param>
    /// <param name="options">What is staged where.</param>
    /// <param name="logger">Logs files staged and records dead-lettered.</param>
    /// <param name="timeProvider">Clock.</param>
    /// <param name="schemas">The Schema Registry, required when <see cref="EncodingOptions.UsesSchemaRegistry"/>.</param>
    /// <exception cref="FuncIngestConfigurationException">An option is wrong, or a registry is needed and none is given.</exception>
    public BatchStager(IStageStore store, StagingOptions options, ILogger<BatchStager>? logger = null, TimeProvider? timeProvider = null, SchemaRegistrySchemas? schemas = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Encoding.UsesSchemaRegistry && schemas is null)
        {
            throw new FuncIngestConfigurationException("SchemaRegistryUrl",
                $"is required: {StagingOptions.Section}:Encoding:ValueFormat is {options.Encoding.ValueFormat} and KeyFormat {options.Encoding.KeyFormat}, which read schemas from the Schema Registry.");
        }

        _schemas = schemas;
        _store = store;
        _options = options;
        _layout = options.Layout;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        // Not more idle ones: a used compressor holds up to 3 MiB (PreparedFile).
        _compressors = new CompressorPool(options.ZstdLevel, options.MaxParallelPartitions);
    }

    /// <summary>The stage layout in use.</summary>
    public StageLayout Layout => _layout;

    /// <summary>
    /// Stages a batch. When this returns, every record of the batch is in a committed staged
    /// file or dead-letter file (now or from an earlier delivery). It throws on any storage
    /// failure, and then nothing of the batch may be acknowledged; retrying is safe.
    /// </summary>
    public async Task<StageBatchResult> StageAsync(IReadOnlyList<IngestRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        long started = _time.GetTimestamp();
        DateTimeOffset now = _time.GetUtcNow();
        var groups = new Dictionary<(string Topic, int Partition), List<IngestRecord>>();
        foreach (IngestRecord record in records)
        {
            if (!groups.TryGetValue((record.Topic, record.Partition), out List<IngestRecord>? group))
            {
                groups[(record.Topic, record.Partition)] = group = [];
            }

            group.Add(record);
        }

        // Schema ids are resolved (async, cached by id) before any partition lock is taken and
        // before the synchronous encode: a registry that cannot be asked fails the batch here,
        // with nothing written and nothing dead-lettered.
        SchemaSet? schemas = await ResolveSchemasAsync(records, cancellationToken).ConfigureAwait(false);

        var parts = new StageBatchResult[groups.Count];
        var work = groups.Select((g, i) => (g.Key.Topic, g.Key.Partition, Records: g.Value, Index: i));
        await Parallel.ForEachAsync(
            work,
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelPartitions, CancellationToken = cancellationToken },
            async (item, token) =>
            {
                item.Records.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
                parts[item.Index] = await StagePartitionAsync(
                    item.Topic,
                    item.Partition,
                    (stageLock, files, dead, hold, result, ct) => StageLockedPartitionAsync(item.Topic, item.Partition, item.Records, stageLock, files, dead, now, schemas, result, ct, hold),
                    token).ConfigureAwait(false);
            })
            .ConfigureAwait(false);

        return Summarize(parts, started);
    }

    private StageBatchResult Summarize(StageBatchResult[] parts, long started)
    {
        var result = new StageBatchResult();
        foreach (StageBatchResult part in parts)
        {
            result.Add(part);
        }

        FuncIngestMetrics.StagedRecords.Add(result.StagedRecords, new KeyValuePair<string, object?>("outcome", "staged"));
        FuncIngestMetrics.StagedRecords.Add(result.DeadLetteredRecords, new KeyValuePair<string, object?>("outcome", "dead_lettered"));
        FuncIngestMetrics.StagedRecords.Add(result.SkippedRecords, new KeyValuePair<string, object?>("outcome", "skipped"));
        FuncIngestMetrics.StageDuration.Record(_time.GetElapsedTime(started).TotalSeconds);
        return result;
    }

    /// <summary>
    /// Starts a batch that encodes and compresses records as they are added
    /// (<see cref="StagingBatch"/>); stage it with <see cref="StageAsync(StagingBatch, CancellationToken)"/>.
    /// </summary>
    /// <param name="expectedRecords">Records the batch will likely hold: sizes its list when it holds records (Schema Registry encodings).</param>
    public StagingBatch StartBatch(int expectedRecords = 0) =>
        new(this, _options, _compressors, _time, Math.Max(0, expectedRecords));

    /// <summary>
    /// Stages a batch built with <see cref="StartBatch"/>, with the same outcome and guarantees as
    /// <see cref="StageAsync(IReadOnlyList{IngestRecord}, CancellationToken)"/> for its records. No
    /// record can be added to it afterwards; dispose it when this returns or throws.
    /// </summary>
    /// <exception cref="ArgumentException">The batch was started by another stager.</exception>
    public async Task<StageBatchResult> StageAsync(StagingBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!ReferenceEquals(batch.Stager, this))
        {
            throw new ArgumentException("the batch was started by another stager (another table)", nameof(batch));
        }

        batch.Finish();
        if (batch.Records is { } records)
        {
            return await StageAsync(records, cancellationToken).ConfigureAwait(false);
        }

        long started = _time.GetTimestamp();
        PreparedPartition[] partitions = [.. batch.Partitions];
        var parts = new StageBatchResult[partitions.Length];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, partitions.Length),
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxParallelPartitions, CancellationToken = cancellationToken },
            async (i, token) =>
            {
                PreparedPartition prepared = partitions[i];
                parts[i] = await StagePartitionAsync(
                    prepared.Topic,
                    prepared.Partition,
                    (stageLock, files, dead, hold, result, ct) => StagePreparedAsync(prepared, stageLock, files, dead, batch.Now, result, hold, ct),
                    token).ConfigureAwait(false);
            })
            .ConfigureAwait(false);

        return Summarize(parts, started);
    }

    /// <summary>
    /// The offsets of a partition already covered: staged and quarantined files by name, dead
    /// letters exactly. A file counts only when its metadata agrees with its name and it is not
    /// empty (<see cref="StageFiles.Disagreement"/>): coverage decides which records are skipped
    /// and then committed to Kafka, so a stray or planted name must not cover real records.
    /// </summary>
    internal async Task<(OffsetRanges Files, OffsetRanges DeadLetters)> CoverageAsync(string topic, int partition, CancellationToken cancellationToken)
    {
        var files = new OffsetRanges();
        foreach (string folder in new[] { _layout.PartitionFolder(topic, partition), _layout.QuarantineFolder(topic, partition) })
        {
            await foreach (StagedObject staged in _store.ListAsync(folder, cancellationToken).ConfigureAwait(false))
            {
                if (!StageFileName.TryParse(staged.Path, out StageFileName? name))
                {
                    continue;
                }

                if (StageFiles.Disagreement(name, staged) is { } why)
                {
                    Log.IgnoredForCoverage(_logger, staged.Path, why);
                    continue;
                }

                files.Add(name.FirstOffset, name.LastOffset);
            }
        }

        var dead = new OffsetRanges();
        await foreach (StagedObject letter in _store.ListAsync(_layout.DeadLetterFolder(topic, partition), cancellationToken).ConfigureAwait(false))
        {
            if (!StageFileName.TryParse(letter.Path, out StageFileName? name))
            {
                continue;
            }

            OffsetRanges offsets;
            try
            {
                offsets = StageFiles.Disagreement(name, letter) is { } why
                    ? throw new InvalidDataException(why)
                    : await StageFiles.ReadCheckedLineOffsetsAsync(_store, name, letter, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                // Not counted: its records, if any, are staged again rather than skipped.
                Log.IgnoredForCoverage(_logger, letter.Path, e.Message);
                continue;
            }

            foreach ((long first, long last) in offsets.Ranges)
            {
                dead.Add(first, last);
            }
        }

        return (files, dead);
    }

    /// <summary>
    /// Keeps the stage locks of these partitions between batches, with their coverage in memory,
    /// from their next batch on: a batch then costs its uploads and commits, without taking the
    /// lock and listing three folders each time. For a host that owns partitions for a while (a
    /// consumer-group member between rebalances); call <see cref="ReleasePartitionsAsync"/> when
    /// it stops owning them, or the next owner waits until the lock expires.
    /// </summary>
    public void HoldPartitions(IEnumerable<(string Topic, int Partition)> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        foreach ((string Topic, int Partition) partition in partitions)
        {
            PartitionHold hold = _held.GetOrAdd(partition, static _ => new PartitionHold());
            hold.Released = false;
        }
    }

    /// <summary>
    /// Releases the held locks of these partitions (waiting for a batch staging them to finish)
    /// and stops holding them. Null releases every held partition.
    /// </summary>
    public async Task ReleasePartitionsAsync(IEnumerable<(string Topic, int Partition)>? partitions = null)
    {
        foreach ((string Topic, int Partition) key in partitions?.ToList() ?? [.. _held.Keys])
        {
            if (_held.TryGetValue(key, out PartitionHold? hold))
            {
                await hold.Gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    hold.Released = true;
                    await hold.DropAsync().ConfigureAwait(false);
                }
                finally
                {
                    hold.Gate.Release();
                }
            }
        }
    }

    /// <summary>The schemas of the ids the records carry, or null when the encoding reads no registry.</summary>
    private async Task<SchemaSet?> ResolveSchemasAsync(IReadOnlyList<IngestRecord> records, CancellationToken cancellationToken)
    {
        return _options.Encoding.UsesSchemaRegistry
            ? await _schemas!.ResolveForAsync(_options.Encoding, records, cancellationToken).ConfigureAwait(false)
            : null;
    }

    /// <summary>
    /// Runs <paramref name="stageLocked"/> for a partition under its stage lock, with its coverage
    /// (staged and quarantined files, dead letters): the held lock and in-memory coverage when the
    /// partition is held, a lock taken and folders listed for this batch otherwise.
    /// </summary>
    private async Task<StageBatchResult> StagePartitionAsync(string topic, int partition, StageLocked stageLocked, CancellationToken cancellationToken)
    {
        var result = new StageBatchResult();
        result.Partitions.Add((topic, partition));

        if (_held.TryGetValue((topic, partition), out PartitionHold? hold))
        {
            await StageHeldPartitionAsync(topic, partition, stageLocked, hold, result, cancellationToken).ConfigureAwait(false);
            return result;
        }

        await StageUnheldPartitionAsync(topic, partition, stageLocked, result, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task StageUnheldPartitionAsync(string topic, int partition, StageLocked stageLocked, StageBatchResult result, CancellationToken cancellationToken)
    {
        IStageLock stageLock = await _store.LockAsync(_layout.PartitionLock(topic, partition), cancellationToken).ConfigureAwait(false);
        await using (stageLock.ConfigureAwait(false))
        {
            (OffsetRanges files, OffsetRanges dead) = await CoverageAsync(topic, partition, cancellationToken).ConfigureAwait(false);
            await stageLocked(stageLock, files, dead, null, result, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StageHeldPartitionAsync(
        string topic, int partition, StageLocked stageLocked, PartitionHold hold, StageBatchResult result, CancellationToken cancellationToken)
    {
        await hold.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (hold.Released)
            {
                // Released while this batch waited: stage it the per-batch way, keeping nothing.
                await StageUnheldPartitionAsync(topic, partition, stageLocked, result, cancellationToken).ConfigureAwait(false);
                return;
            }

            try
            {
                await ConfirmHoldAsync(topic, partition, hold, cancellationToken).ConfigureAwait(false);
                // The coverage grows in place with every file and dead letter this batch commits.
                await stageLocked(hold.Lock!, hold.Files, hold.DeadLetters, hold, result, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Half a batch may be in the stage, or the lock may be gone: the next batch starts afresh.
                await hold.DropAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            hold.Gate.Release();
        }
    }

    /// <summary>Makes sure the hold's lock is held without a gap since its coverage was listed; takes it and lists afresh otherwise.</summary>
    private async Task ConfirmHoldAsync(string topic, int partition, PartitionHold hold, CancellationToken cancellationToken)
    {
        if (hold.Lock is { } held)
        {
            if (_time.GetElapsedTime(hold.ConfirmedAt) < PartitionHold.RenewAfter)
            {
                return;
            }

            long sent = _time.GetTimestamp();
            try
            {
                await held.RenewAsync(cancellationToken).ConfigureAwait(false);
                hold.Confirmed(sent);
                return;
            }
#pragma warning disable CA1031 // Any failed renewal means the coverage may be stale: drop it and take the lock afresh (which reports a real failure).
            catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
            {
                Log.HoldLost(_logger, e, topic, partition);
                await hold.DropAsync().ConfigureAwait(false);
            }
        }

        long asked = _time.GetTimestamp();
        IStageLock stageLock = await _store.LockAsync(_layout.PartitionLock(topic, partition), cancellationToken).ConfigureAwait(false);
        try
        {
            (OffsetRanges files, OffsetRanges dead) = await CoverageAsync(topic, partition, cancellationToken).ConfigureAwait(false);
            hold.Hold(stageLock, asked, files, dead);
        }
        catch
        {
            await stageLock.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StageLockedPartitionAsync(
        string topic, int partition, List<IngestRecord> records, IStageLock stageLock, OffsetRanges files, OffsetRanges dead,
        DateTimeOffset now, SchemaSet? schemas, StageBatchResult result, CancellationToken cancellationToken, PartitionHold? hold = null)
    {
        var pending = new List<IngestRecord>(records.Count);
        long previous = -1;
        foreach (IngestRecord record in records)
        {
            if (record.Offset == previous || files.Contains(record.Offset) || dead.Contains(record.Offset))
            {
                result.SkippedRecords++;
                continue;
            }

            pending.Add(record);
            previous = record.Offset;
        }

        if (result.SkippedRecords > 0)
        {
            Log.SkippedCovered(_logger, result.SkippedRecords, topic, partition);
        }

        using var lineEncoder = new NdjsonRecordEncoder(_options.Encoding, now) { Schemas = schemas };
        var encoder = new ChunkEncoder(lineEncoder);
        int start = 0;
        while (start < pending.Count)
        {
            await RenewBeforeFurtherFileAsync(stageLock, start == 0, hold, cancellationToken).ConfigureAwait(false);
            int end = ChunkEnd(pending, start, files);
            await StageChunkAsync(topic, partition, pending, start, end, encoder, lineEncoder, now, result, files, dead, cancellationToken).ConfigureAwait(false);
            start = end;
        }
    }

    /// <summary>The exclusive end of the file starting at <paramref name="start"/>: limits, or a covered range in between.</summary>
    private int ChunkEnd(List<IngestRecord> pending, int start, OffsetRanges covered)
    {
        long bytes = pending[start].PayloadBytes;
        int end = start + 1;
        while (end < pending.Count
            && end - start < _options.MaxFileRecords
            && bytes + pending[end].PayloadBytes <= _options.MaxFileBytes
            && !covered.IntersectsOpen(pending[end - 1].Offset, pending[end].Offset))
        {
            bytes += pending[end].PayloadBytes;
            end++;
        }

        return end;
    }

    private async Task StageChunkAsync(
        string topic, int partition, List<IngestRecord> pending, int start, int end,
        ChunkEncoder encoder, NdjsonRecordEncoder lineEncoder, DateTimeOffset now, StageBatchResult result, OffsetRanges files, OffsetRanges dead, CancellationToken cancellationToken)
    {
        StageFileName name = _layout.File(topic, partition, pending[start].Offset, pending[end - 1].Offset, _options.Compression);
        IStageUpload upload = await _store.StartUploadAsync(name.Path, cancellationToken).ConfigureAwait(false);
        await using (upload.ConfigureAwait(false))
        {
            ChunkEncodeResult chunk;
            (Stream output, ZstdSharp.Compressor? compressor) = OpenCompressed(upload.Content);
            try
            {
                chunk = await encoder.EncodeAsync(pending, start, end, output, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await CloseCompressedAsync(output, upload.Content, compressor).ConfigureAwait(false);
            }

            await FinishFileAsync(
                topic, partition, name, upload, chunk.Lines, chunk.LineOffsets, chunk.BytesIn, chunk.Rejects, lineEncoder, now, result, files, dead, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Completes a file whose lines are written to <paramref name="upload"/>: its rejected records
    /// go to a dead-letter file first (see the class remarks for why first), then the file is
    /// committed with metadata that agrees with its name, unless it has no line.
    /// </summary>
    private async Task FinishFileAsync(
        string topic, int partition, StageFileName name, IStageUpload upload, int lines, OffsetRanges lineOffsets, long bytesIn,
        List<(IngestRecord Record, RejectReason Reason, string? Detail)> rejects, NdjsonRecordEncoder lineEncoder, DateTimeOffset now,
        StageBatchResult result, OffsetRanges files, OffsetRanges dead, CancellationToken cancellationToken)
    {
        if (rejects.Count > 0)
        {
            await WriteDeadLettersAsync(topic, partition, rejects, lineEncoder, now, result, dead, cancellationToken).ConfigureAwait(false);
        }

        if (lines == 0)
        {
            return;
        }

        var metadata = new Dictionary<string, string>
        {
            [StageMetadata.FirstOffset] = name.FirstOffset.ToString(CultureInfo.InvariantCulture),
            [StageMetadata.LastOffset] = name.LastOffset.ToString(CultureInfo.InvariantCulture),
            [StageMetadata.LineCount] = lines.ToString(CultureInfo.InvariantCulture),
            [StageMetadata.LineOffsets] = await InlineOrSidecarAsync(name.Path, lineOffsets, cancellationToken).ConfigureAwait(false),
            [StageMetadata.Mode] = _options.Encoding.Mode.ToString().ToLowerInvariant(),
        };
        bool created = await upload.CommitAsync(metadata, cancellationToken).ConfigureAwait(false);
        if (!created)
        {
            await ThrowIfNotOursAsync(name, cancellationToken).ConfigureAwait(false);
        }

        files.Add(name.FirstOffset, name.LastOffset);
        result.Files.Add(new StagedFile(name, lines, created));
        result.StagedRecords += lines;
        FuncIngestMetrics.StagedFiles.Add(created ? 1 : 0);
        FuncIngestMetrics.BytesIn.Add(bytesIn);
        FuncIngestMetrics.BytesOut.Add(upload.Content.Length);
        Log.FileStaged(_logger, lines, topic, partition, name.Path, created ? "created" : "already there");
    }

    /// <summary>
    /// Stages a partition's prepared files. A file none of whose offsets is covered goes up as it
    /// was prepared (compressed now if it was still plain); one that overlaps the coverage (a redelivery: another member or an earlier
    /// attempt staged some of its records) is cut again by <see cref="StageRecutAsync"/>.
    /// </summary>
    private async Task StagePreparedAsync(
        PreparedPartition prepared, IStageLock stageLock, OffsetRanges files, OffsetRanges dead, DateTimeOffset now, StageBatchResult result, PartitionHold? hold, CancellationToken cancellationToken)
    {
        string topic = prepared.Topic;
        int partition = prepared.Partition;
        // Repeated offsets were dropped as they arrived; they count and are logged as skipped, as
        // staging the records would have counted them.
        result.SkippedRecords += prepared.Duplicates;
        using var lineEncoder = new NdjsonRecordEncoder(_options.Encoding, now);
        bool first = true;
        foreach (PreparedFile file in prepared.Files)
        {
            if (files.IntersectsOpen(file.FirstOffset - 1, file.LastOffset + 1) || dead.IntersectsOpen(file.FirstOffset - 1, file.LastOffset + 1))
            {
                first = await StageRecutAsync(topic, partition, file, stageLock, files, dead, lineEncoder, now, result, first, hold, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await RenewBeforeFurtherFileAsync(stageLock, first, hold, cancellationToken).ConfigureAwait(false);
            first = false;
            StageFileName name = _layout.File(topic, partition, file.FirstOffset, file.LastOffset, _options.Compression);
            IStageUpload upload = await _store.StartUploadAsync(name.Path, cancellationToken).ConfigureAwait(false);
            await using (upload.ConfigureAwait(false))
            {
                if (file.Lines > 0 && file.IsCompressed)
                {
                    await file.Content.WriteToAsync(upload.Content, cancellationToken).ConfigureAwait(false);
                }
                else if (file.Lines > 0)
                {
                    (Stream output, ZstdSharp.Compressor? compressor) = OpenCompressed(upload.Content);
                    try
                    {
                        await file.Content.WriteToAsync(output, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        await CloseCompressedAsync(output, upload.Content, compressor).ConfigureAwait(false);
                    }
                }

                await FinishFileAsync(
                    topic, partition, name, upload, file.Lines, file.LineOffsets, file.BytesIn, file.Rejects, lineEncoder, now, result, files, dead, cancellationToken).ConfigureAwait(false);
            }
        }

        if (result.SkippedRecords > 0)
        {
            Log.SkippedCovered(_logger, result.SkippedRecords, topic, partition);
        }
    }

    /// <summary>
    /// Stages what of a prepared file is not covered yet, as staging its records would have: its
    /// lines are decompressed and paired with their offsets, covered lines and rejects dropped, and
    /// the rest cut into files that never span a covered range. Takes and returns whether the
    /// partition's batch has written no file yet (the lock is renewed before each further one).
    /// </summary>
    private async Task<bool> StageRecutAsync(
        string topic, int partition, PreparedFile file, IStageLock stageLock, OffsetRanges files, OffsetRanges dead,
        NdjsonRecordEncoder lineEncoder, DateTimeOffset now, StageBatchResult result, bool first, PartitionHold? hold, CancellationToken cancellationToken)
    {
        byte[] plain;
        using (MemoryStream held = file.Content.ToMemoryStream())
        {
            Stream decompressing = file.IsCompressed ? StageFiles.Decompress(held, _options.Compression) : held;
            await using (decompressing.ConfigureAwait(false))
            {
                using var copy = new MemoryStream();
                await decompressing.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
                plain = copy.ToArray();
            }
        }

        // Every line ends in '\n' and holds none inside (NdjsonRecordEncoder replaces raw newlines).
        var entries = new List<(long Offset, int Start, int End, int Reject)>(file.Records);
        int position = 0;
        foreach (long offset in StageFiles.Offsets(file.LineOffsets))
        {
            int newline = plain.AsSpan(position).IndexOf((byte)'\n');
            if (newline < 0)
            {
                throw new InvalidDataException($"a prepared file of {topic}[{partition}] from offset {file.FirstOffset} holds fewer lines than its {file.Lines} offsets");
            }

            int end = position + newline + 1;
            entries.Add((offset, position, end, -1));
            position = end;
        }

        for (int i = 0; i < file.Rejects.Count; i++)
        {
            entries.Add((file.Rejects[i].Record.Offset, 0, 0, i));
        }

        entries.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
        var kept = new List<(long Offset, int Start, int End, int Reject)>(entries.Count);
        foreach (var entry in entries)
        {
            if (files.Contains(entry.Offset) || dead.Contains(entry.Offset))
            {
                result.SkippedRecords++;
            }
            else
            {
                kept.Add(entry);
            }
        }

        int start = 0;
        while (start < kept.Count)
        {
            int stop = start + 1;
            while (stop < kept.Count && !files.IntersectsOpen(kept[stop - 1].Offset, kept[stop].Offset))
            {
                stop++;
            }

            await RenewBeforeFurtherFileAsync(stageLock, first, hold, cancellationToken).ConfigureAwait(false);
            first = false;
            StageFileName name = _layout.File(topic, partition, kept[start].Offset, kept[stop - 1].Offset, _options.Compression);
            IStageUpload upload = await _store.StartUploadAsync(name.Path, cancellationToken).ConfigureAwait(false);
            await using (upload.ConfigureAwait(false))
            {
                var lineOffsets = new OffsetRanges();
                var rejects = new List<(IngestRecord Record, RejectReason Reason, string? Detail)>();
                int lines = 0;
                long bytesIn = 0;
                (Stream output, ZstdSharp.Compressor? compressor) = OpenCompressed(upload.Content);
                try
                {
                    for (int i = start; i < stop; i++)
                    {
                        (long offset, int lineStart, int lineEnd, int reject) = kept[i];
                        if (reject >= 0)
                        {
                            rejects.Add(file.Rejects[reject]);
                            continue;
                        }

                        await output.WriteAsync(plain.AsMemory(lineStart, lineEnd - lineStart), cancellationToken).ConfigureAwait(false);
                        lineOffsets.Add(offset);
                        lines++;
                        // The records' payload sizes are not kept; the encoded line stands in for the metric.
                        bytesIn += lineEnd - lineStart;
                    }
                }
                finally
                {
                    await CloseCompressedAsync(output, upload.Content, compressor).ConfigureAwait(false);
                }

                await FinishFileAsync(topic, partition, name, upload, lines, lineOffsets, bytesIn, rejects, lineEncoder, now, result, files, dead, cancellationToken).ConfigureAwait(false);
            }

            start = stop;
        }

        return first;
    }

    /// <summary>The compressor the stage's compression calls for over <paramref name="destination"/>, a pooled one for zstd.</summary>
    private (Stream Output, ZstdSharp.Compressor? Rented) OpenCompressed(Stream destination)
    {
        ZstdSharp.Compressor? compressor = _options.Compression == StageCompression.Zstd ? _compressors.Rent() : null;
        Stream output = compressor is null
            ? StageFiles.Compress(destination, _options.Compression, _options.ZstdLevel)
            : new ZstdSharp.CompressionStream(destination, compressor, preserveCompressor: true, leaveOpen: true);
        return (output, compressor);
    }

    /// <summary>Ends the compressed stream (the file's one frame) and returns the compressor to the pool.</summary>
    private async Task CloseCompressedAsync(Stream output, Stream destination, ZstdSharp.Compressor? rented)
    {
        if (!ReferenceEquals(output, destination))
        {
            await output.DisposeAsync().ConfigureAwait(false);
        }

        if (rented is not null)
        {
            _compressors.Return(rented);
        }
    }

    /// <summary>
    /// Renews the partition's lock before each further file of a batch, not after the last one:
    /// the lock is released right after, and a renewal then was one more round trip per partition per batch.
    /// </summary>
    private async Task RenewBeforeFurtherFileAsync(IStageLock stageLock, bool first, PartitionHold? hold, CancellationToken cancellationToken)
    {
        if (!first)
        {
            long sent = _time.GetTimestamp();
            await stageLock.RenewAsync(cancellationToken).ConfigureAwait(false);
            hold?.Confirmed(sent);
        }
    }

    /// <summary>
    /// A name taken by an object that does not count as a staged file (see <see cref="CoverageAsync"/>)
    /// would otherwise make this batch's records count as staged while only that object holds
    /// their name: fail the batch (nothing is acknowledged) until the loader has quarantined it.
    /// </summary>
    private async Task ThrowIfNotOursAsync(StageFileName name, CancellationToken cancellationToken)
    {
        await foreach (StagedObject existing in _store.ListAsync(name.Path, cancellationToken).ConfigureAwait(false))
        {
            if (string.Equals(existing.Path, name.Path, StringComparison.Ordinal))
            {
                if (StageFiles.Disagreement(name, existing) is { } why)
                {
                    throw new InvalidOperationException(
                        $"Stage file {name.Path} already exists but does not count as staged ({why}); the loader quarantines it, then retry the batch.");
                }

                return;
            }
        }
    }

    private async Task WriteDeadLettersAsync(
        string topic, int partition, List<(IngestRecord Record, RejectReason Reason, string? Detail)> rejects,
        NdjsonRecordEncoder encoder, DateTimeOffset now, StageBatchResult result, OffsetRanges covered, CancellationToken cancellationToken)
    {
        StageFileName name = _layout.DeadLetterFile(topic, partition, rejects[0].Record.Offset, rejects[^1].Record.Offset);
        var offsets = new OffsetRanges();
        IStageUpload upload = await _store.StartUploadAsync(name.Path, cancellationToken).ConfigureAwait(false);
        await using (upload.ConfigureAwait(false))
        {
            var buffer = new ArrayBufferWriter<byte>(ChunkEncoder.FlushThreshold);
            foreach ((IngestRecord record, RejectReason reason, string? detail) in rejects)
            {
                encoder.WriteDeadLetter(record, reason, detail, now, buffer);
                offsets.Add(record.Offset);
                if (buffer.WrittenCount >= ChunkEncoder.FlushThreshold)
                {
                    await upload.Content.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    buffer.ResetWrittenCount();
                }
            }

            await upload.Content.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            var metadata = new Dictionary<string, string>
            {
                [StageMetadata.FirstOffset] = name.FirstOffset.ToString(CultureInfo.InvariantCulture),
                [StageMetadata.LastOffset] = name.LastOffset.ToString(CultureInfo.InvariantCulture),
                [StageMetadata.LineCount] = rejects.Count.ToString(CultureInfo.InvariantCulture),
                [StageMetadata.LineOffsets] = await InlineOrSidecarAsync(name.Path, offsets, cancellationToken).ConfigureAwait(false),
            };
            if (!await upload.CommitAsync(metadata, cancellationToken).ConfigureAwait(false))
            {
                // Under the partition lock, offsets of existing dead letters were skipped, so a name
                // collision means the lock expired under a slow writer. Retrying the batch is safe.
                throw new InvalidOperationException(
                    $"Dead-letter file {name.Path} already exists although its offsets were not covered when the partition lock was taken; the lock may have expired. Retry the batch.");
            }
        }

        foreach ((long first, long last) in offsets.Ranges)
        {
            covered.Add(first, last);
        }

        result.DeadLetteredRecords += rejects.Count;
        Log.DeadLettered(_logger, rejects.Count, topic, partition, name.Path, rejects[0].Reason.ToString(), rejects[0].Detail);
    }

    private async Task<string> InlineOrSidecarAsync(string path, OffsetRanges offsets, CancellationToken cancellationToken)
    {
        string text = offsets.ToString();
        if (text.Length <= StageMetadata.MaxInlineOffsetsLength)
        {
            return text;
        }

        IStageUpload sidecar = await _store.StartUploadAsync(path + StageMetadata.SidecarSuffix, cancellationToken).ConfigureAwait(false);
        await using (sidecar.ConfigureAwait(false))
        {
            await sidecar.Content.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text), cancellationToken).ConfigureAwait(false);
            // An existing sidecar comes from an earlier attempt at the same file: same lines, same text.
            await sidecar.CommitAsync(new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        }

        return StageMetadata.SidecarMarker;
    }
}
