using System.Text;

namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>
/// Splits SQL into tokens. String literals take '' and backslash escapes (Databend accepts both,
/// docs "String literals"); identifiers may be quoted with backticks or double quotes;
/// <c>@stage/path</c> is one token.
/// </summary>
internal static class SqlTokenizer
{
    public static List<SqlToken> Tokenize(string sql)
    {
        var tokens = new List<SqlToken>();
        int i = 0;
        while (i < sql.Length)
        {
            char c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                while (i < sql.Length && sql[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '\'')
            {
                var text = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= sql.Length)
                    {
                        throw new EmulatorException(1005, "unterminated string literal");
                    }

                    if (sql[i] == '\\' && i + 1 < sql.Length)
                    {
                        text.Append(sql[i + 1] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', char other => other });
                        i += 2;
                    }
                    else if (sql[i] == '\'' && i + 1 < sql.Length && sql[i + 1] == '\'')
                    {
                        text.Append('\'');
                        i += 2;
                    }
                    else if (sql[i] == '\'')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        text.Append(sql[i++]);
                    }
                }

                tokens.Add(new SqlToken(SqlTokenKind.String, text.ToString()));
            }
            else if (c is '`' or '"')
            {
                int end = sql.IndexOf(c, i + 1);
                if (end < 0)
                {
                    throw new EmulatorException(1005, "unterminated quoted identifier");
                }

                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, sql[(i + 1)..end]));
                i = end + 1;
            }
            else if (c == '@')
            {
                int start = ++i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] is '_' or '/' or '.' or '-' or '=' or '~'))
                {
                    i++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.StageReference, sql[start..i]));
            }
            else if (char.IsDigit(c) || (c == '-' && i + 1 < sql.Length && char.IsDigit(sql[i + 1]) && PrecedesValue(tokens)))
            {
                int start = i++;
                while (i < sql.Length && (char.IsDigit(sql[i]) || sql[i] == '.'))
                {
                    i++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Number, sql[start..i]));
            }
            else if (char.IsLetter(c) || c == '_')
            {
                int start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Word, sql[start..i]));
            }
            else if (i + 1 < sql.Length && (sql.Substring(i, 2) is "<=" or ">=" or "<>" or "!="))
            {
                tokens.Add(new SqlToken(SqlTokenKind.Symbol, sql.Substring(i, 2)));
                i += 2;
            }
            else if ("(),=*.;<>+/".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(new SqlToken(SqlTokenKind.Symbol, c.ToString()));
                i++;
            }
            else
            {
                throw new EmulatorException(1005, $"unexpected character '{c}' at position {i}");
            }
        }

        while (tokens.Count > 0 && tokens[^1].IsSymbol(";"))
        {
            tokens.RemoveAt(tokens.Count - 1);
        }

        tokens.Add(new SqlToken(SqlTokenKind.End, string.Empty));
        return tokens;
    }

    private static bool PrecedesValue(List<SqlToken> tokens) =>
        tokens.Count == 0 || tokens[^1].Kind == SqlTokenKind.Symbol && tokens[^1].Text is "(" or "," or "=" or "<" or ">" or "<=" or ">=" or "<>" or "!=";
}
