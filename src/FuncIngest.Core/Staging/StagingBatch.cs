using System.Runtime.CompilerServices;
using FuncIngest.Internal;
using FuncIngest.Ndjson;
using FuncIngest.Records;

namespace FuncIngest.Staging;

/// <summary>
/// A batch that is encoded and compressed as its records are added, for a host that collects
/// records one by one (<c>funcingest run</c>): what the batch holds until it is staged is its
/// files' bytes (compressed once a file passes 256 KiB), not the records, so memory does not grow
/// with the batch's record count.
/// Made by <see cref="BatchStager.StartBatch"/>, staged by <see cref="BatchStager.StageAsync(StagingBatch, CancellationToken)"/>,
/// then disposed.
/// </summary>
/// <remarks>
/// <para>Files are cut by <see cref="StagingOptions.MaxFileRecords"/> and <see cref="StagingOptions.MaxFileBytes"/>
/// as records arrive. What is already staged is known only when the batch is staged, under the
/// partition's lock: a file that overlaps it then (a redelivery after a rebalance) is decompressed
/// and cut again around the covered offsets, so the same records are staged, skipped and
/// dead-lettered as when staging the records at once (with file limits, file boundaries may differ).</para>
/// <para>With an encoding that reads the Schema Registry the batch holds the records instead: their
/// schemas are resolved (a network call) when the batch is staged, not in the consume loop.</para>
/// <para>Not thread-safe: one thread adds, then one stages.</para>
/// </remarks>
public sealed class StagingBatch : IDisposable
{
    private readonly StagingOptions _options;
    private readonly CompressorPool _compressors;
    private readonly TimeProvider _time;
    private readonly Dictionary<(string Topic, int Partition), PreparedPartition> _partitions = [];
    private readonly List<IngestRecord>? _records;
    private readonly StrongBox<int> _compressorsLeft;
    private NdjsonRecordEncoder? _encoder;
    private PreparedPartition? _last;
    private bool _finished;
    private bool _disposed;

    internal StagingBatch(BatchStager stager, StagingOptions options, CompressorPool compressors, TimeProvider time, int expectedRecords)
    {
        Stager = stager;
        _options = options;
        _compressors = compressors;
        _time = time;
        // Files compressing as they grow, at 1 to 3 MiB of compressor each (PreparedFile): a few
        // per partition staged at once; the batch's other files stay plain until staged.
        _compressorsLeft = new StrongBox<int>(options.MaxParallelPartitions * 2);
        if (options.Encoding.UsesSchemaRegistry)
        {
            _records = new List<IngestRecord>(expectedRecords);
        }
    }

    /// <summary>Records added (duplicates included), less those of removed partitions.</summary>
    public int Count { get; private set; }

    /// <summary>Payload bytes (key, value, headers) of the records counted in <see cref="Count"/>.</summary>
    public long PayloadBytes { get; private set; }

    internal BatchStager Stager { get; }

    /// <summary>
    /// The batch's time, lines' <c>add_time</c> and dead letters' time: when its first record was
    /// added (a host starts the next batch right away, which may be long before records come).
    /// </summary>
    internal DateTimeOffset Now { get; private set; }

    /// <summary>The records, when the batch holds them instead of encoding them (Schema Registry encodings).</summary>
    internal IReadOnlyList<IngestRecord>? Records => _records;

    internal IEnumerable<PreparedPartition> Partitions => _partitions.Values;

    /// <summary>
    /// Encodes the record into its partition's open file (or keeps it for a dead letter). A
    /// partition's records come in offset order, as a consumer delivers them; a repeated offset
    /// is skipped.
    /// </summary>
    /// <exception cref="InvalidOperationException">The batch is being staged, was staged or disposed; or the offset is below an earlier one of its partition and new.</exception>
    public void Add(IngestRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (_finished)
        {
            throw new InvalidOperationException("records cannot be added to a batch that is being staged, was staged or was disposed");
        }

        Count++;
        PayloadBytes += record.PayloadBytes;
        if (_records is not null)
        {
            _records.Add(record);
            return;
        }

        if (_last is null || _last.Partition != record.Partition || !string.Equals(_last.Topic, record.Topic, StringComparison.Ordinal))
        {
            if (!_partitions.TryGetValue((record.Topic, record.Partition), out _last))
            {
                _last = new PreparedPartition(record.Topic, record.Partition);
                _partitions.Add((record.Topic, record.Partition), _last);
            }
        }

        if (_encoder is null)
        {
            Now = _time.GetUtcNow();
            _encoder = new NdjsonRecordEncoder(_options.Encoding, Now);
        }

        _last.Add(record, _encoder, _options, _compressors, _compressorsLeft);
    }

    /// <summary>
    /// Forgets the records of these partitions (they moved to another consumer-group member), so
    /// nothing of them is staged; returns how many were dropped.
    /// </summary>
    /// <exception cref="InvalidOperationException">The batch is being staged, was staged or disposed.</exception>
    public int RemovePartitions(IEnumerable<(string Topic, int Partition)> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        if (_finished)
        {
            throw new InvalidOperationException("partitions cannot be removed from a batch that is being staged, was staged or was disposed");
        }

        HashSet<(string Topic, int Partition)> gone = [.. partitions];
        int dropped = 0;
        if (_records is not null)
        {
            long bytes = 0;
            dropped = _records.RemoveAll(record =>
            {
                bool remove = gone.Contains((record.Topic, record.Partition));
                bytes += remove ? record.PayloadBytes : 0;
                return remove;
            });
            PayloadBytes -= bytes;
        }
        else
        {
            foreach ((string Topic, int Partition) key in gone)
            {
                if (_partitions.Remove(key, out PreparedPartition? partition))
                {
                    dropped += partition.Added;
                    PayloadBytes -= partition.AddedBytes;
                    partition.Dispose();
                }
            }

            _last = null;
        }

        Count -= dropped;
        return dropped;
    }

    /// <summary>Closes every open file: the batch is about to be staged.</summary>
    internal void Finish()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _finished = true;
        foreach (PreparedPartition partition in _partitions.Values)
        {
            partition.Finish();
        }
    }

    /// <summary>Returns the batch's buffers and compressors.</summary>
    public void Dispose()
    {
        foreach (PreparedPartition partition in _partitions.Values)
        {
            partition.Dispose();
        }

        _partitions.Clear();
        _records?.Clear();
        _encoder?.Dispose();
        _finished = true;
        _disposed = true;
    }
}
