namespace FuncIngest.Ndjson;

/// <summary>How a record's value (or key) is encoded by its producer.</summary>
public enum PayloadFormat
{
    /// <summary>Plain bytes, read as JSON (or text, or base64) as FuncIngest always has. Default.</summary>
    Json,

    /// <summary>
    /// Confluent Schema Registry wire format with an Avro schema: magic byte 0, the 4-byte
    /// big-endian schema id, the Avro binary datum. Decoded to JSON (docs/schema-registry.md).
    /// </summary>
    Avro,

    /// <summary>Confluent Schema Registry wire format with a JSON Schema: magic byte 0, the schema id, UTF-8 JSON.</summary>
    JsonSchema,

    /// <summary>
    /// A value that starts with the wire-format header is looked up in the registry and decoded
    /// by its schema's type; any other value is read as <see cref="Json"/>.
    /// </summary>
    Auto,
}
