using System.Collections.Concurrent;
using Confluent.Kafka;
using FuncIngest.Loading;
using FuncIngest.Staging;

namespace FuncIngest.Cli.Progress;

/// <summary>
/// The numbers behind <c>run</c>'s live view: fed by the daemon through <see cref="IRunProgress"/>,
/// read by the view through <see cref="Sample"/> on its own timer.
/// </summary>
/// <remarks>
/// The consume loop only bumps counters of its own (no lock, no shared write); staging and loading
/// add with <see cref="Interlocked"/>. Everything costly (the consumer's assignment, watermarks,
/// rates) happens in <see cref="Sample"/>, about once a second.
/// </remarks>
internal sealed class RunProgressModel(TimeProvider time, TimeSpan window) : IRunProgress
{
    /// <summary>How far back the rates look.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<(string Topic, int Partition), Counters> _partitions = new();
    private readonly Queue<Point> _history = new();
    private readonly Lock _sampling = new();
    private readonly long _started = time.GetTimestamp();
    private Counters? _last;
    private long _staged;
    private long _deadLettered;
    private long _loadedRows;
    private Func<List<TopicPartition>>? _assignment;
    private Func<TopicPartition, WatermarkOffsets>? _watermarks;

    public RunProgressModel()
        : this(TimeProvider.System, DefaultWindow)
    {
    }

    public bool ReplacesProgressLine => true;

