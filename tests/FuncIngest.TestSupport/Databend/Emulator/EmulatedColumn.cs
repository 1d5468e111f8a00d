using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>Column kinds the emulator stores: the types FuncIngest's tables use.</summary>
internal enum ColumnKind
{
    Int,
    String,
    Variant,
    Timestamp,
    Boolean,
    Decimal,
    Float,
}

/// <summary>A table column: name, kind, nullability, default.</summary>
internal sealed record EmulatedColumn(string Name, ColumnKind Kind, bool Nullable, object? Default)
{
    /// <summary>The type as Databend's HTTP schema displays it (e.g. <c>Nullable(Int64)</c>).</summary>
    public string DisplayType
    {
        get
        {
            string type = Kind switch
            {
                ColumnKind.Int => "Int64",
                ColumnKind.String => "String",
                ColumnKind.Variant => "Variant",
                ColumnKind.Timestamp => "Timestamp",
                ColumnKind.Boolean => "Boolean",
                ColumnKind.Decimal => "Decimal(38, 10)",
                _ => "Float64",
            };
            return Nullable ? $"Nullable({type})" : type;
        }
    }

    public static ColumnKind KindOf(string typeName) => typeName.ToUpperInvariant() switch
    {
        "INT" or "INTEGER" or "BIGINT" or "SMALLINT" or "TINYINT" or "INT8" or "INT16" or "INT32" or "INT64" or "UINT8" or "UINT16" or "UINT32" or "UINT64" => ColumnKind.Int,
        "STRING" or "VARCHAR" or "TEXT" or "CHAR" => ColumnKind.String,
        "VARIANT" or "JSON" => ColumnKind.Variant,
        "TIMESTAMP" or "DATETIME" or "DATE" => ColumnKind.Timestamp,
        "BOOLEAN" or "BOOL" => ColumnKind.Boolean,
        "DECIMAL" or "NUMERIC" => ColumnKind.Decimal,
        "FLOAT" or "DOUBLE" or "FLOAT32" or "FLOAT64" or "REAL" => ColumnKind.Float,
        _ => throw new EmulatorException(1005, $"the emulator does not support column type {typeName}"),
    };

    /// <summary>Converts a SQL literal token to this column's value.</summary>
    public object? FromLiteral(SqlToken token)
    {
        if (token.IsWord("NULL"))
        {
            return Nullable ? null : throw new EmulatorException(1006, $"column {Name} is NOT NULL");
        }

        try
        {
            return Kind switch
            {
                ColumnKind.Int => long.Parse(token.Text, CultureInfo.InvariantCulture),
                ColumnKind.String => token.Text,
                ColumnKind.Variant => JsonNode.Parse(token.Text)?.ToJsonString() ?? "null",
                ColumnKind.Timestamp => ParseTimestamp(token.Text),
                ColumnKind.Boolean => token.IsWord("TRUE") || token.Text == "1",
                ColumnKind.Decimal => decimal.Parse(token.Text, CultureInfo.InvariantCulture),
                _ => double.Parse(token.Text, CultureInfo.InvariantCulture),
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException or JsonException)
        {
            throw new EmulatorException(1006, $"cannot cast '{token.Text}' to {DisplayType} for column {Name}");
        }
    }

    /// <summary>Converts an NDJSON field to this column's value; null return with an error message means the row is bad.</summary>
    public object? FromJson(JsonNode? node, out string? error)
    {
        error = null;
        if (node is null)
        {
            if (!Nullable)
            {
                error = $"null for NOT NULL column {Name}";
            }

            return null;
        }

        try
        {
            switch (Kind)
            {
                case ColumnKind.Variant:
                    return node.ToJsonString();
                case ColumnKind.String:
                    return node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();
                case ColumnKind.Int when node.GetValueKind() == JsonValueKind.Number:
                    return node.GetValue<long>();
                case ColumnKind.Timestamp when node.GetValueKind() == JsonValueKind.String:
                    return ParseTimestamp(node.GetValue<string>());
                case ColumnKind.Boolean when node.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                    return node.GetValue<bool>();
                case ColumnKind.Decimal when node.GetValueKind() == JsonValueKind.Number:
                    return node.GetValue<decimal>();
                case ColumnKind.Float when node.GetValueKind() == JsonValueKind.Number:
                    return node.GetValue<double>();
                default:
                    error = $"invalid value {node.ToJsonString()} for column {Name} of type {DisplayType}";
                    return null;
            }
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            error = $"invalid value {node.ToJsonString()} for column {Name} of type {DisplayType}";
            return null;
        }
    }

    /// <summary>The value as Databend's HTTP API sends it: a string, or null.</summary>
    public static string? Render(object? value) => value switch
    {
        null => null,
        DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static DateTime ParseTimestamp(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}
