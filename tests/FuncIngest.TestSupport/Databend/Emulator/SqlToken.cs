namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>A token of the SQL the emulator understands.</summary>
/// <param name="Kind">What the token is.</param>
/// <param name="Text">Its text: the identifier (unquoted), the literal's value, or the symbol.</param>
internal readonly record struct SqlToken(SqlTokenKind Kind, string Text)
{
    public bool IsWord(string word) => Kind == SqlTokenKind.Word && string.Equals(Text, word, StringComparison.OrdinalIgnoreCase);

    public bool IsSymbol(string symbol) => Kind == SqlTokenKind.Symbol && Text == symbol;

    public override string ToString() => Kind == SqlTokenKind.String ? $"'{Text}'" : Text;
}

/// <summary>Kinds of <see cref="SqlToken"/>.</summary>
internal enum SqlTokenKind
{
    Word,
    QuotedIdentifier,
    String,
    Number,
    Symbol,
    StageReference,
    End,
}
