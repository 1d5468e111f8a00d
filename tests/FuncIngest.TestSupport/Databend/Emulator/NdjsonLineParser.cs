using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FuncIngest.TestSupport.Databend.Emulator;

/// <summary>
/// A strict, deliberately plain model of how Databend reads one NDJSON line into a VARIANT, written
/// from Databend's source (databendlabs/databend at 43b24ec0) and the crates it pins. It is the
/// emulator's line reader and the reference that FuncIngest's fast <c>JsonSyntax</c> check is
/// tested against, so it shares no code with it: recursive descent, BigInteger, a parse of
/// every float.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Rows: <c>src/query/storages/stage/src/read/row_based/formats/ndjson/separator.rs</c> splits on
/// <c>\n</c> only; <c>block_builder.rs</c> (<c>RowDecoder::add</c>) trims each row (bstr <c>trim</c>,
/// Unicode whitespace), skips empty ones, and parses the rest with <c>serde_json::from_slice</c>.
/// <c>Cargo.toml</c>: serde_json 1.0.149 with <c>preserve_order</c>, <c>unbounded_depth</c>, plus
/// <c>arbitrary_precision</c> through jsonb's default features (jsonb <c>Cargo.toml</c>).</item>
/// <item>Depth: serde_json <c>src/de.rs</c> starts <c>remaining_depth</c> at 128 and fails when
/// <c>check_recursion!</c> brings it to 0: the 128th nested container. <c>from_slice</c> never calls
/// <c>disable_recursion_limit</c>.</item>
/// <item>Strings: serde_json <c>src/read.rs</c> <c>parse_unicode_escape</c> (validating) fails an
/// escaped trailing surrogate, and a leading one not followed at once by an escaped trailing one.
/// Raw control characters fail.</item>
/// <item>Numbers: <c>arbitrary_precision</c> keeps the text (<c>src/de.rs</c> <c>scan_integer</c> etc.);
/// jsonb <c>src/from.rs</c> stores u64/i64/i128/u128 exactly and otherwise <c>as_f64</c>
/// (<c>src/number.rs</c>: <c>parse::&lt;f64&gt;()</c>, finite only), NULL when not finite.</item>
/// <item>Objects: serde_json <c>src/value/de.rs</c> <c>visit_map</c>: <c>Map::insert</c> (last duplicate
/// wins, at the first one's place with <c>preserve_order</c>); a first key
/// <c>$serde_json::private::Number</c> makes the object the number in its string value (else an
/// error), and <c>$serde_json::private::RawValue</c> the JSON in its string value when
/// <c>raw_value</c> is on, modelled as on.</item>
/// </list>
/// Not modelled: jsonb sorts object keys (BTreeMap); the emulator keeps them in line order.
/// </remarks>
public static class NdjsonLineParser
{
    /// <summary>Deepest nesting serde_json accepts in a line: 127 (the 128th container fails).</summary>
    public const int DatabendMaxDepth = 127;

    private const string NumberToken = "$serde_json::private::Number";
    private const string RawValueToken = "$serde_json::private::RawValue";

    /// <summary>
    /// Trims a row as Databend does (Unicode whitespace at both ends) and returns null when nothing
    /// is left (Databend skips such rows), else the parse of what is left.
    /// </summary>
    public static NdjsonLine? ParseRow(string row)
    {
        string trimmed = row.Trim();
        return trimmed.Length == 0 ? null : Parse(Encoding.UTF8.GetBytes(trimmed), DatabendMaxDepth);
    }

    /// <summary>Parses one value of valid UTF-8 with containers nested at most <paramref name="maxDepth"/> deep.</summary>
    public static NdjsonLine Parse(ReadOnlySpan<byte> utf8, int maxDepth)
    {
        var reader = new Reader(utf8.ToArray(), maxDepth);
        JsonNode? value;
        try
        {
            reader.SkipWhitespace();
            value = reader.Value(0);
            reader.SkipWhitespace();
            if (!reader.AtEnd)
            {
                throw new ParseException("trailing characters", tooDeep: false);
            }
        }
        catch (ParseException e)
        {
            return new NdjsonLine
            {
                SyntaxError = !e.TooDeep,
                TooDeep = e.TooDeep,
                Error = (e.TooDeep ? "recursion limit exceeded" : e.Message) + $" at position {reader.Position}",
            };
        }

        string? error = reader.Findings.Contains("lone_surrogate") ? "lone leading surrogate in hex escape"
            : reader.InvalidReservedKey ? "invalid value for a $serde_json::private key"
            : null;
        return new NdjsonLine { Findings = reader.Findings, Error = error, Value = error is null ? value : null };
    }

    private sealed class Reader(byte[] text, int maxDepth)
    {
        private static readonly BigInteger s_min = -BigInteger.Pow(2, 127);
        private static readonly BigInteger s_max = BigInteger.Pow(2, 128) - 1;

