namespace FuncIngest.Loading;

/// <summary>A table with staged files older than the sweeper's threshold.</summary>
/// <param name="Table">The table.</param>
/// <param name="Files">How many of its staged files are that old.</param>
/// <param name="Oldest">When the oldest of them was written.</param>
public sealed record StrandedTable(string Table, int Files, DateTimeOffset Oldest);
