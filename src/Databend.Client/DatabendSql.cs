using System.Text;
using System.Text.RegularExpressions;

namespace Databend.Client;

/// <summary>
/// Helpers to build SQL from configuration safely: names are validated against a strict
/// pattern before quoting, so a table or stage name from a settings file cannot inject SQL.
/// </summary>
public static partial class DatabendSql
{
    /// <summary>True when <paramref name="name"/> is a plain identifier: a letter or underscore, then letters, digits or underscores (at most 255).</summary>
    public static bool IsValidIdentifier(string? name) => name is { Length: > 0 and <= 255 } && IdentifierPattern().IsMatch(name);

    /// <summary>Validates a plain identifier and returns it quoted with backticks.</summary>
    /// <exception cref="ArgumentException">The name is not a plain identifier.</exception>
    public static string QuoteIdentifier(string name, string? what = null)
    {
        if (!IsValidIdentifier(name))
        {
            throw new ArgumentException(
                $"{what ?? "The identifier"} '{name}' is not valid: use letters, digits and underscores, starting with a letter or underscore.",
                nameof(name));
        }

        return $"`{name}`";
    }

    /// <summary>Validates and quotes <c>name</c> or <c>database.name</c>.</summary>
    public static string QuoteQualifiedName(string name, string? what = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        string[] parts = name.Split('.');
        if (parts.Length > 2)
        {
            throw new ArgumentException($"{what ?? "The name"} '{name}' has more than one '.'; use name or database.name.", nameof(name));
        }

        return string.Join('.', parts.Select(p => QuoteIdentifier(p, what)));
    }

    /// <summary>Quotes a string literal, escaping backslashes and single quotes.</summary>
    public static string QuoteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = new StringBuilder(value.Length + 2).Append('\'');
        foreach (char c in value)
        {
            switch (c)
            {
                case '\'':
                    text.Append("''");
                    break;
                case '\\':
                    text.Append(@"\\");
                    break;
                case '\0':
                    throw new ArgumentException("A Databend string literal cannot hold a NUL character.", nameof(value));
                default:
                    text.Append(c);
                    break;
            }
        }

        return text.Append('\'').ToString();
    }

    /// <summary>
    /// True when <paramref name="path"/> is safe to write unquoted after <c>@stage/</c>: the
    /// allowed characters, and no "." or ".." segment (one that could leave its folder). Dots
    /// inside a segment are fine: <c>a..b</c> is a legal Kafka topic and so a stage folder.
    /// </summary>
    public static bool IsValidStagePath(string? path)
    {
        if (path is not { Length: > 0 and <= 1024 } || !StagePathPattern().IsMatch(path))
        {
            return false;
        }

        foreach (Range segment in path.AsSpan().Split('/'))
        {
            ReadOnlySpan<char> part = path.AsSpan()[segment];
            if (part is "." or "..")
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[A-Za-z0-9_./=-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex StagePathPattern();
}