        public HashSet<string> Findings { get; } = [];

        public bool InvalidReservedKey { get; private set; }

        public int Position { get; private set; }

        public bool AtEnd => Position == text.Length;

        public void SkipWhitespace()
        {
            while (Position < text.Length && text[Position] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                Position++;
            }
        }

        public JsonNode? Value(int depth)
        {
            if (AtEnd)
            {
                throw new ParseException("EOF while parsing a value", tooDeep: false);
            }

            switch (text[Position])
            {
                case (byte)'{':
                    return Object(depth + 1);
                case (byte)'[':
                    return Array(depth + 1);
                case (byte)'"':
                    return JsonValue.Create(String());
                case (byte)'t':
                    Literal("true");
                    return JsonValue.Create(true);
                case (byte)'f':
                    Literal("false");
                    return JsonValue.Create(false);
                case (byte)'n':
                    Literal("null");
                    return null;
                default:
                    return Number();
            }
        }

        private JsonNode? Object(int depth)
        {
            if (depth > maxDepth)
            {
                throw new ParseException("too deep", tooDeep: true);
            }

            Position++;
            var result = new JsonObject();
            SkipWhitespace();
            if (Next('}'))
            {
                return result;
            }

            bool first = true;
            JsonNode? special = null;
            bool isSpecial = false;
            while (true)
            {
                SkipWhitespace();
                if (AtEnd || text[Position] != '"')
                {
                    throw new ParseException("key must be a string", tooDeep: false);
                }

                string key = String();
                SkipWhitespace();
                if (!Next(':'))
                {
                    throw new ParseException("expected ':'", tooDeep: false);
                }

                SkipWhitespace();
                JsonNode? value = Value(depth);
                if (first && key is NumberToken or RawValueToken)
                {
                    Findings.Add("reserved_key");
                    isSpecial = true;
                    special = Special(key, value);
                }
                else if (result.ContainsKey(key))
                {
                    Findings.Add("duplicate_key");
                    result[key] = value;
                }
                else
                {
                    result[key] = value;
                }

                first = false;
                SkipWhitespace();
                if (Next(','))
                {
                    // serde_json stops after the special key's value and wants '}' (end_map).
                    InvalidReservedKey |= isSpecial;
                    continue;
                }

                if (Next('}'))
                {
                    return isSpecial ? special : result;
                }

                throw new ParseException("expected ',' or '}'", tooDeep: false);
            }
        }

        /// <summary>What serde_json makes of an object whose first key is one of its private tokens.</summary>
        private JsonNode? Special(string key, JsonNode? value)
        {
            if (value is not JsonValue v || !v.TryGetValue(out string? inner))
            {
                InvalidReservedKey = true;
                return null;
            }

            NdjsonLine parsed = Parse(Encoding.UTF8.GetBytes(inner), DatabendMaxDepth);
            bool number = parsed.Error is null && parsed.Value is JsonValue n && n.GetValueKind() == JsonValueKind.Number;
            if (parsed.Error is not null || (key == NumberToken && !number))
            {
                InvalidReservedKey = true;
                return null;
            }

            return parsed.Value;
        }

        private JsonArray Array(int depth)
        {
            if (depth > maxDepth)
            {
                throw new ParseException("too deep", tooDeep: true);
            }

            Position++;
            var result = new JsonArray();
            SkipWhitespace();
            if (Next(']'))
            {
                return result;
            }

            while (true)
            {
                SkipWhitespace();
                result.Add(Value(depth));
                SkipWhitespace();
                if (Next(','))
                {
                    continue;
                }

                if (Next(']'))
                {
                    return result;
                }

                throw new ParseException("expected ',' or ']'", tooDeep: false);
            }
        }

