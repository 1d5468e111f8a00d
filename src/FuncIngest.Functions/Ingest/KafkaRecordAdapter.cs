using FuncIngest.Records;
using Microsoft.Azure.Functions.Worker;

namespace FuncIngest.Functions.Ingest;

/// <summary>The Kafka extension's <see cref="KafkaRecord"/> as Core's <see cref="IngestRecord"/>, sharing the byte arrays.</summary>
internal static class KafkaRecordAdapter
{
    public static IngestRecord[] ToIngestRecords(KafkaRecord[] records)
    {
        var converted = new IngestRecord[records.Length];
        for (int i = 0; i < records.Length; i++)
        {
            converted[i] = ToIngestRecord(records[i]);
        }

        return converted;
    }

    public static IngestRecord ToIngestRecord(KafkaRecord record)
    {
        RecordHeader[] headers = record.Headers is { Length: > 0 } source
            ? Array.ConvertAll(source, h => new RecordHeader(h.Key, IngestRecord.AsMemory(h.Value)))
            : [];
        (DateTimeOffset? timestamp, RecordTimestampType type) = record.Timestamp switch
        {
            null or { Type: KafkaTimestampType.NotAvailable, UnixTimestampMs: < 0 } => ((DateTimeOffset?)null, RecordTimestampType.NotAvailable),
            // The host extension 4.3.x sends the record's real time with Type = NotAvailable
            // (azure-functions-kafka-extension KafkaRecordProtobufSerializer.cs: "IKafkaEventData
            // doesn't preserve TimestampType"); keep the time, say the type is unknown.
            { Type: KafkaTimestampType.NotAvailable } t => (t.DateTimeOffset, RecordTimestampType.NotAvailable),
            { Type: KafkaTimestampType.LogAppendTime } t => (t.DateTimeOffset, RecordTimestampType.LogAppendTime),
            { } t => (t.DateTimeOffset, RecordTimestampType.CreateTime),
        };
        return new IngestRecord(
            record.Topic,
            record.Partition,
            record.Offset,
            IngestRecord.AsMemory(record.Key),
            IngestRecord.AsMemory(record.Value),
            timestamp,
            type,
            headers);
    }
}
