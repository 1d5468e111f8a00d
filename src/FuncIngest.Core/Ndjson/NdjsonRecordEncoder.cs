using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using FuncIngest.Records;

namespace FuncIngest.Ndjson;

/// <summary>
/// Writes records as NDJSON lines with <see cref="Utf8JsonWriter"/> into a caller-owned buffer:
/// no per-record strings, and a value is copied byte for byte (JSON values are never
/// re-serialized). One encoder per batch; not thread-safe.
/// </summary>
internal sealed class NdjsonRecordEncoder : IDisposable
{
    private static readonly JsonEncodedText s_uuid = JsonEncodedText.Encode("uuid");
    private static readonly JsonEncodedText s_koffset = JsonEncodedText.Encode("koffset");
    private static readonly JsonEncodedText s_kpartition = JsonEncodedText.Encode("kpartition");
    private static readonly JsonEncodedText s_recordMetadata = JsonEncodedText.Encode("record_metadata");
    private static readonly JsonEncodedText s_addTime = JsonEncodedText.Encode("add_time");
    private static readonly JsonEncodedText s_rawData = JsonEncodedText.Encode("raw_data");
    private static readonly JsonEncodedText s_topic = JsonEncodedText.Encode("topic");
    private static readonly JsonEncodedText s_partition = JsonEncodedText.Encode("partition");
    private static readonly JsonEncodedText s_offset = JsonEncodedText.Encode("offset");
    private static readonly JsonEncodedText s_key = JsonEncodedText.Encode("key");
    private static readonly JsonEncodedText s_keyEncoding = JsonEncodedText.Encode("key_encoding");
    private static readonly JsonEncodedText s_valueEncoding = JsonEncodedText.Encode("value_encoding");
    private static readonly JsonEncodedText s_createTime = JsonEncodedText.Encode("create_time");
    private static readonly JsonEncodedText s_timestampType = JsonEncodedText.Encode("timestamp_type");
    private static readonly JsonEncodedText s_headers = JsonEncodedText.Encode("headers");
    private static readonly JsonEncodedText s_value = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText s_base64 = JsonEncodedText.Encode("base64");
    private static readonly JsonEncodedText s_reason = JsonEncodedText.Encode("reason");
    private static readonly JsonEncodedText s_detail = JsonEncodedText.Encode("detail");
    private static readonly JsonEncodedText s_timestamp = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText s_deadLetteredAt = JsonEncodedText.Encode("dead_lettered_at");
    private static readonly JsonEncodedText[] s_timestampTypes =
        [JsonEncodedText.Encode("NotAvailable"), JsonEncodedText.Encode("CreateTime"), JsonEncodedText.Encode("LogAppendTime")];

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        // Files are data, not HTML: keep non-ASCII text as UTF-8 instead of \u escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private readonly EncodingOptions _options;
    private readonly JsonEncodedText _addTime;
    private readonly Utf8JsonWriter _writer = new(new ArrayBufferWriter<byte>(1), s_writerOptions);
    private string? _currentTopic;
    private JsonEncodedText _encodedTopic;
    private uint _topicHash;

