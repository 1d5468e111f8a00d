using System.Text;
using Confluent.Kafka;
using FuncIngest.Records;

namespace FuncIngest.Core.Tests.Records;

public sealed class RecordAdapterTests
{
    [Fact]
    public void Consume_result_maps_every_field_without_copying_payloads()
    {
        byte[] key = "k1"u8.ToArray();
        byte[] value = "{\"a\":1}"u8.ToArray();
        var headers = new Headers { { "trace", "t"u8.ToArray() }, { "empty", null } };
        var result = new ConsumeResult<byte[], byte[]>
        {
            TopicPartitionOffset = new TopicPartitionOffset("orders", 3, 42),
            Message = new Message<byte[], byte[]> { Key = key, Value = value, Headers = headers, Timestamp = new Timestamp(1_700_000_000_123, TimestampType.LogAppendTime) },
        };

        IngestRecord record = IngestRecord.FromConsumeResult(result);

        Assert.Equal(("orders", 3, 42L), (record.Topic, record.Partition, record.Offset));
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(record.Value!.Value, out ArraySegment<byte> segment));
        Assert.Same(value, segment.Array);
        Assert.Equal(RecordTimestampType.LogAppendTime, record.TimestampType);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123), record.Timestamp);
        Assert.Equal(["trace", "empty"], record.Headers.Select(h => h.Key));
        Assert.Null(record.Headers[1].Value);
        Assert.Equal(2 + 7 + 5 + 1 + 5, record.PayloadBytes);
    }

    [Fact]
    public void Consume_result_tombstone_and_missing_timestamp()
    {
        var result = new ConsumeResult<byte[], byte[]>
        {
            TopicPartitionOffset = new TopicPartitionOffset("t", 0, 0),
            Message = new Message<byte[], byte[]> { Key = null!, Value = null!, Timestamp = Timestamp.Default },
        };

        IngestRecord record = IngestRecord.FromConsumeResult(result);

        Assert.True(record.IsTombstone);
        Assert.Null(record.Key);
        Assert.Null(record.Timestamp);
        Assert.Equal(RecordTimestampType.NotAvailable, record.TimestampType);
    }

    [Fact]
    public void Consume_result_with_a_shared_topic_string_keeps_that_instance_and_refuses_another_topic()
    {
        string shared = string.Concat("or", "ders".AsSpan());
        var result = new ConsumeResult<byte[], byte[]>
        {
            TopicPartitionOffset = new TopicPartitionOffset("orders", 1, 7),
            Message = new Message<byte[], byte[]> { Key = null!, Value = [1], Timestamp = Timestamp.Default },
        };

        IngestRecord record = IngestRecord.FromConsumeResult(result, shared);

        Assert.Same(shared, record.Topic);
        Assert.NotSame(result.Topic, record.Topic);
        ArgumentException refused = Assert.Throws<ArgumentException>(() => IngestRecord.FromConsumeResult(result, "payments"));
        Assert.Contains("orders", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Functions_string_envelope_is_read_with_base64_headers()
    {
        const string json = """
            {"Offset":17,"Partition":2,"Topic":"orders","Timestamp":"2024-05-06T07:08:09.123Z",
             "Value":"{\"id\":1}","Key":"k","Headers":[{"Key":"h","Value":"AQID"}]}
            """;

        IngestRecord record = KafkaEventEnvelope.Parse(json);

        Assert.Equal(("orders", 2, 17L), (record.Topic, record.Partition, record.Offset));
        Assert.Equal("{\"id\":1}", Encoding.UTF8.GetString(record.Value!.Value.Span));
        Assert.Equal("k", Encoding.UTF8.GetString(record.Key!.Value.Span));
        Assert.Equal(new byte[] { 1, 2, 3 }, record.Headers[0].Value!.Value.ToArray());
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 7, 8, 9, 123, TimeSpan.Zero), record.Timestamp);
    }

    [Fact]
    public void Functions_envelope_without_value_is_a_tombstone()
    {
        IngestRecord record = KafkaEventEnvelope.Parse("""{"Offset":1,"Partition":0,"Topic":"t","Value":null,"Headers":[{"Key":"h","Value":null}]}""");

        Assert.True(record.IsTombstone);
        Assert.Null(record.Key);
        Assert.Null(record.Headers[0].Value);
    }

    [Theory]
    [InlineData("[]", "object")]
    [InlineData("{\"Partition\":1,\"Offset\":1}", "Topic")]
    [InlineData("{\"Topic\":\"t\",\"Offset\":1}", "Partition")]
    [InlineData("not json", "Not a Kafka event envelope")]
    public void Malformed_envelopes_say_what_is_wrong(string json, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => KafkaEventEnvelope.Parse(json)).Message, StringComparison.Ordinal);
}
