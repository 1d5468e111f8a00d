using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace FuncIngest.Ndjson;

/// <summary>
/// Checks that bytes are exactly one JSON value (RFC 8259, the grammar <see cref="Utf8JsonReader"/>
/// accepts with default options: no comments, no trailing commas, one top-level value), and
/// that Databend's NDJSON reader accepts that value and stores it unchanged.
/// </summary>
/// <remarks>
/// <para>
/// Why not <see cref="Utf8JsonReader"/>: raw mode validates every value before copying it, and
/// for small values the reader's per-token bookkeeping was the largest cost of encoding
/// (about 440 ns of a 980 ns record at 100 B, on the 2-core CI machine). This check only
/// answers with a verdict, scans string bodies with a vectorized search, and is held to the
/// reader's grammar and to a strict model of Databend's reader by differential tests
/// (<c>JsonSyntaxTests</c>, <c>JsonSyntaxDatabendTests</c>).
/// The caller checks UTF-8 first; this type does not look inside multi-byte sequences.
/// </para>
/// <para>
/// What Databend does with a line (databendlabs/databend at 43b24ec0):
/// <c>src/query/storages/stage/src/read/row_based/formats/ndjson/block_builder.rs</c> (<c>read_row</c>)
/// parses it with <c>serde_json::from_slice</c> into a <c>serde_json::Value</c>, and a VARIANT
/// column is built with <c>jsonb::Value::from</c> (<c>src/query/formats/src/field_decoder/json_ast.rs</c>,
/// <c>read_variant</c>). <c>Cargo.toml</c> pins serde_json (1.0.149 in <c>Cargo.lock</c>) with
/// <c>preserve_order</c> and <c>unbounded_depth</c>, and <c>jsonb = "0.5.6"</c> (git rev a1634441)
/// with default features; jsonb's <c>Cargo.toml</c> (0.5.6) makes <c>arbitrary_precision =
/// ["serde_json/arbitrary_precision"]</c> a default feature, and Cargo unifies features, so
/// Databend's serde_json runs with <c>arbitrary_precision</c>. From there:
/// </para>
/// <list type="bullet">
/// <item>serde_json <c>src/read.rs</c> (<c>parse_unicode_escape</c>, validating): an escape in
/// DC00..DFFF, or one in D800..DBFF not followed by an escape in DC00..DFFF, fails the line
/// (<see cref="Verdict.LoneSurrogate"/>).</item>
/// <item>serde_json <c>src/de.rs</c>: <c>remaining_depth: 128</c> and <c>check_recursion!</c>
/// fail the 128th nested array or object. <c>unbounded_depth</c> only adds
/// <c>disable_recursion_limit()</c>, which <c>from_slice</c> does not call. So a line may nest 127
/// deep; <see cref="EncodingOptions.MaxJsonDepth"/> is capped to keep values inside that.</item>
/// <item>serde_json <c>src/de.rs</c> (<c>parse_any_number</c>, <c>arbitrary_precision</c>) keeps any
/// number as text; <c>src/number.rs</c> <c>as_f64</c> is <c>parse::&lt;f64&gt;()</c> filtered to
/// finite values. jsonb <c>src/from.rs</c> (<c>From&lt;&amp;JsonValue&gt;</c>) stores u64, i64, i128
/// (Decimal128/Decimal256, scale 0) and u128 (Decimal256) exactly, anything else as f64, and
/// NULL when f64 is not finite. So an integer outside [i128::MIN, u128::MAX] is rounded
/// (<see cref="Verdict.WideInteger"/>), and a number beyond f64 (<c>1e400</c>, NULL) or below its
/// smallest subnormal (<c>1e-400</c>, 0) changes (<see cref="Verdict.NumberOutOfRange"/>).
/// Rounding within f64's range and precision (<c>0.1</c>) is ordinary floating point and passes.</item>
/// <item>serde_json <c>src/value/de.rs</c> (<c>ValueVisitor::visit_map</c>): members go through
/// <c>Map::insert</c>, so the last of duplicate keys wins (<see cref="Verdict.DuplicateKey"/>);
/// an object whose first key is <c>$serde_json::private::Number</c> (<c>KeyClassifier</c>,
/// <c>arbitrary_precision</c>) is read as a number or fails, and so is
/// <c>$serde_json::private::RawValue</c> if some crate turns on <c>raw_value</c>, which the
/// lockfile cannot show (<see cref="Verdict.ReservedKey"/>).</item>
/// </list>
/// <para>
/// Duplicate keys are found without allocating: the keys of the open objects sit in a
/// per-thread stack and are compared when their object closes, pairwise by a cheap fingerprint
/// in small objects, sorted by a 64-bit hash in large ones (so a huge object stays O(n log n)).
/// </para>
/// </remarks>
internal static class JsonSyntax
{
    private const byte InObject = 1;
    private const byte InArray = 2;

