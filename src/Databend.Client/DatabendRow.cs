using System.Globalization;
using System.Text.Json;

namespace Databend.Client;

/// <summary>
/// One row of a result. Databend's HTTP API sends every value as a string (or JSON null for
/// NULL); the typed getters parse those strings with invariant culture.
/// </summary>
public sealed class DatabendRow
{
    private static readonly string[] s_timestampFormats =
    [
        "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd",
    ];

    private readonly string?[] _values;

    internal DatabendRow(IReadOnlyList<DatabendColumn> columns, string?[] values)
    {
        Columns = columns;
        _values = values;
    }

    /// <summary>The result's columns.</summary>
    public IReadOnlyList<DatabendColumn> Columns { get; }

    /// <summary>Number of values in the row.</summary>
    public int FieldCount => _values.Length;

    /// <summary>The raw value as the server sent it, null for NULL.</summary>
    public string? this[int ordinal] => _values[ordinal];

    /// <summary>The raw value of a column by name (case-insensitive), null for NULL.</summary>
    public string? this[string name] => _values[GetOrdinal(name)];

    /// <summary>The position of a column by name (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No column has that name.</exception>
    public int GetOrdinal(string name)
    {
        for (int i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new ArgumentException($"The result has no column '{name}'. Columns: {string.Join(", ", Columns.Select(c => c.Name))}.", nameof(name));
    }

    /// <summary>True when the value is NULL.</summary>
    public bool IsNull(int ordinal) => _values[ordinal] is null;

    /// <summary>The value as a string.</summary>
    public string GetString(int ordinal) => _values[ordinal] ?? throw NullValue(ordinal);

    /// <summary>The value as a 64-bit integer.</summary>
    public long GetInt64(int ordinal) => Parse(ordinal, static s => long.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture));

    /// <summary>The value as a 32-bit integer.</summary>
    public int GetInt32(int ordinal) => Parse(ordinal, static s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture));

    /// <summary>The value as a decimal.</summary>
    public decimal GetDecimal(int ordinal) => Parse(ordinal, static s => decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture));

    /// <summary>The value as a double.</summary>
    public double GetDouble(int ordinal) => Parse(ordinal, static s => s switch
    {
        "inf" or "Infinity" => double.PositiveInfinity,
        "-inf" or "-Infinity" => double.NegativeInfinity,
        "nan" or "NaN" => double.NaN,
        _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
    });

    /// <summary>The value as a boolean (<c>true/false</c> or <c>1/0</c>).</summary>
    public bool GetBoolean(int ordinal) => Parse(ordinal, static s => s switch
    {
        "1" => true,
        "0" => false,
        _ => bool.Parse(s),
    });

    /// <summary>The value of a TIMESTAMP or DATE column, as UTC.</summary>
    public DateTime GetDateTime(int ordinal) => Parse(ordinal, static s => DateTime.ParseExact(
        s, s_timestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal));

    /// <summary>The value of a VARIANT (or any JSON text) column, parsed.</summary>
    public JsonDocument GetJson(int ordinal) => Parse(ordinal, static s => JsonDocument.Parse(s));

    /// <summary>A copy of the raw values.</summary>
    public string?[] ToArray() => (string?[])_values.Clone();

    private T Parse<T>(int ordinal, Func<string, T> parse)
    {
        string value = GetString(ordinal);
        try
        {
            return parse(value);
        }
        catch (Exception e) when (e is FormatException or OverflowException or JsonException)
        {
            throw new InvalidCastException(
                $"Column '{Columns[ordinal].Name}' ({Columns[ordinal].Type}) holds '{value}', which is not a {typeof(T).Name}.", e);
        }
    }

    private InvalidCastException NullValue(int ordinal) =>
        new($"Column '{Columns[ordinal].Name}' is NULL in this row; check IsNull first.");
}
