using Confluent.Kafka;

namespace FuncIngest.Records;

/// <summary>
/// One Kafka record as FuncIngest stages it. Both hosts fill it without copying payloads:
/// key, value and header values are views over the bytes the Kafka client delivered.
/// </summary>
public sealed class IngestRecord
{
    /// <summary>Creates a record.</summary>
    /// <exception cref="ArgumentException">The topic is not a Kafka topic name, or partition or offset is out of range.</exception>
    public IngestRecord(
        string topic,
        int partition,
        long offset,
        ReadOnlyMemory<byte>? key,
        ReadOnlyMemory<byte>? value,
        DateTimeOffset? timestamp = null,
        RecordTimestampType timestampType = RecordTimestampType.NotAvailable,
        IReadOnlyList<RecordHeader>? headers = null)
    {
        // Records enter here from every host: a topic outside Kafka's rule would reach stage paths.
        KafkaTopicName.ThrowIfInvalid(topic, nameof(topic));
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Key = key;
        Value = value;
        Timestamp = timestamp;
        TimestampType = timestamp is null ? RecordTimestampType.NotAvailable : timestampType;
        Headers = headers ?? [];
    }

    /// <summary>The topic.</summary>
    public string Topic { get; }

    /// <summary>The partition.</summary>
    public int Partition { get; }

    /// <summary>The offset within the partition.</summary>
    public long Offset { get; }

    /// <summary>The key bytes, or null when the record has no key.</summary>
    public ReadOnlyMemory<byte>? Key { get; }

    /// <summary>The value bytes, or null for a tombstone.</summary>
    public ReadOnlyMemory<byte>? Value { get; }

    /// <summary>The record's timestamp, if it has one.</summary>
    public DateTimeOffset? Timestamp { get; }

    /// <summary>What the timestamp means.</summary>
    public RecordTimestampType TimestampType { get; }

    /// <summary>The record's headers, in order.</summary>
    public IReadOnlyList<RecordHeader> Headers { get; }

    /// <summary>True when the value is null (a tombstone in a compacted topic).</summary>
    public bool IsTombstone => Value is null;

    /// <summary>Bytes of key, value and headers: what the record weighs against size limits.</summary>
    public long PayloadBytes
    {
        get
        {
            long size = (Key?.Length ?? 0) + (Value?.Length ?? 0);
            foreach (RecordHeader header in Headers)
            {
                size += header.Key.Length + (header.Value?.Length ?? 0);
            }

            return size;
        }
    }

    /// <summary>Wraps a record read by Confluent.Kafka (the <c>funcingest run</c> host).</summary>
    public static IngestRecord FromConsumeResult(ConsumeResult<byte[], byte[]> result) => FromConsumeResult(result, result?.Topic!);

    /// <summary>
    /// Wraps a record read by Confluent.Kafka, naming its topic with <paramref name="topic"/>: the
    /// same name as <see cref="ConsumeResult{TKey, TValue}.Topic"/>, passed so that the records a
    /// batch holds share one string instead of keeping one copy each (Confluent.Kafka decodes the
    /// name afresh for every message).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="topic"/> is not the record's topic.</exception>
    public static IngestRecord FromConsumeResult(ConsumeResult<byte[], byte[]> result, string topic)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!string.Equals(topic, result.Topic, StringComparison.Ordinal))
        {
            throw new ArgumentException($"the record is from topic {result.Topic}, not {topic}", nameof(topic));
        }

        Message<byte[], byte[]> message = result.Message;
        List<RecordHeader>? headers = null;
        if (message.Headers is { Count: > 0 })
        {
            headers = new List<RecordHeader>(message.Headers.Count);
            foreach (IHeader header in message.Headers)
            {
                byte[]? value = header.GetValueBytes();
                headers.Add(new RecordHeader(header.Key, AsMemory(value)));
            }
        }

        (DateTimeOffset? timestamp, RecordTimestampType type) = message.Timestamp.Type switch
        {
            Confluent.Kafka.TimestampType.CreateTime => (DateTimeOffset.FromUnixTimeMilliseconds(message.Timestamp.UnixTimestampMs), RecordTimestampType.CreateTime),
            Confluent.Kafka.TimestampType.LogAppendTime => (DateTimeOffset.FromUnixTimeMilliseconds(message.Timestamp.UnixTimestampMs), RecordTimestampType.LogAppendTime),
            _ => ((DateTimeOffset?)null, RecordTimestampType.NotAvailable),
        };

        return new IngestRecord(
            topic,
            result.Partition.Value,
            result.Offset.Value,
            AsMemory(message.Key),
            AsMemory(message.Value),
            timestamp,
            type,
            headers);
    }

    /// <summary>
    /// Wraps an array, keeping null as null. (The implicit conversion from <c>byte[]</c> turns a
    /// null array into an empty, non-null memory, which would make a tombstone an empty value;
    /// so does a bare <c>null</c> in a conditional next to a memory, hence the typed default.)
    /// </summary>
    public static ReadOnlyMemory<byte>? AsMemory(byte[]? bytes) => bytes is null ? default(ReadOnlyMemory<byte>?) : new ReadOnlyMemory<byte>(bytes);
}
