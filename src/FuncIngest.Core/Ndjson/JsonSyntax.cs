using System.Buffers;
using System.Text.Json;

namespace FuncIngest.Ndjson;

/// <summary>
/// Checks that bytes are exactly one JSON value (RFC 8259, the grammar <see cref="Utf8JsonReader"/>
/// accepts with default options: no comments, no trailing commas, one top-level value).
/// </summary>
/// <remarks>
/// Why not <see cref="Utf8JsonReader"/>: raw mode validates every value before copying it, and
/// for small values the reader's per-token bookkeeping was the largest cost of encoding
/// (about 440 ns of a 980 ns record at 100 B, on the 2-core CI machine). This check only
/// answers yes or no, scans string bodies with a vectorized search, and is held to the
/// reader's answers by a differential test (<c>JsonSyntaxTests</c>).
/// The caller checks UTF-8 first; this type does not look inside multi-byte sequences.
/// </remarks>
internal static class JsonSyntax
{
    private const byte InObject = 1;
    private const byte InArray = 2;

    // Bytes that end a run of plain string content: the quote, the backslash, and control characters.
    private static readonly SearchValues<byte> s_stringStops = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, (byte)'"', (byte)'\\']);


    /// <summary>The verdict on a value.</summary>
    internal enum Verdict
    {
        Valid,
        Invalid,
        TooDeep,
    }

    /// <summary>
    /// Checks <paramref name="json"/>. <see cref="Verdict.TooDeep"/> means the value nests more than
    /// <paramref name="maxDepth"/> containers before any syntax error was found.
    /// </summary>
    /// <param name="json">The bytes, already known to be valid UTF-8.</param>
    /// <param name="maxDepth">Deepest nesting accepted (1 to 1000).</param>
    /// <param name="first">The first token's type, when there is one.</param>
    public static Verdict Check(ReadOnlySpan<byte> json, int maxDepth, out JsonTokenType first)
    {
        first = JsonTokenType.None;
        // The open containers, one bit each (1 = object) for the first 64 levels; deeper
        // levels, allowed only by a MaxJsonDepth above 64, go to an array made when needed.
        ulong shallow = 0;
        byte[]? deep = null;
        int depth = 0;
        int i = SkipWhitespace(json, 0);
        if (i == json.Length)
        {
            return Verdict.Invalid;
        }

        first = FirstTokenType(json[i]);
        while (true)
        {
            // At the start of a value.
            bool complete = true;
            switch (json[i])
            {
                case (byte)'{':
                    if (depth == maxDepth)
                    {
                        return Verdict.TooDeep;
                    }

                    if (depth < 64)
                    {
                        shallow |= 1UL << depth;
                    }
                    else
                    {
                        deep ??= new byte[maxDepth];
                        deep[depth] = InObject;
                    }

                    depth++;
                    i = SkipWhitespace(json, i + 1);
                    if (i < json.Length && json[i] == '}')
                    {
                        depth--;
                        i++;
                    }
                    else
                    {
                        i = MemberName(json, i);
                        complete = false;
                    }

                    break;
                case (byte)'[':
                    if (depth == maxDepth)
                    {
                        return Verdict.TooDeep;
                    }

                    if (depth < 64)
                    {
                        shallow &= ~(1UL << depth);
                    }
                    else
                    {
                        deep ??= new byte[maxDepth];
                        deep[depth] = InArray;
                    }

                    depth++;
                    i = SkipWhitespace(json, i + 1);
                    if (i < json.Length && json[i] == ']')
                    {
                        depth--;
                        i++;
                    }
                    else
                    {
                        complete = false;
                    }

                    break;
                case (byte)'"':
                    i = String(json, i);
                    break;
                case (byte)'t':
                    i = Literal(json, i, "true"u8);
                    break;
                case (byte)'f':
                    i = Literal(json, i, "false"u8);
                    break;
                case (byte)'n':
                    i = Literal(json, i, "null"u8);
                    break;
                default:
                    i = Number(json, i);
                    break;
            }

            if (i < 0 || (!complete && i >= json.Length))
            {
                return Verdict.Invalid;
            }

            // After a complete value: close containers, or move past a comma to the next value.
            while (complete)
            {
                i = SkipWhitespace(json, i);
                if (depth == 0)
                {
                    return i == json.Length ? Verdict.Valid : Verdict.Invalid;
                }

                if (i == json.Length)
                {
                    return Verdict.Invalid;
                }

                byte next = json[i];
                if (next == ',')
                {
                    i = SkipWhitespace(json, i + 1);
                    if (Top(shallow, deep, depth) == InObject)
                    {
                        i = MemberName(json, i);
                    }

                    if (i < 0 || i >= json.Length)
                    {
                        return Verdict.Invalid;
                    }

                    complete = false;
                }
                else if (next == (Top(shallow, deep, depth) == InObject ? (byte)'}' : (byte)']'))
                {
                    depth--;
                    i++;
                }
                else
                {
                    return Verdict.Invalid;
                }
            }
        }
    }

    private static byte Top(ulong shallow, byte[]? deep, int depth) =>
        depth <= 64 ? ((shallow >> (depth - 1)) & 1) == 1 ? InObject : InArray : deep![depth - 1];

    /// <summary>Reads <c>"name" :</c> and the whitespace after it; returns the index of the value, or -1.</summary>
    private static int MemberName(ReadOnlySpan<byte> json, int i)
    {
        if (i >= json.Length || json[i] != '"')
        {
            return -1;
        }

        i = String(json, i);
        if (i < 0)
        {
            return -1;
        }

        i = SkipWhitespace(json, i);
        return i < json.Length && json[i] == ':' ? SkipWhitespace(json, i + 1) : -1;
    }

    /// <summary>Reads a string starting at its opening quote; returns the index after the closing quote, or -1.</summary>
    private static int String(ReadOnlySpan<byte> json, int i)
    {
        i++;
        while (true)
        {
            // Most names and many values are short: a table lookup per byte beats starting a
            // vectorized search; longer runs go to the vectorized search.
            int scalarEnd = Math.Min(json.Length, i + 16);
            while (i < scalarEnd && PlainStringByte[json[i]] != 0)
            {
                i++;
            }

            if (i == scalarEnd)
            {
                int stop = json[i..].IndexOfAny(s_stringStops);
                if (stop < 0)
                {
                    return -1;
                }

                i += stop;
            }

            switch (json[i])
            {
                case (byte)'"':
                    return i + 1;
                case (byte)'\\':
                    if (i + 1 >= json.Length)
                    {
                        return -1;
                    }

                    switch (json[i + 1])
                    {
                        case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                            i += 2;
                            break;
                        case (byte)'u':
                            if (i + 5 >= json.Length || !IsHex(json[i + 2]) || !IsHex(json[i + 3]) || !IsHex(json[i + 4]) || !IsHex(json[i + 5]))
                            {
                                return -1;
                            }

                            i += 6;
                            break;
                        default:
                            return -1;
                    }

                    break;
                default:
                    // A raw control character: JSON requires it escaped.
                    return -1;
            }
        }
    }

    /// <summary>Reads <c>-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</c>; returns the index after it, or -1.</summary>
    private static int Number(ReadOnlySpan<byte> json, int i)
    {
        if (json[i] == '-')
        {
            i++;
        }

        if (i >= json.Length)
        {
            return -1;
        }

        if (json[i] == '0')
        {
            i++;
        }
        else if (IsDigit(json[i]))
        {
            i = Digits(json, i + 1);
        }
        else
        {
            return -1;
        }

        if (i < json.Length && json[i] == '.')
        {
            int start = i + 1;
            i = Digits(json, start);
            if (i == start)
            {
                return -1;
            }
        }

        if (i < json.Length && (json[i] | 0x20) == 'e')
        {
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            int start = i;
            i = Digits(json, start);
            if (i == start)
            {
                return -1;
            }
        }

        return i;
    }

    private static int Digits(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && IsDigit(json[i]))
        {
            i++;
        }

        return i;
    }

    private static int Literal(ReadOnlySpan<byte> json, int i, ReadOnlySpan<byte> literal) =>
        json[i..].StartsWith(literal) ? i + literal.Length : -1;

    // 1 for bytes that may appear unescaped in a string: not a control character, quote or backslash.
    // A span over constant data: the JIT drops the bounds check for a byte index.
    private static ReadOnlySpan<byte> PlainStringByte =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ];

    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            i++;
        }

        return i;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsHex(byte b) => IsDigit(b) || (uint)((b | 0x20) - 'a') <= 5;

    private static JsonTokenType FirstTokenType(byte b) => b switch
    {
        (byte)'{' => JsonTokenType.StartObject,
        (byte)'[' => JsonTokenType.StartArray,
        (byte)'"' => JsonTokenType.String,
        (byte)'t' => JsonTokenType.True,
        (byte)'f' => JsonTokenType.False,
        (byte)'n' => JsonTokenType.Null,
        _ => JsonTokenType.Number,
    };
}
