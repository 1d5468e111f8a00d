namespace FuncIngest.Schemas;

/// <summary>A schema the registry returned for an id, parsed once and cached by id.</summary>
internal sealed class WireSchema(int id, SchemaKind kind, AvroNode? avro, string? error)
{
    public int Id { get; } = id;

    public SchemaKind Kind { get; } = kind;

    /// <summary>The compiled Avro schema; null for other kinds or when it did not parse.</summary>
    public AvroNode? Avro { get; } = avro;

    /// <summary>Why an Avro schema could not be used (it does not parse), else null.</summary>
    public string? Error { get; } = error;
}
