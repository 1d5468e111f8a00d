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

    /// <summary>
    /// The value is JSON with a <c>\u</c> escape of an unpaired UTF-16 surrogate, which Databend
    /// refuses (transform mode, or raw mode with strict JSON).
    /// </summary>
    LoneSurrogate,

    /// <summary>
    /// The value is JSON with a number beyond double precision's range, which Databend would store
    /// as NULL (beyond 1.8e308) or 0 (below 4.9e-324) (transform mode, or raw mode with strict JSON).
    /// </summary>
    NumberOutOfRange,

    /// <summary>
    /// The value is JSON with an integer outside [-2^127, 2^128 - 1], which Databend would round to
    /// a double (transform mode, or raw mode with strict JSON).
    /// </summary>
    WideInteger,

    /// <summary>
    /// The value is JSON with an object whose first key is <c>$serde_json::private::Number</c> or
    /// <c>$serde_json::private::RawValue</c>, which Databend's JSON parser reads as something else
    /// (transform mode, or raw mode with strict JSON).
    /// </summary>
    ReservedKey,

    /// <summary>
    /// The value is JSON with an object holding the same key twice; Databend would keep only the
    /// last (transform mode, or raw mode with strict JSON).
    /// </summary>
    DuplicateKey,

    /// <summary>
    /// The value (or key) carries a Schema Registry id that the registry does not know (HTTP 404,
    /// error code 40403). The detail names the id and whether it was the key.
    /// </summary>
    UnknownSchemaId,

    /// <summary>
    /// The value (or key) has a Schema Registry header and a known schema, but its bytes do not
    /// decode with that schema (truncated, trailing bytes, a bad union branch or enum index,
    /// text that is not UTF-8, a date outside 0001..9999), or the schema itself does not parse.
    /// </summary>
    UndecodableValue,

    /// <summary>
    /// The value (or key) is not in the configured format: no Schema Registry header where
    /// <c>Avro</c> or <c>JsonSchema</c> is configured, a schema of another type than configured,
    /// or a Protobuf schema in transform mode (Protobuf is not decoded; docs/schema-registry.md).
    /// </summary>
    FormatMismatch,
}
