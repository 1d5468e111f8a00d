namespace FuncIngest.Records;

/// <summary>What a Kafka record's timestamp means.</summary>
public enum RecordTimestampType
{
    /// <summary>The record has no timestamp.</summary>
    NotAvailable,

    /// <summary>Set by the producer when the record was created.</summary>
    CreateTime,

    /// <summary>Set by the broker when the record was appended to the log.</summary>
    LogAppendTime,
}
