namespace FuncIngest.Schemas;

/// <summary>The type of a registered schema, as the registry's <c>schemaType</c> names it (absent means Avro).</summary>
internal enum SchemaKind
{
    Avro,
    Json,
    Protobuf,
}
