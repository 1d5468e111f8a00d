namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>What a statement returns: columns, rows rendered as Databend strings, rows written.</summary>
internal sealed record StatementResult(IReadOnlyList<(string Name, string Type)> Columns, IReadOnlyList<string?[]> Rows, long WriteRows)
{
    public static readonly StatementResult Empty = new([], [], 0);
}
