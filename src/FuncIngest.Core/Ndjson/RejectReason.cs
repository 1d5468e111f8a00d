namespace FuncIngest.Ndjson;

/// <summary>Why a record went to the dead-letter area instead of the table.</summary>
public enum RejectReason
{
    /// <summary>The record was accepted.</summary>
    None,

    /// <summary>The value is not valid JSON (transform mode, or raw mode with strict JSON).</summary>
    NotJson,

    /// <summary>The value is JSON but not an object (transform mode).</summary>
    NotJsonObject,

    /// <summary>The value nests deeper than the configured limit (transform or strict mode).</summary>
    TooDeep,

    /// <summary>The value is null: a tombstone (transform mode; raw mode keeps tombstones).</summary>
    Tombstone,

    /// <summary>The value has zero bytes (transform mode, or raw mode with strict JSON).</summary>
    Empty,

    /// <summary>The value is not UTF-8 text (transform mode, or raw mode with strict JSON).</summary>
    InvalidUtf8,

    /// <summary>Key, value and headers together exceed the record size limit.</summary>
    TooLarge,

    /// <summary>
    /// Staged, but Databend refused the line at load time (for example a value that does not fit
    /// its column in transform mode). The dead letter's value holds the staged line; its detail
    /// holds Databend's message.
    /// </summary>
    RefusedByDatabend,
}
