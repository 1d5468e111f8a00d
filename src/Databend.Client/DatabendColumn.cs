namespace Databend.Client;

/// <summary>A column of a result, as the server's <c>schema</c> describes it.</summary>
/// <param name="Name">The column name.</param>
/// <param name="Type">The Databend type as displayed by the server, e.g. <c>Nullable(Int64)</c>.</param>
public sealed record DatabendColumn(string Name, string Type)
{
    /// <summary>True when the type is <c>Nullable(...)</c>.</summary>
    public bool IsNullable => Type.StartsWith("Nullable(", StringComparison.OrdinalIgnoreCase);

    /// <summary>The type without the <c>Nullable(...)</c> wrapper.</summary>
    public string BaseType => IsNullable ? Type[9..^1] : Type;
}
