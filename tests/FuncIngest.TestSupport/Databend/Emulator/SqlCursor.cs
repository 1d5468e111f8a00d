namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>Reads a token list front to back, with the expectations the statement parsers need.</summary>
internal sealed class SqlCursor(List<SqlToken> tokens, string sql)
{
    private int _position;

    public SqlToken Peek => tokens[_position];

    public SqlToken PeekAt(int ahead) => tokens[Math.Min(_position + ahead, tokens.Count - 1)];

    public bool AtEnd => Peek.Kind == SqlTokenKind.End;

    public SqlToken Next() => tokens[Math.Min(_position++, tokens.Count - 1)];

    public bool TryWord(string word)
    {
        if (Peek.IsWord(word))
        {
            _position++;
            return true;
        }

        return false;
    }

    public bool TryWords(params string[] words)
    {
        for (int i = 0; i < words.Length; i++)
        {
            if (!PeekAt(i).IsWord(words[i]))
            {
                return false;
            }
        }

        _position += words.Length;
        return true;
    }

    public bool TrySymbol(string symbol)
    {
        if (Peek.IsSymbol(symbol))
        {
            _position++;
            return true;
        }

        return false;
    }

    public void Word(string word)
    {
        if (!TryWord(word))
        {
            throw Unexpected(word);
        }
    }

    public void Symbol(string symbol)
    {
        if (!TrySymbol(symbol))
        {
            throw Unexpected($"'{symbol}'");
        }
    }

    public string Identifier()
    {
        SqlToken token = Next();
        if (token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
        {
            return token.Text;
        }

        _position--;
        throw Unexpected("an identifier");
    }

    /// <summary>
    /// A stage name: a plain identifier only, never quoted (databendlabs/databend:
    /// src/query/ast/src/parser/common.rs, <c>stage_name</c> is <c>#plain_ident | "~"</c>); a
    /// quoted one is a syntax error (1005).
    /// </summary>
    public string StageName()
    {
        SqlToken token = Next();
        if (token.Kind is SqlTokenKind.Word)
        {
            return token.Text;
        }

        _position--;
        throw new EmulatorException(1005, $"SyntaxException: a stage name is a plain identifier, got {token.Kind} '{token.Text}'");
    }

    /// <summary>A possibly qualified name; the database part is accepted and ignored (one database).</summary>
    public string TableName()
    {
        string name = Identifier();
        if (TrySymbol("."))
        {
            name = Identifier();
        }

        return name;
    }

    public SqlToken Literal()
    {
        SqlToken token = Next();
        if (token.Kind is SqlTokenKind.String or SqlTokenKind.Number || token.IsWord("NULL") || token.IsWord("TRUE") || token.IsWord("FALSE"))
        {
            return token;
        }

        _position--;
        throw Unexpected("a literal");
    }

    public void End()
    {
        if (!AtEnd)
        {
            throw Unexpected("the end of the statement");
        }
    }

    public EmulatorException Unexpected(string expected) =>
        new(1005, $"SQL error: expected {expected} but found '{Peek}' in: {sql}");
}
