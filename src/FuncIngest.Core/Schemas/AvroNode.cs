using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Avro;

namespace FuncIngest.Schemas;

/// <summary>
/// An Avro schema compiled for decoding: the type (with its logical type resolved once), field
/// names and enum symbols pre-encoded for <see cref="Utf8JsonWriter"/>, children by position.
/// Named types that refer to themselves (a linked list) compile to a cycle of nodes.
/// </summary>
internal sealed class AvroNode
{
    private AvroNode(AvroKind kind) => Kind = kind;

    public AvroKind Kind { get; private set; }

    /// <summary>Record field names or enum symbols.</summary>
    public JsonEncodedText[] Names { get; private set; } = [];

    /// <summary>Record fields, union branches, or the array's items / map's values at 0.</summary>
    public AvroNode[] Children { get; private set; } = [];

    /// <summary>Fixed size (fixed, decimal on fixed, uuid on fixed, duration); 0 for a decimal on bytes.</summary>
    public int Size { get; private set; }

    /// <summary>The decimal's scale.</summary>
    public int Scale { get; private set; }

    /// <summary>
    /// True when a map is reachable from this node. Only a map can make decoded Avro JSON that
    /// Databend would change (a key written twice; a key that is serde_json's private token):
    /// record field names are Avro names (<c>[A-Za-z_][A-Za-z0-9_]*</c>), strings are checked
    /// UTF-8, numbers are 64-bit integers or finite doubles, and depth is limited while decoding.
    /// </summary>
    public bool ContainsMap { get; private set; }

    /// <summary>Parses the registry's schema text and compiles it.</summary>
    /// <exception cref="SchemaParseException">The text is not an Avro schema Apache.Avro accepts.</exception>
    public static AvroNode Parse(string schemaText)
    {
        AvroNode root = Compile(Schema.Parse(schemaText), new Dictionary<Schema, AvroNode>(ReferenceEqualityComparer.Instance));
        root.ContainsMap = HasMap(root, new HashSet<AvroNode>(ReferenceEqualityComparer.Instance));
        return root;
    }

    private static bool HasMap(AvroNode node, HashSet<AvroNode> seen) =>
        seen.Add(node) && (node.Kind == AvroKind.Map || node.Children.Any(child => HasMap(child, seen)));

    private static AvroNode Compile(Schema schema, Dictionary<Schema, AvroNode> named)
    {
        if (named.TryGetValue(schema, out AvroNode? seen))
        {
            return seen;
        }

        switch (schema)
        {
            case RecordSchema record:
            {
                var node = new AvroNode(AvroKind.Record);
                named[schema] = node;
                node.Names = [.. record.Fields.Select(f => JsonEncodedText.Encode(f.Name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping))];
                node.Children = [.. record.Fields.Select(f => Compile(f.Schema, named))];
                return node;
            }

            case EnumSchema enumeration:
            {
                var node = new AvroNode(AvroKind.Enum) { Names = [.. enumeration.Symbols.Select(s => JsonEncodedText.Encode(s, JavaScriptEncoder.UnsafeRelaxedJsonEscaping))] };
                named[schema] = node;
                return node;
            }

            case FixedSchema fixedSchema:
            {
                var node = new AvroNode(AvroKind.Fixed) { Size = fixedSchema.Size };
                named[schema] = node;
                return node;
            }

            case ArraySchema array:
                return new AvroNode(AvroKind.Array) { Children = [Compile(array.ItemSchema, named)] };
            case MapSchema map:
                return new AvroNode(AvroKind.Map) { Children = [Compile(map.ValueSchema, named)] };
            case UnionSchema union:
                return new AvroNode(AvroKind.Union) { Children = [.. union.Schemas.Select(s => Compile(s, named))] };
            case LogicalSchema logical:
                return CompileLogical(logical, named);
            default:
                return new AvroNode(schema.Tag switch
                {
                    Schema.Type.Null => AvroKind.Null,
                    Schema.Type.Boolean => AvroKind.Boolean,
                    Schema.Type.Int => AvroKind.Int,
                    Schema.Type.Long => AvroKind.Long,
                    Schema.Type.Float => AvroKind.Float,
                    Schema.Type.Double => AvroKind.Double,
                    Schema.Type.Bytes => AvroKind.Bytes,
                    Schema.Type.String => AvroKind.String,
                    _ => throw new SchemaParseException($"unsupported Avro type {schema.Tag}"),
                });
        }
    }

    /// <summary>
    /// (Apache.Avro refuses <c>uuid</c> on <c>fixed</c> when parsing, so a uuid is always a string here.)
    /// A logical type the rules of docs/schema-registry.md know, on the base type the Avro
    /// specification gives it; any other logical type (or a known one on another base type) is
    /// read and written as its base type, as the specification says readers must do.
    /// </summary>
    private static AvroNode CompileLogical(LogicalSchema logical, Dictionary<Schema, AvroNode> named)
    {
        AvroNode baseNode = Compile(logical.BaseSchema, named);
        AvroKind baseKind = baseNode.Kind;
        AvroKind? kind = (logical.LogicalTypeName, baseKind) switch
        {
            ("decimal", AvroKind.Bytes or AvroKind.Fixed) => AvroKind.Decimal,
            ("date", AvroKind.Int) => AvroKind.Date,
            ("time-millis", AvroKind.Int) => AvroKind.TimeMillis,
            ("time-micros", AvroKind.Long) => AvroKind.TimeMicros,
            ("timestamp-millis", AvroKind.Long) => AvroKind.TimestampMillis,
            ("timestamp-micros", AvroKind.Long) => AvroKind.TimestampMicros,
            ("timestamp-nanos", AvroKind.Long) => AvroKind.TimestampNanos,
            ("local-timestamp-millis", AvroKind.Long) => AvroKind.LocalTimestampMillis,
            ("local-timestamp-micros", AvroKind.Long) => AvroKind.LocalTimestampMicros,
            ("local-timestamp-nanos", AvroKind.Long) => AvroKind.LocalTimestampNanos,
            ("duration", AvroKind.Fixed) when baseNode.Size == 12 => AvroKind.Duration,
            _ => null,
        };
        if (kind is null)
        {
            return baseNode;
        }

        int scale = 0;
        if (kind == AvroKind.Decimal && logical.GetProperty("scale") is { } scaleText)
        {
            scale = int.Parse(scaleText, NumberStyles.Integer, CultureInfo.InvariantCulture);
        }

        return new AvroNode(kind.Value) { Size = baseKind == AvroKind.Fixed ? baseNode.Size : 0, Scale = scale };
    }
}