    public void Attach(IConsumer<byte[], byte[]> consumer)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        // The cached watermark costs no round trip: librdkafka keeps the high watermark of every
        // fetch response (src/rdkafka_fetcher.c, rd_kafka_fetch_reply_handle_partition:
        // rktp_hi_offset = hdr.HighwaterMarkOffset, also when the response holds no message) and
        // rd_kafka_get_watermark_offsets (src/rdkafka.c) only reads it under the partition's lock;
        // Confluent's GetWatermarkOffsets calls it directly (src/Confluent.Kafka/Consumer.cs).
        // Calling it and Assignment from the view's thread is allowed: "The API is completely
        // thread-safe" (librdkafka INTRODUCTION.md, Threads and callbacks).
        AttachWatermarks(() => consumer.Assignment, consumer.GetWatermarkOffsets);
    }

    /// <summary>The source of the assignment and the high watermarks (tests give their own).</summary>
    internal void AttachWatermarks(Func<List<TopicPartition>> assignment, Func<TopicPartition, WatermarkOffsets> watermarks)
    {
        lock (_sampling)
        {
            _assignment = assignment;
            _watermarks = watermarks;
        }
    }

    public void Detach()
    {
        // Under the sampling lock: once this returns, no Sample is inside the consumer, so it may close.
        lock (_sampling)
        {
            _assignment = null;
            _watermarks = null;
        }
    }

    public void Consumed(TopicPartition partition, Offset offset)
    {
        // Records come in runs of one partition (a fetched message set): remember the last one
        // instead of a dictionary lookup per record.
        Counters counters = _last is { } last && last.Partition == partition.Partition.Value && string.Equals(last.Topic, partition.Topic, StringComparison.Ordinal)
            ? last
            : _last = For(partition.Topic, partition.Partition.Value);
        counters.Consume(offset.Value + 1);
    }

    public void ReachedEnd(TopicPartition partition, Offset position)
    {
        if (position.Value >= 0)
        {
            For(partition.Topic, partition.Partition.Value).SetPosition(position.Value);
        }
    }

    public void Staged(StageBatchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Interlocked.Add(ref _staged, result.StagedRecords);
        Interlocked.Add(ref _deadLettered, result.DeadLetteredRecords);
        foreach (StagedFile file in result.Files)
        {
            For(file.Name.Topic, file.Name.Partition).AddStaged(file.Lines);
        }
    }

    public void Loaded(LoadResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Interlocked.Add(ref _loadedRows, result.RowsLoaded);
        // A loaded or skipped file moves the ledger of its partition past its last offset
        // (TableLoader commits next_offset = last offset + 1 with the rows).
        foreach (StageFileName file in result.Loaded.Concat(result.Skipped))
        {
            For(file.Topic, file.Partition).LoadedTo(file.LastOffset + 1);
        }

        // The rate counts the offsets of the files this run loaded (a file's range; rows differ
        // only by records dead-lettered from it), starting from 0 like the other counters.
        foreach (StageFileName file in result.Loaded)
        {
            For(file.Topic, file.Partition).AddLoaded(file.LastOffset - file.FirstOffset + 1);
        }
    }

    /// <summary>The numbers now, with the high watermarks read from the consumer and the rates over the window.</summary>
    public RunProgressSnapshot Sample()
    {
        lock (_sampling)
        {
            if (_assignment is { } assignment && _watermarks is { } watermarks)
            {
                try
                {
                    foreach (TopicPartition partition in assignment())
                    {
                        WatermarkOffsets marks = watermarks(partition);
                        Counters counters = For(partition.Topic, partition.Partition.Value);
                        if (marks.High.Value >= 0)
                        {
                            counters.SetEnd(marks.High.Value);
                        }
                    }
                }
                catch (KafkaException)
                {
                    // A partition revoked in between: the next sample reads the new assignment.
                }
            }

            long now = time.GetTimestamp();
            var point = new Point(now, [], 0, Interlocked.Read(ref _loadedRows));
            foreach (((string Topic, int Partition) key, Counters counters) in _partitions)
            {
                long consumed = counters.ConsumedCount;
                point.Partitions[key] = (consumed, counters.LoadedCount);
                point.Consumed += consumed;
            }

            while (_history.Count > 0 && time.GetElapsedTime(_history.Peek().At, now) > window)
            {
                _history.Dequeue();
            }

            Point? oldest = _history.Count > 0 ? _history.Peek() : null;
            _history.Enqueue(point);
            double seconds = oldest is null ? 0 : time.GetElapsedTime(oldest.At, now).TotalSeconds;
            double Rate(long from, long to) => seconds > 0 && from >= 0 && to >= from ? (to - from) / seconds : 0;

            var rows = new List<PartitionProgress>(_partitions.Count);
            foreach (((string topic, int partition), Counters counters) in _partitions)
            {
                (long consumed, long loaded) = point.Partitions[(topic, partition)];
                (long consumedBefore, long loadedBefore) = oldest?.Partitions.GetValueOrDefault((topic, partition), (0, 0)) ?? (consumed, loaded);
                long loadedTo = counters.LoadedNext;
                rows.Add(new PartitionProgress(
                    topic,
                    partition,
                    consumed,
                    counters.StagedCount,
                    loadedTo >= 0 ? loadedTo : null,
                    counters.PositionNext is >= 0 and var position ? position : null,
                    counters.EndOffset is >= 0 and var end ? end : null,
                    Rate(consumedBefore, consumed),
                    Rate(loadedBefore, loaded)));
            }

            rows.Sort((a, b) => string.CompareOrdinal(a.Topic, b.Topic) is var byTopic and not 0 ? byTopic : a.Partition.CompareTo(b.Partition));
            return new RunProgressSnapshot(
                rows,
                point.Consumed,
                Interlocked.Read(ref _staged),
                Interlocked.Read(ref _deadLettered),
                point.LoadedRows,
                oldest is null ? 0 : Rate(oldest.Consumed, point.Consumed),
                oldest is null ? 0 : Rate(oldest.LoadedRows, point.LoadedRows),
                time.GetElapsedTime(_started));
        }
    }

    private Counters For(string topic, int partition) => _partitions.GetOrAdd((topic, partition), static key => new Counters(key.Topic, key.Partition));

    /// <summary>The model's state at one sample, for the rates.</summary>
    private sealed class Point(long at, Dictionary<(string Topic, int Partition), (long Consumed, long Loaded)> partitions, long consumed, long loadedRows)
    {
        public long At { get; } = at;

        public Dictionary<(string Topic, int Partition), (long Consumed, long Loaded)> Partitions { get; } = partitions;

        public long Consumed { get; set; } = consumed;

        public long LoadedRows { get; } = loadedRows;
    }

    /// <summary>One partition's counters. Each has one writer thread; readers see whole 64-bit values.</summary>
    private sealed class Counters(string topic, int partition)
    {
        private long _consumed;
        private long _position = -1;
        private long _staged;
        private long _loadedTo = -1;
        private long _loaded;
        private long _end = -1;

        public string Topic { get; } = topic;

        public int Partition { get; } = partition;

        public long ConsumedCount => Volatile.Read(ref _consumed);

        public long PositionNext => Volatile.Read(ref _position);

        public long StagedCount => Interlocked.Read(ref _staged);

        public long LoadedNext => Volatile.Read(ref _loadedTo);

        public long EndOffset => Volatile.Read(ref _end);

        public long LoadedCount => Interlocked.Read(ref _loaded);

        /// <summary>The consume loop's thread only: no interlocked read-modify-write needed.</summary>
        public void Consume(long next)
        {
            Volatile.Write(ref _consumed, _consumed + 1);
            Volatile.Write(ref _position, next);
        }

        public void SetPosition(long next) => Volatile.Write(ref _position, next);

        public void AddStaged(long lines) => Interlocked.Add(ref _staged, lines);

        public void AddLoaded(long offsets) => Interlocked.Add(ref _loaded, offsets);

        public void SetEnd(long end) => Volatile.Write(ref _end, end);

        /// <summary>The loader's thread only; the ledger never moves back.</summary>
        public void LoadedTo(long next)
        {
            if (next > _loadedTo)
            {
                Volatile.Write(ref _loadedTo, next);
            }
        }
    }
}
