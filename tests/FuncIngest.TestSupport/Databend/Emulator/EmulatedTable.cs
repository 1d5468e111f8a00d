namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>
/// A committed table: its latest snapshot, a list of immutable segments. A commit installs a
/// new list; segments are never changed in place.
/// </summary>
internal sealed class EmulatedTable(string name, List<EmulatedColumn> columns)
{
    public string Name { get; } = name;

    public List<EmulatedColumn> Columns { get; } = columns;

    public IReadOnlyList<EmulatedSegment> Segments { get; set; } = [];

    /// <summary>The rows, oldest segment first (new segments go to the front of the list, as in Databend's snapshots).</summary>
    public IReadOnlyList<object?[]> Rows => [.. Segments.Reverse().SelectMany(s => s.Rows)];

    /// <summary>Bumped by every commit that changed the table.</summary>
    public long Version { get; set; }

    /// <summary>
    /// COPY's load history: stage file path -> when it was loaded. A file in it is skipped unless
    /// FORCE, until <c>load_file_metadata_expire_hours</c> pass (Databend docs, COPY INTO table:
    /// "skips files that have already been loaded ... within the last 24 hours by default").
    /// </summary>
    public Dictionary<string, DateTimeOffset> LoadHistory { get; } = new(StringComparer.Ordinal);

    public int Ordinal(string column)
    {
        int index = Columns.FindIndex(c => string.Equals(c.Name, column, StringComparison.OrdinalIgnoreCase));
        return index >= 0 ? index : throw new EmulatorException(1065, $"column {column} doesn't exist in table {Name}");
    }
}