    public NdjsonRecordEncoder(EncodingOptions options, DateTimeOffset addTime)
    {
        _options = options;
        // One value for the whole batch: format it once.
        _addTime = JsonEncodedText.Encode(addTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Appends the record's line (ending in '\n') to <paramref name="output"/>, or leaves the
    /// output untouched and returns why the record must be dead-lettered.
    /// </summary>
    public RejectReason TryEncode(IngestRecord record, IBufferWriter<byte> output, out string? detail)
    {
        detail = null;
        if (record.PayloadBytes > _options.MaxRecordBytes)
        {
            detail = $"key, value and headers are {record.PayloadBytes} bytes; the limit is {_options.MaxRecordBytes}";
            return RejectReason.TooLarge;
        }

        return _options.Mode == RecordMode.Raw ? EncodeRaw(record, output, ref detail) : EncodeTransform(record, output, ref detail);
    }

    /// <summary>Appends a dead-letter line: the record's coordinates, the reason, and key, value and headers in base64.</summary>
    public void WriteDeadLetter(IngestRecord record, RejectReason reason, string? detail, DateTimeOffset at, IBufferWriter<byte> output)
    {
        _writer.Reset(output);
        _writer.WriteStartObject();
        _writer.WriteString(s_topic, record.Topic);
        _writer.WriteNumber(s_partition, record.Partition);
        _writer.WriteNumber(s_offset, record.Offset);
        _writer.WriteString(s_reason, reason.ToString());
        _writer.WriteString(s_detail, detail);
        WriteNullableBase64(s_key, record.Key);
        WriteNullableBase64(s_value, record.Value);
        if (record.Timestamp is { } ts)
        {
            _writer.WriteString(s_timestamp, ts.UtcDateTime);
        }

        _writer.WriteStartArray(s_headers);
        foreach (RecordHeader header in record.Headers)
        {
            _writer.WriteStartObject();
            _writer.WriteString(s_key, header.Key);
            WriteNullableBase64(s_value, header.Value);
            _writer.WriteEndObject();
        }

        _writer.WriteEndArray();
        _writer.WriteString(s_deadLetteredAt, at.UtcDateTime);
        _writer.WriteEndObject();
        _writer.Flush();
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }

    public void Dispose() => _writer.Dispose();

    private RejectReason EncodeRaw(IngestRecord record, IBufferWriter<byte> output, ref string? detail)
    {
        ReadOnlySpan<byte> value = record.Value is { } v ? v.Span : default;
        ValueShape shape = record.IsTombstone ? ValueShape.Null : Classify(value, _options.MaxJsonDepth, out _);
        if (_options.StrictJson && shape is not (ValueShape.Json or ValueShape.Null))
        {
            return Reject(shape, out detail);
        }

        _writer.Reset(output);
        _writer.WriteStartObject();
        _writer.WriteString(s_uuid, RecordUuid(record));
        _writer.WriteNumber(s_koffset, record.Offset);
        _writer.WriteNumber(s_kpartition, record.Partition);
        _writer.WriteStartObject(s_recordMetadata);
        _writer.WriteString(s_topic, _encodedTopic);
        _writer.WriteNumber(s_partition, record.Partition);
        _writer.WriteNumber(s_offset, record.Offset);
        WriteText(s_key, record.Key, s_keyEncoding);
        if (record.Timestamp is { } ts)
        {
            _writer.WriteString(s_createTime, ts.UtcDateTime);
        }

        _writer.WriteString(s_timestampType, s_timestampTypes[(int)record.TimestampType]);
        if (shape == ValueShape.Binary)
        {
            _writer.WriteString(s_valueEncoding, s_base64);
        }

        if (record.Headers.Count > 0)
        {
            _writer.WriteStartArray(s_headers);
            foreach (RecordHeader header in record.Headers)
            {
                _writer.WriteStartObject();
                _writer.WriteString(s_key, header.Key);
                WriteText(s_value, header.Value, s_valueEncoding);
                _writer.WriteEndObject();
            }

            _writer.WriteEndArray();
        }

        _writer.WriteEndObject();
        _writer.WriteString(s_addTime, _addTime);
        switch (shape)
        {
            case ValueShape.Null:
                _writer.WriteNull(s_rawData);
                break;
            case ValueShape.Json:
                _writer.WritePropertyName(s_rawData);
                _writer.WriteRawValue(value, skipInputValidation: true);
                break;
            case ValueShape.Binary:
                _writer.WriteBase64String(s_rawData, value);
                break;
            default:
                // Empty, not JSON, or nested too deep: kept as text, byte for byte.
                _writer.WriteString(s_rawData, value);
                break;
        }

        _writer.WriteEndObject();
        EndLine(output, shape == ValueShape.Json && value.IndexOfAny((byte)'\n', (byte)'\r') >= 0);
        return RejectReason.None;
    }

    private RejectReason EncodeTransform(IngestRecord record, IBufferWriter<byte> output, ref string? detail)
    {
        if (record.IsTombstone)
        {
            detail = "transform mode needs a JSON object; the record is a tombstone (null value)";
            return RejectReason.Tombstone;
        }

        ReadOnlySpan<byte> value = record.Value!.Value.Span;
        ValueShape shape = Classify(value, _options.MaxJsonDepth, out JsonTokenType first);
        if (shape != ValueShape.Json)
        {
            return Reject(shape, out detail);
        }

        if (first != JsonTokenType.StartObject)
        {
            detail = $"transform mode needs a JSON object; the value is a JSON {Describe(first)}";
            return RejectReason.NotJsonObject;
        }

        _writer.Reset(output);
        _writer.WriteRawValue(value, skipInputValidation: true);
        EndLine(output, value.IndexOfAny((byte)'\n', (byte)'\r') >= 0);
        return RejectReason.None;
    }

    /// <summary>
    /// Ends the line. In valid JSON a CR or LF byte can only be whitespace between tokens
    /// (inside strings they must be escaped), so replacing it with a space keeps the value
    /// identical while keeping the NDJSON framing.
    /// </summary>
    private void EndLine(IBufferWriter<byte> output, bool hasLineBreaks)
    {
        int length = (int)_writer.BytesPending;
        _writer.Flush();
        if (hasLineBreaks && output is ArrayBufferWriter<byte> array)
        {
            Span<byte> line = System.Runtime.InteropServices.MemoryMarshal.AsMemory(array.WrittenMemory).Span[^length..];
            line.Replace((byte)'\n', (byte)' ');
            line.Replace((byte)'\r', (byte)' ');
        }
        else if (hasLineBreaks)
        {
            throw new InvalidOperationException("Values with line breaks need an ArrayBufferWriter output.");
        }

        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }

    private static RejectReason Reject(ValueShape shape, out string? detail)
    {
        (RejectReason reason, detail) = shape switch
        {
            ValueShape.Empty => (RejectReason.Empty, "the value is empty (0 bytes)"),
            ValueShape.Binary => (RejectReason.InvalidUtf8, "the value is not UTF-8 text"),
            ValueShape.TooDeep => (RejectReason.TooDeep, "the JSON value nests deeper than the MaxJsonDepth limit"),
            _ => (RejectReason.NotJson, "the value is not valid JSON"),
        };
        return reason;
    }

    /// <summary>Writes bytes as a JSON string when they are UTF-8, else as base64 followed by <paramref name="encodingName"/>: "base64".</summary>
    private void WriteText(JsonEncodedText name, ReadOnlyMemory<byte>? bytes, JsonEncodedText encodingName)
    {
        if (bytes is not { } b)
        {
            _writer.WriteNull(name);
        }
        else if (Utf8.IsValid(b.Span))
        {
            _writer.WriteString(name, b.Span);
        }
        else
        {
            _writer.WriteBase64String(name, b.Span);
            _writer.WriteString(encodingName, s_base64);
        }
    }

    private void WriteNullableBase64(JsonEncodedText name, ReadOnlyMemory<byte>? bytes)
    {
        if (bytes is { } b)
        {
            _writer.WriteBase64String(name, b.Span);
        }
        else
        {
            _writer.WriteNull(name);
        }
    }

    /// <summary>
    /// A deterministic UUID (RFC 9562 version 8) from topic, partition and offset, so that
    /// re-staging a record yields the same row id (bend-ingest-kafka draws a random one).
    /// Layout: 32-bit topic hash, partition (28 bits), offset (62 bits), version and variant bits.
    /// </summary>
    private Guid RecordUuid(IngestRecord record)
    {
        if (!string.Equals(_currentTopic, record.Topic, StringComparison.Ordinal))
        {
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(record.Topic), digest);
            _topicHash = BinaryPrimitives.ReadUInt32BigEndian(digest);
            _encodedTopic = JsonEncodedText.Encode(record.Topic, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
            _currentTopic = record.Topic;
        }

        Span<byte> bytes = stackalloc byte[16];
        uint partition = (uint)record.Partition;
        ulong offset = (ulong)record.Offset;
        BinaryPrimitives.WriteUInt32BigEndian(bytes, _topicHash);
        BinaryPrimitives.WriteUInt16BigEndian(bytes[4..], (ushort)partition);
        bytes[6] = (byte)(0x80 | ((partition >> 16) & 0x0F));
        bytes[7] = (byte)(partition >> 20);
        bytes[8] = (byte)(0x80 | ((offset >> 56) & 0x3F));
        for (int i = 0; i < 7; i++)
        {
            bytes[15 - i] = (byte)(offset >> (8 * i));
        }

        return new Guid(bytes, bigEndian: true);
    }

    internal static ValueShape Classify(ReadOnlySpan<byte> value, int maxDepth, out JsonTokenType first)
    {
        first = JsonTokenType.None;
        if (value.IsEmpty)
        {
            return ValueShape.Empty;
        }

        var reader = new Utf8JsonReader(value, new JsonReaderOptions { MaxDepth = maxDepth });
        try
        {
            if (!reader.Read())
            {
                return Utf8.IsValid(value) ? ValueShape.Text : ValueShape.Binary;
            }

            first = reader.TokenType;
            reader.Skip();
            // A second top-level value makes the reader throw on Read().
            while (reader.Read())
            {
            }

            return ValueShape.Json;
        }
        catch (JsonException)
        {
            if (reader.CurrentDepth >= maxDepth - 1)
            {
                return ValueShape.TooDeep;
            }

            return Utf8.IsValid(value) ? ValueShape.Text : ValueShape.Binary;
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    internal enum ValueShape
    {
        Null,
        Empty,
        Json,
        Text,
        Binary,
        TooDeep,
    }
}