    // Findings that do not end the scan: a later syntax error still makes the value Invalid.
    // The lowest set bit decides the verdict.
    private const int LoneSurrogateFound = 1;
    private const int OutOfRangeFound = 2;
    private const int WideIntegerFound = 4;
    private const int ReservedKeyFound = 8;
    private const int DuplicateKeyFound = 16;

    // Objects with more keys than this are checked by sorting hashes instead of pairwise.
    private const int PairwiseKeyLimit = 16;

    // Largest magnitudes jsonb keeps exactly: u128::MAX and -i128::MIN (both 39 digits).
    private static ReadOnlySpan<byte> U128Max => "340282366920938463463374607431768211455"u8;

    private static ReadOnlySpan<byte> I128MinMagnitude => "170141183460469231731687303715884105728"u8;

    private static ReadOnlySpan<byte> NumberToken => "$serde_json::private::Number"u8;

    private static ReadOnlySpan<byte> RawValueToken => "$serde_json::private::RawValue"u8;

    // Bytes that end a run of plain string content: the quote, the backslash, and control characters.
    private static readonly SearchValues<byte> s_stringStops = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, (byte)'"', (byte)'\\']);

    [ThreadStatic]
    private static Scratch? t_scratch;

    /// <summary>The verdict on a value.</summary>
    internal enum Verdict
    {
        /// <summary>Valid JSON that Databend stores unchanged.</summary>
        Valid,

        /// <summary>Not JSON.</summary>
        Invalid,

        /// <summary>Nests deeper than the limit before any syntax error.</summary>
        TooDeep,

        /// <summary>Valid JSON that Databend refuses: an escape of an unpaired UTF-16 surrogate.</summary>
        LoneSurrogate,

        /// <summary>Valid JSON with a number beyond f64 (Databend stores NULL) or below its smallest subnormal (0).</summary>
        NumberOutOfRange,

        /// <summary>Valid JSON with an integer outside [i128::MIN, u128::MAX]: Databend rounds it to f64.</summary>
        WideInteger,

        /// <summary>Valid JSON with an object whose first key is one of serde_json's private tokens.</summary>
        ReservedKey,

        /// <summary>Valid JSON with an object holding a key twice: Databend keeps the last.</summary>
        DuplicateKey,
    }

    /// <summary>
    /// Checks <paramref name="json"/>. <see cref="Verdict.TooDeep"/> means the value nests more than
    /// <paramref name="maxDepth"/> containers before any syntax error was found. When the value is
    /// valid JSON with more than one of Databend's problems, the verdict is the first of
    /// <see cref="Verdict.LoneSurrogate"/>, <see cref="Verdict.NumberOutOfRange"/>,
    /// <see cref="Verdict.WideInteger"/>, <see cref="Verdict.ReservedKey"/>, <see cref="Verdict.DuplicateKey"/>.
    /// </summary>
    /// <param name="json">The bytes, already known to be valid UTF-8.</param>
    /// <param name="maxDepth">Deepest nesting accepted (1 to 1000).</param>
    /// <param name="first">The first token's type, when there is one.</param>
    public static Verdict Check(ReadOnlySpan<byte> json, int maxDepth, out JsonTokenType first)
    {
        first = JsonTokenType.None;
        int i = SkipWhitespace(json, 0);
        if (i == json.Length)
        {
            return Verdict.Invalid;
        }

        first = FirstTokenType(json[i]);
        if (first is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            // A scalar: no containers, no keys.
            Scratch s = t_scratch ??= new Scratch();
            s.Flags = 0;
            int end = Scalar(json, i, s);
            return end >= 0 && SkipWhitespace(json, end) == json.Length ? FromFlags(s.Flags) : Verdict.Invalid;
        }

        Scratch scratch = t_scratch ??= new Scratch();
        scratch.Keys = 0;
        scratch.Flags = 0;
        Verdict verdict = CheckContainer(json, i, maxDepth, scratch);
        scratch.TrimAfterHugeValue();
        return verdict;
    }

    private static Verdict CheckContainer(ReadOnlySpan<byte> json, int i, int maxDepth, Scratch scratch)
    {
        // The open containers, one bit each (1 = object) for the first 64 levels; deeper levels
        // go to the per-thread scratch.
        ulong shallow = 0;
        int depth = 0;
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
                        scratch.Deep(depth)[depth] = InObject;
                    }

                    scratch.OpenObject(depth);
                    depth++;
                    i = SkipWhitespace(json, i + 1);
                    if (i < json.Length && json[i] == '}')
                    {
                        depth--;
                        i++;
                    }
                    else
                    {
                        i = MemberName(json, i, scratch, first: true, depth - 1);
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
                        scratch.Deep(depth)[depth] = InArray;
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
                    i = String(json, i, scratch);
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
                    i = Number(json, i, scratch);
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
                    return i == json.Length ? FromFlags(scratch.Flags) : Verdict.Invalid;
                }

                if (i == json.Length)
                {
                    return Verdict.Invalid;
                }

                byte next = json[i];
                bool inObject = Top(shallow, scratch, depth) == InObject;
                if (next == ',')
                {
                    i = SkipWhitespace(json, i + 1);
                    if (inObject)
                    {
                        i = MemberName(json, i, scratch, first: false, depth - 1);
                    }

                    if (i < 0 || i >= json.Length)
                    {
                        return Verdict.Invalid;
                    }

                    complete = false;
                }
                else if (next == (inObject ? (byte)'}' : (byte)']'))
                {
                    if (inObject && scratch.CloseObjectHasDuplicate(json, depth - 1))
                    {
                        scratch.Flags |= DuplicateKeyFound;
                    }

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

    private static Verdict FromFlags(int flags) => flags switch
    {
        0 => Verdict.Valid,
        int f when (f & LoneSurrogateFound) != 0 => Verdict.LoneSurrogate,
        int f when (f & OutOfRangeFound) != 0 => Verdict.NumberOutOfRange,
        int f when (f & WideIntegerFound) != 0 => Verdict.WideInteger,
        int f when (f & ReservedKeyFound) != 0 => Verdict.ReservedKey,
        _ => Verdict.DuplicateKey,
    };

    private static byte Top(ulong shallow, Scratch scratch, int depth) =>
        depth <= 64 ? ((shallow >> (depth - 1)) & 1) == 1 ? InObject : InArray : scratch.Deep(depth - 1)[depth - 1];

    /// <summary>A string, number or literal at <paramref name="i"/>; returns the index after it, or -1.</summary>
    private static int Scalar(ReadOnlySpan<byte> json, int i, Scratch scratch) => json[i] switch
    {
        (byte)'"' => String(json, i, scratch),
        (byte)'t' => Literal(json, i, "true"u8),
        (byte)'f' => Literal(json, i, "false"u8),
        (byte)'n' => Literal(json, i, "null"u8),
        _ => Number(json, i, scratch),
    };

    /// <summary>Reads <c>"name" :</c> and the whitespace after it, records the name; returns the index of the value, or -1.</summary>
    private static int MemberName(ReadOnlySpan<byte> json, int i, Scratch scratch, bool first, int frame)
    {
        if (i >= json.Length || json[i] != '"')
        {
            return -1;
        }

        scratch.Escaped = false;
        int end = String(json, i, scratch);
        if (end < 0)
        {
            return -1;
        }

        ReadOnlySpan<byte> raw = json[(i + 1)..(end - 1)];
        bool escaped = scratch.Escaped;
        if (first && (escaped || (raw.Length > 0 && raw[0] == '$')) && scratch.IsReservedKey(raw, escaped))
        {
            scratch.Flags |= ReservedKeyFound;
        }

        scratch.AddKey(raw, i + 1, escaped, frame);
        i = SkipWhitespace(json, end);
        return i < json.Length && json[i] == ':' ? SkipWhitespace(json, i + 1) : -1;
    }

    /// <summary>Reads a string starting at its opening quote; returns the index after the closing quote, or -1.</summary>
    private static int String(ReadOnlySpan<byte> json, int i, Scratch scratch)
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

                    scratch.Escaped = true;
                    switch (json[i + 1])
                    {
                        case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                            i += 2;
                            break;
                        case (byte)'u':
                            int unit = Hex4(json, i + 2);
                            if (unit < 0)
                            {
                                return -1;
                            }

                            i += 6;
                            if (unit is >= 0xD800 and <= 0xDFFF)
                            {
                                // serde_json src/read.rs parse_unicode_escape: a leading surrogate
                                // must be followed at once by an escaped trailing one.
                                if (unit <= 0xDBFF && i + 1 < json.Length && json[i] == '\\' && json[i + 1] == 'u'
                                    && Hex4(json, i + 2) is >= 0xDC00 and <= 0xDFFF)
                                {
                                    i += 6;
                                }
                                else
                                {
                                    scratch.Flags |= LoneSurrogateFound;
                                }
                            }

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

    /// <summary>The four hex digits at <paramref name="i"/> as a number, or -1.</summary>
    private static int Hex4(ReadOnlySpan<byte> json, int i)
    {
        if (i + 3 >= json.Length)
        {
            return -1;
        }

        int value = 0;
        for (int k = i; k < i + 4; k++)
        {
            int digit = HexValue(json[k]);
            if (digit < 0)
            {
                return -1;
            }

            value = (value << 4) | digit;
        }

        return value;
    }

    private static int HexValue(byte b) =>
        IsDigit(b) ? b - '0' : (uint)((b | 0x20) - 'a') <= 5 ? (b | 0x20) - 'a' + 10 : -1;

    /// <summary>
    /// Reads <c>-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?</c>; returns the index after it,
    /// or -1. Flags numbers Databend would not store as written (see the type's remarks).
    /// </summary>
    private static int Number(ReadOnlySpan<byte> json, int i, Scratch scratch)
    {
        int start = i;
        if (json[i] == '-')
        {
            i++;
        }

        if (i >= json.Length)
        {
            return -1;
        }

        int integerStart = i;
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

        int integerEnd = i;
        bool fraction = false;
        if (i < json.Length && json[i] == '.')
        {
            int fractionStart = i + 1;
            i = Digits(json, fractionStart);
            if (i == fractionStart)
            {
                return -1;
            }

            fraction = true;
        }

        int mantissaEnd = i;
        int exponentDigits = 0;
        if (i < json.Length && (json[i] | 0x20) == 'e')
        {
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            int digitsStart = i;
            i = Digits(json, digitsStart);
            exponentDigits = i - digitsStart;
            if (exponentDigits == 0)
            {
                return -1;
            }
        }

        if (!fraction && mantissaEnd == i)
        {
            // An integer: exact in jsonb from i128::MIN to u128::MAX (at most 39 digits).
            int digits = integerEnd - integerStart;
            if (digits >= 39 && (digits > 39 || json[integerStart..integerEnd].SequenceCompareTo(start == integerStart ? U128Max : I128MinMagnitude) > 0))
            {
                scratch.Flags |= WideIntegerFound;
            }
        }
        else if (exponentDigits > 2 || i - start >= 200)
        {
            // With |exponent| < 100 and fewer than 200 characters a number can neither reach
            // 1e308 nor fall below 1e-323; anything else is parsed. Rust's str::parse::<f64> and
            // .NET's double.Parse both round correctly, so they agree on the edges.
            double value = double.Parse(json[start..i], NumberStyles.Float, CultureInfo.InvariantCulture);
            if (double.IsInfinity(value) || (value == 0 && json[integerStart..mantissaEnd].IndexOfAnyInRange((byte)'1', (byte)'9') >= 0))
            {
                scratch.Flags |= OutOfRangeFound;
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

    /// <summary>
    /// Decodes the body of a JSON string (between the quotes, grammar already checked) into
    /// UTF-8, as serde_json does; an unpaired surrogate becomes U+FFFD (such a value is already
    /// flagged, so its keys only need a consistent form).
    /// </summary>
    private static int Decode(ReadOnlySpan<byte> raw, Span<byte> destination)
    {
        int n = 0;
        for (int i = 0; i < raw.Length;)
        {
            byte b = raw[i];
            if (b != '\\')
            {
                destination[n++] = b;
                i++;
                continue;
            }

            byte kind = raw[i + 1];
            if (kind != 'u')
            {
                destination[n++] = kind switch
                {
                    (byte)'b' => 0x08,
                    (byte)'f' => 0x0C,
                    (byte)'n' => 0x0A,
                    (byte)'r' => 0x0D,
                    (byte)'t' => 0x09,
                    _ => kind,
                };
                i += 2;
                continue;
            }

            int unit = Hex4(raw, i + 2);
            i += 6;
            int codePoint = unit;
            if (unit is >= 0xD800 and <= 0xDBFF && i + 1 < raw.Length && raw[i] == '\\' && raw[i + 1] == 'u'
                && Hex4(raw, i + 2) is int low and >= 0xDC00 and <= 0xDFFF)
            {
                codePoint = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                i += 6;
            }
            else if (unit is >= 0xD800 and <= 0xDFFF)
            {
                codePoint = 0xFFFD;
            }

            n += new Rune(codePoint).EncodeToUtf8(destination[n..]);
        }

        return n;
    }

    /// <summary>Per-thread key stack and buffers, reused across values so a check allocates nothing once warm.</summary>
    private sealed class Scratch
    {
        // Above this many remembered keys (or decode bytes) the arrays are dropped after the value.
        private const int KeepLimit = 4096;

        private KeyEntry[] _keys = new KeyEntry[64];
        private int[] _frames = new int[128];

        // Per open object: one bit per key, chosen by its fingerprint. Only an object in which two
        // keys hit the same bit can hold a duplicate, so most objects close without comparing keys.
        private ulong[] _seen = new ulong[128];
        private bool[] _maybeDuplicate = new bool[128];
        private byte[] _deep = new byte[128];
        private ulong[] _sortHashes = [];
        private int[] _sortIndexes = [];
        private byte[] _decodeA = new byte[256];
        private byte[] _decodeB = new byte[256];

        public int Keys { get; set; }

        /// <summary>The findings so far (the *Found bits).</summary>
        public int Flags { get; set; }

        /// <summary>Whether the last string read had an escape (set by String, read for member names).</summary>
        public bool Escaped { get; set; }

        public byte[] Deep(int depth)
        {
            if (depth >= _deep.Length)
            {
                Array.Resize(ref _deep, Math.Max(depth + 1, _deep.Length * 2));
            }

            return _deep;
        }

        public void OpenObject(int depth)
        {
            if (depth >= _frames.Length)
            {
                int size = Math.Max(depth + 1, _frames.Length * 2);
                Array.Resize(ref _frames, size);
                Array.Resize(ref _seen, size);
                Array.Resize(ref _maybeDuplicate, size);
            }

            _frames[depth] = Keys;
            _seen[depth] = 0;
            _maybeDuplicate[depth] = false;
        }

        /// <summary>Remembers a key: where its body starts, its raw length (negative when it has escapes) and a fingerprint of its decoded bytes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddKey(ReadOnlySpan<byte> raw, int start, bool escaped, int frame)
        {
            if (Keys == _keys.Length)
            {
                Array.Resize(ref _keys, Keys * 2);
            }

            ref KeyEntry key = ref _keys[Keys];
            key.Start = start;
            key.Length = escaped ? -raw.Length - 1 : raw.Length;
            ulong print = Fingerprint(escaped ? DecodeInto(ref _decodeA, raw) : raw);
            key.Print = print;
            Keys++;
            ulong bit = 1UL << (int)((print * 0x9E3779B97F4A7C15UL) >> 58);
            ref ulong seen = ref _seen[frame];
            if ((seen & bit) != 0)
            {
                // Rare for objects of distinct keys: only then are the keys compared on close.
                _maybeDuplicate[frame] = true;
            }

            seen |= bit;
        }

        public bool IsReservedKey(ReadOnlySpan<byte> raw, bool escaped)
        {
            ReadOnlySpan<byte> key = escaped ? DecodeInto(ref _decodeA, raw) : raw;
            return key.SequenceEqual(NumberToken) || key.SequenceEqual(RawValueToken);
        }

        /// <summary>Checks the keys of the object closing at <paramref name="depth"/> for a duplicate and forgets them.</summary>
        public bool CloseObjectHasDuplicate(ReadOnlySpan<byte> json, int depth)
        {
            int from = _frames[depth];
            int count = Keys - from;
            Keys = from;
            if (!_maybeDuplicate[depth])
            {
                return false;
            }

            if (count <= PairwiseKeyLimit)
            {
                Span<KeyEntry> keys = _keys.AsSpan(from, count);
                for (int a = 1; a < keys.Length; a++)
                {
                    ulong print = keys[a].Print;
                    for (int b = 0; b < a; b++)
                    {
                        if (keys[b].Print == print && SameKey(json, from + a, from + b))
                        {
                            return true;
                        }
                    }
                }

                return false;
            }

            // Many keys: sort 64-bit hashes of the decoded keys and compare neighbours.
            if (_sortHashes.Length < count)
            {
                _sortHashes = new ulong[Math.Max(count, 64)];
                _sortIndexes = new int[_sortHashes.Length];
            }

            Span<ulong> hashes = _sortHashes.AsSpan(0, count);
            Span<int> indexes = _sortIndexes.AsSpan(0, count);
            for (int k = 0; k < count; k++)
            {
                hashes[k] = XxHash3.HashToUInt64(Key(json, from + k, ref _decodeA));
                indexes[k] = from + k;
            }

            hashes.Sort(indexes);
            for (int k = 1; k < count; k++)
            {
                if (hashes[k] == hashes[k - 1])
                {
                    // Equal hashes: compare the keys of the whole run of that hash.
                    for (int j = k - 1; j >= 0 && hashes[j] == hashes[k]; j--)
                    {
                        if (SameKey(json, indexes[k], indexes[j]))
                        {
                            return true;
                        }
                    }
                }
            }

            return false;
        }

        /// <summary>After a value with very many keys, lets the big arrays go instead of keeping them for the thread's life.</summary>
        public void TrimAfterHugeValue()
        {
            if (_keys.Length > KeepLimit)
            {
                _keys = new KeyEntry[64];
            }

            if (_sortHashes.Length > KeepLimit)
            {
                _sortHashes = [];
                _sortIndexes = [];
            }

            if (_decodeA.Length > KeepLimit * 16)
            {
                _decodeA = new byte[256];
                _decodeB = new byte[256];
            }
        }

        private bool SameKey(ReadOnlySpan<byte> json, int a, int b)
        {
            KeyEntry x = _keys[a];
            KeyEntry y = _keys[b];
            if (x.Length >= 0 && y.Length >= 0)
            {
                return json.Slice(x.Start, x.Length).SequenceEqual(json.Slice(y.Start, y.Length));
            }

            return Key(json, a, ref _decodeA).SequenceEqual(Key(json, b, ref _decodeB));
        }

        private ReadOnlySpan<byte> Key(ReadOnlySpan<byte> json, int k, ref byte[] buffer)
        {
            KeyEntry key = _keys[k];
            return key.Length >= 0 ? json.Slice(key.Start, key.Length) : DecodeInto(ref buffer, json.Slice(key.Start, -key.Length - 1));
        }

        private static ReadOnlySpan<byte> DecodeInto(ref byte[] buffer, ReadOnlySpan<byte> raw)
        {
            // Decoding never makes a string longer: an escape of n bytes yields at most n bytes
            // (\uXXXX: 6 -> at most 3; a pair: 12 -> 4).
            if (buffer.Length < raw.Length)
            {
                buffer = new byte[Math.Max(raw.Length, buffer.Length * 2)];
            }

            return buffer.AsSpan(0, Decode(raw, buffer));
        }

        /// <summary>A remembered key: where its body starts, its raw length (negative when it has escapes), a fingerprint of its decoded bytes.</summary>
        private struct KeyEntry
        {
            public int Start;
            public int Length;
            public ulong Print;
        }

        /// <summary>Length and the first and last four bytes: equal keys have equal prints, and most different keys do not.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong Fingerprint(ReadOnlySpan<byte> key)
        {
            if (key.Length >= 4)
            {
                uint head = MemoryMarshal.Read<uint>(key);
                uint tail = MemoryMarshal.Read<uint>(key[^4..]);
                return ((ulong)(uint)key.Length << 32 | head) ^ ((ulong)tail << 13);
            }

            ulong print = (ulong)(uint)key.Length << 32;
            for (int k = 0; k < key.Length; k++)
            {
                print |= (ulong)key[k] << (8 * k);
            }

            return print;
        }
    }
}