        private string String()
        {
            Position++;
            var result = new StringBuilder();
            int runStart = Position;
            while (true)
            {
                if (AtEnd)
                {
                    throw new ParseException("EOF while parsing a string", tooDeep: false);
                }

                byte b = text[Position];
                if (b == '"')
                {
                    result.Append(Encoding.UTF8.GetString(text, runStart, Position - runStart));
                    Position++;
                    return result.ToString();
                }

                if (b < 0x20)
                {
                    throw new ParseException("control character while parsing a string", tooDeep: false);
                }

                if (b != '\\')
                {
                    Position++;
                    continue;
                }

                result.Append(Encoding.UTF8.GetString(text, runStart, Position - runStart));
                Position++;
                if (AtEnd)
                {
                    throw new ParseException("EOF while parsing a string", tooDeep: false);
                }

                byte kind = text[Position++];
                switch (kind)
                {
                    case (byte)'"':
                        result.Append('"');
                        break;
                    case (byte)'\\':
                        result.Append('\\');
                        break;
                    case (byte)'/':
                        result.Append('/');
                        break;
                    case (byte)'b':
                        result.Append('\b');
                        break;
                    case (byte)'f':
                        result.Append('\f');
                        break;
                    case (byte)'n':
                        result.Append('\n');
                        break;
                    case (byte)'r':
                        result.Append('\r');
                        break;
                    case (byte)'t':
                        result.Append('\t');
                        break;
                    case (byte)'u':
                        int unit = Hex();
                        if (unit is >= 0xDC00 and <= 0xDFFF)
                        {
                            Findings.Add("lone_surrogate");
                            result.Append('\uFFFD');
                        }
                        else if (unit is >= 0xD800 and <= 0xDBFF)
                        {
                            if (Position + 1 < text.Length && text[Position] == '\\' && text[Position + 1] == 'u')
                            {
                                Position += 2;
                                int low = Hex();
                                if (low is >= 0xDC00 and <= 0xDFFF)
                                {
                                    result.Append((char)unit).Append((char)low);
                                }
                                else
                                {
                                    // serde_json fails here; go on only to find later syntax errors.
                                    Findings.Add("lone_surrogate");
                                    result.Append('\uFFFD');
                                    if (low is >= 0xD800 and <= 0xDFFF)
                                    {
                                        result.Append('\uFFFD');
                                    }
                                    else
                                    {
                                        result.Append((char)low);
                                    }
                                }
                            }
                            else
                            {
                                Findings.Add("lone_surrogate");
                                result.Append('\uFFFD');
                            }
                        }
                        else
                        {
                            result.Append((char)unit);
                        }

                        break;
                    default:
                        throw new ParseException("invalid escape", tooDeep: false);
                }

                runStart = Position;
            }
        }

        private int Hex()
        {
            if (Position + 4 > text.Length)
            {
                throw new ParseException("EOF while parsing a \\u escape", tooDeep: false);
            }

            string digits = Encoding.ASCII.GetString(text, Position, 4);
            if (!digits.All(Uri.IsHexDigit))
            {
                throw new ParseException("invalid \\u escape", tooDeep: false);
            }

            Position += 4;
            return int.Parse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        private JsonNode? Number()
        {
            int start = Position;
            Next('-');
            int integerStart = Position;
            if (Next('0'))
            {
            }
            else if (Position < text.Length && text[Position] is >= (byte)'1' and <= (byte)'9')
            {
                SkipDigits();
            }
            else
            {
                throw new ParseException("invalid number", tooDeep: false);
            }

            bool isInteger = true;
            if (Next('.'))
            {
                isInteger = false;
                if (SkipDigits() == 0)
                {
                    throw new ParseException("invalid number", tooDeep: false);
                }
            }

            int mantissaEnd = Position;
            if (Position < text.Length && text[Position] is (byte)'e' or (byte)'E')
            {
                isInteger = false;
                Position++;
                if (!Next('+'))
                {
                    Next('-');
                }

                if (SkipDigits() == 0)
                {
                    throw new ParseException("invalid number", tooDeep: false);
                }
            }

            string token = Encoding.ASCII.GetString(text, start, Position - start);
            if (isInteger)
            {
                // jsonb src/from.rs: as_u64, as_i64, as_i128, as_u128 are exact; else as_f64.
                BigInteger integer = BigInteger.Parse(token, CultureInfo.InvariantCulture);
                if (integer >= s_min && integer <= s_max)
                {
                    return JsonNode.Parse(token);
                }

                Findings.Add("wide_integer");
                double rounded = double.Parse(token, CultureInfo.InvariantCulture);
                return double.IsFinite(rounded) ? JsonValue.Create(rounded) : null;
            }

            double value = double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!double.IsFinite(value))
            {
                // as_f64 is None: jsonb stores NULL.
                Findings.Add("number_out_of_range");
                return null;
            }

            string mantissa = Encoding.ASCII.GetString(text, integerStart, mantissaEnd - integerStart);
            if (value == 0 && mantissa.Any(c => c is >= '1' and <= '9'))
            {
                // Below the smallest subnormal: parse::<f64>() gives 0.
                Findings.Add("number_out_of_range");
                return JsonValue.Create(0.0);
            }

            return JsonNode.Parse(token);
        }

        private int SkipDigits()
        {
            int start = Position;
            while (Position < text.Length && text[Position] is >= (byte)'0' and <= (byte)'9')
            {
                Position++;
            }

            return Position - start;
        }

        private bool Next(char c)
        {
            if (Position < text.Length && text[Position] == c)
            {
                Position++;
                return true;
            }

            return false;
        }

        private void Literal(string literal)
        {
            foreach (char c in literal)
            {
                if (!Next(c))
                {
                    throw new ParseException("expected " + literal, tooDeep: false);
                }
            }
        }
    }

    private sealed class ParseException(string message, bool tooDeep) : Exception(message)
    {
        public bool TooDeep { get; } = tooDeep;
    }
}
