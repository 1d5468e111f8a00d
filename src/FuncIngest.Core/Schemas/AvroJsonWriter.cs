using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Unicode;

namespace FuncIngest.Schemas;

/// <summary>
/// Reads one Avro binary datum (Avro specification, "Binary Encoding") by its compiled schema and
/// writes it as JSON, straight from the bytes: no GenericRecord, no per-field objects. The rules
/// (docs/schema-registry.md, "Avro to JSON"): unions as the branch's plain value, bytes and fixed
/// as base64, enums as their symbol, decimals as an exact decimal string, dates and times as
/// ISO-8601 strings, maps as objects, records as objects in field order.
/// </summary>
internal ref struct AvroJsonWriter
{
    // Days from 0001-01-01 (DateOnly day 0) to 1970-01-01.
    private const int UnixEpochDayNumber = 719_162;

    // Seconds from 1970-01-01 of 0001-01-01T00:00:00 and 9999-12-31T23:59:59: DateTime's range.
    private const long MinUnixSeconds = -62_135_596_800;
    private const long MaxUnixSeconds = 253_402_300_799;

    private readonly ReadOnlySpan<byte> _data;
    private readonly Utf8JsonWriter _writer;
    private readonly int _maxDepth;
    private int _position;
    private int _depth;

    private AvroJsonWriter(ReadOnlySpan<byte> data, Utf8JsonWriter writer, int maxDepth)
    {
        _data = data;
        _writer = writer;
        _maxDepth = maxDepth;
    }

    /// <summary>Writes the datum; every byte must belong to it.</summary>
    /// <exception cref="AvroDecodeException">The bytes do not decode with the schema, or nest deeper than <paramref name="maxDepth"/>.</exception>
    public static void Write(ReadOnlySpan<byte> datum, AvroNode schema, Utf8JsonWriter writer, int maxDepth)
    {
        var reader = new AvroJsonWriter(datum, writer, maxDepth);
        reader.Value(schema);
        if (reader._position != datum.Length)
        {
            // The writer's schema would have consumed them: these bytes were written with another schema.
            throw new AvroDecodeException($"{datum.Length - reader._position} bytes left after the datum ends at byte {reader._position} of {datum.Length}");
        }
    }

    private void Value(AvroNode node)
    {
        switch (node.Kind)
        {
            case AvroKind.Null:
                _writer.WriteNullValue();
                break;
            case AvroKind.Boolean:
                byte b = Take(1)[0];
                _writer.WriteBooleanValue(b switch { 0 => false, 1 => true, _ => throw new AvroDecodeException($"boolean byte {b} at {_position - 1} is not 0 or 1") });
                break;
            case AvroKind.Int:
                _writer.WriteNumberValue(ReadInt());
                break;
            case AvroKind.Long:
                _writer.WriteNumberValue(ReadLong());
                break;
            case AvroKind.Float:
                WriteFloatingPoint(BinaryPrimitives.ReadSingleLittleEndian(Take(4)));
                break;
            case AvroKind.Double:
                WriteFloatingPoint(BinaryPrimitives.ReadDoubleLittleEndian(Take(8)));
                break;
            case AvroKind.Bytes:
                _writer.WriteBase64StringValue(Take(ReadLength()));
                break;
            case AvroKind.Fixed:
                _writer.WriteBase64StringValue(Take(node.Size));
                break;
            case AvroKind.String:
                _writer.WriteStringValue(ReadString());
                break;
            case AvroKind.Enum:
                int symbol = ReadInt();
                _writer.WriteStringValue((uint)symbol < (uint)node.Names.Length ? node.Names[symbol] : throw new AvroDecodeException($"enum index {symbol} is not one of the schema's {node.Names.Length} symbols"));
                break;
            case AvroKind.Union:
                long branch = ReadLong();
                Value((ulong)branch < (ulong)node.Children.Length ? node.Children[branch] : throw new AvroDecodeException($"union branch {branch} is not one of the schema's {node.Children.Length} branches"));
                break;
            case AvroKind.Record:
                Enter();
                _writer.WriteStartObject();
                for (int i = 0; i < node.Children.Length; i++)
                {
                    _writer.WritePropertyName(node.Names[i]);
                    Value(node.Children[i]);
                }

                _writer.WriteEndObject();
                _depth--;
                break;
            case AvroKind.Array:
                Enter();
                _writer.WriteStartArray();
                Blocks(node.Children[0], map: false);
                _writer.WriteEndArray();
                _depth--;
                break;
            case AvroKind.Map:
                Enter();
                _writer.WriteStartObject();
                Blocks(node.Children[0], map: true);
                _writer.WriteEndObject();
                _depth--;
                break;
            case AvroKind.Decimal:
                WriteDecimal(node.Size > 0 ? Take(node.Size) : Take(ReadLength()), node.Scale);
                break;
            case AvroKind.Date:
                WriteDate(ReadInt());
                break;
            case AvroKind.TimeMillis:
                WriteTime(ReadInt(), 1_000, 3);
                break;
            case AvroKind.TimeMicros:
                WriteTime(ReadLong(), 1_000_000, 6);
                break;
            case AvroKind.TimestampMillis:
                WriteTimestamp(ReadLong(), 1_000, 3, utc: true);
                break;
            case AvroKind.TimestampMicros:
                WriteTimestamp(ReadLong(), 1_000_000, 6, utc: true);
                break;
            case AvroKind.TimestampNanos:
                WriteTimestamp(ReadLong(), 1_000_000_000, 9, utc: true);
                break;
            case AvroKind.LocalTimestampMillis:
                WriteTimestamp(ReadLong(), 1_000, 3, utc: false);
                break;
            case AvroKind.LocalTimestampMicros:
                WriteTimestamp(ReadLong(), 1_000_000, 6, utc: false);
                break;
            case AvroKind.LocalTimestampNanos:
                WriteTimestamp(ReadLong(), 1_000_000_000, 9, utc: false);
                break;
            case AvroKind.Duration:
                ReadOnlySpan<byte> duration = Take(12);
                _writer.WriteStartObject();
                _writer.WriteNumber("months"u8, BinaryPrimitives.ReadUInt32LittleEndian(duration));
                _writer.WriteNumber("days"u8, BinaryPrimitives.ReadUInt32LittleEndian(duration[4..]));
                _writer.WriteNumber("milliseconds"u8, BinaryPrimitives.ReadUInt32LittleEndian(duration[8..]));
                _writer.WriteEndObject();
                break;
            default:
                throw new AvroDecodeException($"unsupported schema node {node.Kind}");
        }
    }

    private void Enter()
    {
        if (++_depth > _maxDepth)
        {
            throw new AvroDecodeException($"the value nests deeper than {_maxDepth} (MaxJsonDepth)", tooDeep: true);
        }
    }

    /// <summary>Array items or map entries, written in blocks: a count (negative: followed by the block's byte size), 0 ends.</summary>
    private void Blocks(AvroNode item, bool map)
    {
        while (true)
        {
            long count = ReadLong();
            if (count == 0)
            {
                return;
            }

            if (count < 0)
            {
                count = count == long.MinValue ? throw new AvroDecodeException("block count out of range") : -count;
                _ = ReadLong();
            }

            // Every item takes at least one byte unless it is null: a count beyond the bytes left is corrupt.
            if (item.Kind != AvroKind.Null && count > _data.Length - _position)
            {
                throw new AvroDecodeException($"block of {count} items at byte {_position} is longer than the {_data.Length - _position} bytes left");
            }

            for (long i = 0; i < count; i++)
            {
                if (map)
                {
                    _writer.WritePropertyName(ReadString());
                }

                Value(item);
            }
        }
    }

    private void WriteFloatingPoint(double value)
    {
        // JSON has no NaN or infinity: written as the strings .NET and Java print for them.
        if (double.IsFinite(value))
        {
            _writer.WriteNumberValue(value);
        }
        else
        {
            _writer.WriteStringValue(double.IsNaN(value) ? "NaN"u8 : value > 0 ? "Infinity"u8 : "-Infinity"u8);
        }
    }

    private void WriteFloatingPoint(float value)
    {
        if (float.IsFinite(value))
        {
            // The float's own shortest round-trip text (0.1, not 0.10000000149011612).
            _writer.WriteNumberValue(value);
        }
        else
        {
            WriteFloatingPoint((double)value);
        }
    }

    /// <summary>
    /// The unscaled value is a big-endian two's-complement integer; the text is its digits with
    /// the point <c>scale</c> places from the right, exact at any size (never through a double).
    /// </summary>
    private void WriteDecimal(ReadOnlySpan<byte> unscaled, int scale)
    {
        Span<byte> digits = stackalloc byte[80];
        bool negative = unscaled.Length > 0 && (unscaled[0] & 0x80) != 0;
        int length;
        if (unscaled.Length <= 16)
        {
            Int128 value = negative ? Int128.NegativeOne : Int128.Zero;
            foreach (byte b in unscaled)
            {
                value = (value << 8) | b;
            }

            UInt128 magnitude = negative ? (UInt128)(-(value + 1)) + 1 : (UInt128)value;
            magnitude.TryFormat(digits, out length, default, CultureInfo.InvariantCulture);
        }
        else
        {
            BigInteger magnitude = BigInteger.Abs(new BigInteger(unscaled, isUnsigned: false, isBigEndian: true));
            string text = magnitude.ToString(CultureInfo.InvariantCulture);
            if (text.Length > digits.Length)
            {
                digits = new byte[text.Length];
            }

            length = System.Text.Encoding.ASCII.GetBytes(text, digits);
        }

        int needed = length + scale + 3;
        Span<byte> output = needed <= 128 ? stackalloc byte[128] : new byte[needed];
        int n = 0;
        if (negative)
        {
            output[n++] = (byte)'-';
        }

        if (scale <= 0)
        {
            digits[..length].CopyTo(output[n..]);
            n += length;
        }
        else if (length > scale)
        {
            digits[..(length - scale)].CopyTo(output[n..]);
            n += length - scale;
            output[n++] = (byte)'.';
            digits[(length - scale)..length].CopyTo(output[n..]);
            n += scale;
        }
        else
        {
            output[n++] = (byte)'0';
            output[n++] = (byte)'.';
            output.Slice(n, scale - length).Fill((byte)'0');
            n += scale - length;
            digits[..length].CopyTo(output[n..]);
            n += length;
        }

        _writer.WriteStringValue(output[..n]);
    }

    private void WriteDate(int days)
    {
        long dayNumber = (long)UnixEpochDayNumber + days;
        if (dayNumber < DateOnly.MinValue.DayNumber || dayNumber > DateOnly.MaxValue.DayNumber)
        {
            throw new AvroDecodeException($"date {days} days from 1970-01-01 is outside 0001-01-01..9999-12-31");
        }

        Span<byte> text = stackalloc byte[10];
        DateOnly.FromDayNumber((int)dayNumber).TryFormat(text, out int written, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        _writer.WriteStringValue(text[..written]);
    }

    private void WriteTime(long value, long perSecond, int fractionDigits)
    {
        if (value < 0 || value >= 86_400 * perSecond)
        {
            throw new AvroDecodeException($"time of day {value} is outside 00:00:00..23:59:59 in units of 1/{perSecond} s");
        }

        long seconds = value / perSecond;
        Span<byte> text = stackalloc byte[18];
        int n = Two(text, 0, seconds / 3600);
        text[n++] = (byte)':';
        n = Two(text, n, seconds / 60 % 60);
        text[n++] = (byte)':';
        n = Two(text, n, seconds % 60);
        n = Fraction(text, n, value % perSecond, fractionDigits);
        _writer.WriteStringValue(text[..n]);
    }

    /// <summary>ISO-8601 with a fixed number of fraction digits, <c>Z</c> for UTC, none for a local timestamp.</summary>
    private void WriteTimestamp(long value, long perSecond, int fractionDigits, bool utc)
    {
        long seconds = Math.DivRem(value, perSecond, out long fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += perSecond;
        }

        if (seconds < MinUnixSeconds || seconds > MaxUnixSeconds)
        {
            throw new AvroDecodeException($"timestamp {value} (1/{perSecond} s from 1970-01-01) is outside 0001-01-01..9999-12-31");
        }

        Span<byte> text = stackalloc byte[40];
        DateTime.UnixEpoch.AddSeconds(seconds).TryFormat(text, out int n, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        n = Fraction(text, n, fraction, fractionDigits);
        if (utc)
        {
            text[n++] = (byte)'Z';
        }

        _writer.WriteStringValue(text[..n]);
    }

    private static int Two(Span<byte> text, int at, long value)
    {
        text[at] = (byte)('0' + (value / 10));
        text[at + 1] = (byte)('0' + (value % 10));
        return at + 2;
    }

    private static int Fraction(Span<byte> text, int at, long fraction, int digits)
    {
        text[at++] = (byte)'.';
        Utf8Formatter.TryFormat((ulong)fraction, text[at..], out int written, new System.Buffers.StandardFormat('D', (byte)digits));
        return at + written;
    }

    private ReadOnlySpan<byte> ReadString()
    {
        ReadOnlySpan<byte> text = Take(ReadLength());
        if (!Utf8.IsValid(text))
        {
            // Databend refuses a whole file with invalid UTF-8 in it.
            throw new AvroDecodeException($"a string ending at byte {_position} is not UTF-8");
        }

        return text;
    }

    private int ReadLength()
    {
        long length = ReadLong();
        return length < 0 || length > _data.Length - _position
            ? throw new AvroDecodeException($"length {length} at byte {_position} does not fit the {_data.Length - _position} bytes left")
            : (int)length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
        {
            throw new AvroDecodeException($"the datum ends at byte {_data.Length}, {count} bytes needed at {_position}");
        }

        ReadOnlySpan<byte> bytes = _data.Slice(_position, count);
        _position += count;
        return bytes;
    }

    private int ReadInt()
    {
        long value = ReadLong();
        return value is < int.MinValue or > int.MaxValue ? throw new AvroDecodeException($"int {value} out of range") : (int)value;
    }

    /// <summary>A zig-zag variable-length long: 7 bits a byte, low first, at most 10 bytes.</summary>
    private long ReadLong()
    {
        ulong raw = 0;
        int shift = 0;
        while (true)
        {
            if (_position >= _data.Length)
            {
                throw new AvroDecodeException($"the datum ends at byte {_data.Length} inside a number");
            }

            byte b = _data[_position++];
            raw |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                break;
            }

            shift += 7;
            if (shift > 63)
            {
                throw new AvroDecodeException($"a variable-length number at byte {_position} is longer than 10 bytes");
            }
        }

        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }
}
