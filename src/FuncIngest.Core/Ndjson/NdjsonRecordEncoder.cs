using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.IO.Hashing;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using FuncIngest.Internal;
using FuncIngest.Records;
using FuncIngest.Schemas;

namespace FuncIngest.Ndjson;

/// <summary>
/// Writes records as NDJSON lines into a caller-owned buffer: no per-record strings, and a
/// value is copied byte for byte (JSON values are never re-serialized). The fixed parts of a
/// line are written as bytes; <see cref="Utf8JsonWriter"/> writes what needs escaping, the
/// headers and dead letters. One encoder per batch; not thread-safe.
/// </summary>
internal sealed class NdjsonRecordEncoder : IDisposable
{
    // Upper bounds of the byte-written parts of a raw line, without the topic's length.
    private const int MaxHeadBytes = 256;
    private const int MaxTailBytes = 160;

    private static readonly JsonEncodedText s_topic = JsonEncodedText.Encode("topic");
    private static readonly JsonEncodedText s_partition = JsonEncodedText.Encode("partition");
    private static readonly JsonEncodedText s_offset = JsonEncodedText.Encode("offset");
    private static readonly JsonEncodedText s_key = JsonEncodedText.Encode("key");
    private static readonly JsonEncodedText s_valueEncoding = JsonEncodedText.Encode("value_encoding");
    private static readonly JsonEncodedText s_headers = JsonEncodedText.Encode("headers");
    private static readonly JsonEncodedText s_value = JsonEncodedText.Encode("value");
    private static readonly JsonEncodedText s_base64 = JsonEncodedText.Encode("base64");
    private static readonly JsonEncodedText s_reason = JsonEncodedText.Encode("reason");
    private static readonly JsonEncodedText s_detail = JsonEncodedText.Encode("detail");
    private static readonly JsonEncodedText s_timestamp = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText s_deadLetteredAt = JsonEncodedText.Encode("dead_lettered_at");
    private static readonly JsonEncodedText s_timestampType = JsonEncodedText.Encode("timestamp_type");
    private static readonly byte[][] s_timestampTypes = ["\"NotAvailable\""u8.ToArray(), "\"CreateTime\""u8.ToArray(), "\"LogAppendTime\""u8.ToArray()];
    private static readonly JsonEncodedText[] s_timestampTypeNames = [JsonEncodedText.Encode("NotAvailable"), JsonEncodedText.Encode("CreateTime"), JsonEncodedText.Encode("LogAppendTime")];

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        // Files are data, not HTML: keep non-ASCII text as UTF-8 instead of \u escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private readonly EncodingOptions _options;
    private readonly byte[] _addTimeThroughRawData;
    private readonly Utf8JsonWriter _writer = new(new ArrayBufferWriter<byte>(1), s_writerOptions);

    // Decoded Schema Registry values and keys, rewritten per record.
    private readonly ArrayBufferWriter<byte> _valueScratch = new(256);
    private readonly ArrayBufferWriter<byte> _keyScratch = new(64);
    private readonly ArrayBufferWriter<byte> _markerScratch = new(64);
    private string? _currentTopic;
    private byte[] _topicJson = [];

    // The name a record's uuid is hashed from: the topic's UTF-8 bytes, then 4 bytes of partition
    // and 8 of offset (big-endian), rewritten per record.
    private byte[] _uuidName = new byte[12];

    public NdjsonRecordEncoder(EncodingOptions options, DateTimeOffset addTime)
    {
        _options = options;
        // One value for the whole batch: format it once.
        string formatted = addTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);
        _addTimeThroughRawData = System.Text.Encoding.UTF8.GetBytes("},\"add_time\":\"" + formatted + "\",\"raw_data\":");
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

        if (_options.UsesSchemaRegistry)
        {
            return _options.Mode == RecordMode.Raw ? EncodeRawWithSchemas(record, output, out detail) : EncodeTransformWithSchemas(record, output, out detail);
        }

        return _options.Mode == RecordMode.Raw ? EncodeRaw(record, output, ref detail) : EncodeTransform(record, output, ref detail);
    }

    /// <summary>
    /// The schemas of the ids the records about to be encoded carry, resolved (async) by the
    /// caller before encoding (<see cref="SchemaRegistrySchemas.ResolveAsync"/>); an id missing
    /// here is an unknown schema id. Needed when <see cref="EncodingOptions.UsesSchemaRegistry"/>.
    /// </summary>
    internal SchemaSet? Schemas { get; set; }

    /// <summary>The schema ids a record carries that this encoder will look up: its value's, and in raw mode its key's.</summary>
    internal static void CollectSchemaIds(EncodingOptions options, IngestRecord record, ICollection<int> ids)
    {
        if (options.ValueFormat != PayloadFormat.Json && record.Value is { } value && WireFormat.TryReadHeader(value.Span, out int valueId))
        {
            ids.Add(valueId);
        }

        if (options.KeyFormat != PayloadFormat.Json && options.Mode == RecordMode.Raw && record.Key is { } key && WireFormat.TryReadHeader(key.Span, out int keyId))
        {
            ids.Add(keyId);
        }
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

        // Kept so that a replay restores the record exactly (CreateTime or LogAppendTime).
        _writer.WriteString(s_timestampType, s_timestampTypeNames[(int)record.TimestampType]);
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
        return EncodeRaw(record, value, shape, keyJson: default, markers: default, output, ref detail);
    }

    /// <summary>
    /// A raw line. <paramref name="keyJson"/>, when not empty, is the decoded key (JSON) written in
    /// place of the key's text; <paramref name="markers"/> are further record_metadata members
    /// (the schema ids and formats), each starting with a comma.
    /// </summary>
    private RejectReason EncodeRaw(IngestRecord record, ReadOnlySpan<byte> value, ValueShape shape, ReadOnlySpan<byte> keyJson, ReadOnlySpan<byte> markers, IBufferWriter<byte> output, ref string? detail)
    {
        if (_options.StrictJson && shape is not (ValueShape.Json or ValueShape.Null))
        {
            return Reject(shape, out detail);
        }

        if (shape >= ValueShape.Empty && shape != ValueShape.Json && shape != ValueShape.Binary)
        {
            FuncIngestMetrics.ValuesAsText.Add(1, new KeyValuePair<string, object?>("reason", s_textReasons[(int)shape]));
        }

        UseTopic(record.Topic);

        // The fixed parts of the line are written as bytes, not through Utf8JsonWriter: at 100 B
        // values the writer's per-property bookkeeping cost more than compressing the line.
        // The output is byte-identical to what the writer produced (golden tests pin it).
        Span<byte> span = output.GetSpan(MaxHeadBytes + _topicJson.Length);
        int n = Put(span, 0, "{\"uuid\":\""u8);
        RecordUuid(record).TryFormat(span[n..], out int written);
        n = Put(span, n + written, "\",\"koffset\":"u8);
        n = PutNumber(span, n, record.Offset);
        n = Put(span, n, ",\"kpartition\":"u8);
        n = PutNumber(span, n, record.Partition);
        n = Put(span, n, ",\"record_metadata\":{\"topic\":"u8);
        n = Put(span, n, _topicJson);
        n = Put(span, n, ",\"partition\":"u8);
        n = PutNumber(span, n, record.Partition);
        n = Put(span, n, ",\"offset\":"u8);
        n = PutNumber(span, n, record.Offset);
        n = Put(span, n, ",\"key\":"u8);
        output.Advance(n);

        if (keyJson.IsEmpty)
        {
            WriteTextOrBase64(output, record.Key, ",\"key_encoding\":\"base64\""u8);
        }
        else
        {
            Append(output, keyJson);
        }

        span = output.GetSpan(MaxTailBytes);
        n = 0;
        if (record.Timestamp is { } ts)
        {
            n = Put(span, n, ",\"create_time\":\""u8);
            n += FormatTimestamp(ts.UtcDateTime, span[n..]);
            n = Put(span, n, "\""u8);
        }

        n = Put(span, n, ",\"timestamp_type\":"u8);
        n = Put(span, n, s_timestampTypes[(int)record.TimestampType]);
        // Markers that tell what raw_data cannot: base64 bytes, a tombstone (raw_data null, not
        // the JSON value null), or a value kept as its text (a JSON string) and why.
        n = Put(span, n, s_shapeMarkers[(int)shape]);

        output.Advance(n);
        if (!markers.IsEmpty)
        {
            Append(output, markers);
        }

        if (record.Headers.Count > 0)
        {
            Append(output, ",\"headers\":"u8);
            WriteHeaders(record.Headers, output);
        }

        Append(output, _addTimeThroughRawData);
        switch (shape)
        {
            case ValueShape.Null:
                Append(output, "null"u8);
                break;
            case ValueShape.Json:
                AppendJson(output, value);
                break;
            case ValueShape.Binary:
                AppendBase64(output, value, default);
                break;
            default:
                // Empty, not JSON, too deep, or JSON that Databend would refuse or change:
                // kept as text, byte for byte.
                WriteString(output, value);
                break;
        }

        Append(output, "}\n"u8);
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

        AppendJson(output, value);
        Append(output, "\n"u8);
        return RejectReason.None;
    }

    private RejectReason EncodeRawWithSchemas(IngestRecord record, IBufferWriter<byte> output, out string? detail)
    {
        detail = null;
        _markerScratch.ResetWrittenCount();
        ReadOnlySpan<byte> keyJson = default;
        if (_options.KeyFormat != PayloadFormat.Json && record.Key is { } key)
        {
            RejectReason keyReason = Decode(key.Span, _options.KeyFormat, _keyScratch, "key", out ReadOnlySpan<byte> decodedKey, out WireSchema? keySchema, out detail);
            if (keyReason != RejectReason.None)
            {
                return keyReason;
            }

            if (keySchema is not null)
            {
                // A Protobuf key stays as today's text or base64; a decoded one is JSON, as text
                // when Databend would not keep it unchanged.
                if (keySchema.Kind != SchemaKind.Protobuf)
                {
                    keyJson = Classify(decodedKey, _options.MaxJsonDepth, out _) == ValueShape.Json ? decodedKey : QuoteKey(decodedKey);
                }

                AppendMarkers(",\"key_schema_id\":"u8, keySchema, ",\"key_format\":"u8);
            }
        }

        if (record.IsTombstone || _options.ValueFormat == PayloadFormat.Json)
        {
            ReadOnlySpan<byte> plain = record.Value is { } v ? v.Span : default;
            return EncodeRaw(record, plain, record.IsTombstone ? ValueShape.Null : Classify(plain, _options.MaxJsonDepth, out _), keyJson, _markerScratch.WrittenSpan, output, ref detail);
        }

        ReadOnlySpan<byte> value = record.Value!.Value.Span;
        RejectReason reason = Decode(value, _options.ValueFormat, _valueScratch, "value", out ReadOnlySpan<byte> json, out WireSchema? schema, out detail);
        if (reason != RejectReason.None)
        {
            return reason;
        }

        ValueShape shape;
        if (schema is null)
        {
            json = value;
            shape = Classify(value, _options.MaxJsonDepth, out _);
        }
        else if (schema.Kind == SchemaKind.Protobuf)
        {
            if (_options.StrictJson)
            {
                detail = $"the value's schema {schema.Id} is Protobuf, which FuncIngest does not decode (docs/schema-registry.md, \"Protobuf\"); StrictJson keeps only JSON";
                return RejectReason.FormatMismatch;
            }

            // Not decoded (docs/schema-registry.md, "Protobuf"): kept as today, the exact bytes in base64.
            json = value;
            shape = ValueShape.Binary;
        }
        else if (!TryClassifyDecoded(json, schema, out shape, out _, out detail))
        {
            return RejectReason.UndecodableValue;
        }

        if (schema is not null)
        {
            AppendMarkers(",\"schema_id\":"u8, schema, ",\"value_format\":"u8);
        }

        return EncodeRaw(record, json, shape, keyJson, _markerScratch.WrittenSpan, output, ref detail);
    }

    private RejectReason EncodeTransformWithSchemas(IngestRecord record, IBufferWriter<byte> output, out string? detail)
    {
        detail = null;
        if (record.IsTombstone)
        {
            return EncodeTransform(record, output, ref detail);
        }

        ReadOnlySpan<byte> value = record.Value!.Value.Span;
        RejectReason reason = Decode(value, _options.ValueFormat, _valueScratch, "value", out ReadOnlySpan<byte> json, out WireSchema? schema, out detail);
        if (reason != RejectReason.None)
        {
            return reason;
        }

        if (schema is null)
        {
            return EncodeTransform(record, output, ref detail);
        }

        if (schema.Kind == SchemaKind.Protobuf)
        {
            detail = $"the value's schema {schema.Id} is Protobuf, which FuncIngest does not decode (docs/schema-registry.md, \"Protobuf\"); transform mode needs its fields";
            return RejectReason.FormatMismatch;
        }

        if (!TryClassifyDecoded(json, schema, out ValueShape shape, out JsonTokenType first, out detail))
        {
            return RejectReason.UndecodableValue;
        }

        if (shape != ValueShape.Json)
        {
            return Reject(shape, out detail);
        }

        if (first != JsonTokenType.StartObject)
        {
            detail = $"transform mode needs an object (an Avro record or a JSON object); the decoded value is a JSON {Describe(first)}";
            return RejectReason.NotJsonObject;
        }

        AppendJson(output, json);
        Append(output, "\n"u8);
        return RejectReason.None;
    }

    /// <summary>
    /// The shape of a decoded value by the same rules as a plain JSON value. Decoded Avro is
    /// always JSON (a duplicate map key can still make it one Databend changes); a JSON Schema
    /// payload that is not JSON text at all does not decode.
    /// </summary>
    private bool TryClassifyDecoded(ReadOnlySpan<byte> json, WireSchema schema, out ValueShape shape, out JsonTokenType first, out string? detail)
    {
        detail = null;
        if (schema.Avro is { ContainsMap: false } avro)
        {
            // Nothing in it for JsonSyntax to find (AvroNode.ContainsMap): skip the second scan.
            shape = ValueShape.Json;
            first = avro.Kind switch
            {
                AvroKind.Record or AvroKind.Duration => JsonTokenType.StartObject,
                AvroKind.Array => JsonTokenType.StartArray,
                _ => JsonTokenType.None,
            };
            if (first == JsonTokenType.None)
            {
                // A union or scalar at the top: its JSON token is known only from the bytes.
                _ = Classify(json, _options.MaxJsonDepth, out first);
            }

            return true;
        }

        shape = Classify(json, _options.MaxJsonDepth, out first);
        if (schema.Kind == SchemaKind.Json && shape is ValueShape.Empty or ValueShape.Binary or ValueShape.Text)
        {
            detail = $"the value has JSON Schema id {schema.Id} but its payload is {(shape == ValueShape.Empty ? "empty" : shape == ValueShape.Binary ? "not UTF-8" : "not valid JSON")}";
            return false;
        }

        return true;
    }

    /// <summary>
    /// Reads the Schema Registry header of a value or key and decodes what follows. Returns None
    /// with <paramref name="schema"/> null for a value without a header when the format is Auto
    /// (a plain value); else the schema, and for Avro the decoded JSON, for JSON Schema the payload.
    /// </summary>
    private RejectReason Decode(ReadOnlySpan<byte> bytes, PayloadFormat format, ArrayBufferWriter<byte> scratch, string part, out ReadOnlySpan<byte> json, out WireSchema? schema, out string? detail)
    {
        json = default;
        schema = null;
        detail = null;
        if (!WireFormat.TryReadHeader(bytes, out int id))
        {
            if (format == PayloadFormat.Auto)
            {
                return RejectReason.None;
            }

            detail = $"the {part} has no Schema Registry header (magic byte 0 and a 4-byte schema id), but its format is {format}";
            return RejectReason.FormatMismatch;
        }

        if (!(Schemas ?? SchemaSet.Empty).TryGet(id, out schema) || schema is null)
        {
            detail = $"the {part}'s schema id {id} is not in the Schema Registry";
            return RejectReason.UnknownSchemaId;
        }

        if ((format == PayloadFormat.Avro && schema.Kind != SchemaKind.Avro) || (format == PayloadFormat.JsonSchema && schema.Kind != SchemaKind.Json))
        {
            detail = $"the {part}'s schema {id} is a {KindName(schema.Kind)} schema, but its format is {format}";
            return RejectReason.FormatMismatch;
        }

        ReadOnlySpan<byte> payload = bytes[WireFormat.HeaderLength..];
        switch (schema.Kind)
        {
            case SchemaKind.Json:
                json = payload;
                return RejectReason.None;
            case SchemaKind.Protobuf:
                return RejectReason.None;
        }

        if (schema.Avro is null)
        {
            detail = $"the {part}'s {schema.Error}";
            return RejectReason.UndecodableValue;
        }

        scratch.ResetWrittenCount();
        _writer.Reset(scratch);
        try
        {
            AvroJsonWriter.Write(payload, schema.Avro, _writer, _options.MaxJsonDepth);
            _writer.Flush();
        }
        catch (AvroDecodeException e)
        {
            detail = $"the {part} does not decode with Avro schema {id}: {e.Message}";
            return e.TooDeep ? RejectReason.TooDeep : RejectReason.UndecodableValue;
        }

        json = scratch.WrittenSpan;
        return RejectReason.None;
    }

    private ReadOnlySpan<byte> QuoteKey(ReadOnlySpan<byte> decodedKey)
    {
        var quoted = new ArrayBufferWriter<byte>(decodedKey.Length + 8);
        WriteString(quoted, decodedKey);
        return quoted.WrittenSpan;
    }

    private void AppendMarkers(ReadOnlySpan<byte> idName, WireSchema schema, ReadOnlySpan<byte> formatName)
    {
        Append(_markerScratch, idName);
        Span<byte> number = _markerScratch.GetSpan(11);
        Utf8Formatter.TryFormat(schema.Id, number, out int written);
        _markerScratch.Advance(written);
        Append(_markerScratch, formatName);
        Append(_markerScratch, schema.Kind switch
        {
            SchemaKind.Avro => "\"avro\""u8,
            SchemaKind.Json => "\"json_schema\""u8,
            _ => "\"protobuf\""u8,
        });
    }

    private static string KindName(SchemaKind kind) => kind switch
    {
        SchemaKind.Avro => "Avro",
        SchemaKind.Json => "JSON Schema",
        _ => "Protobuf",
    };

    /// <summary>
    /// Copies a valid JSON value. In valid JSON a CR or LF byte can only be whitespace between
    /// tokens (inside strings they must be escaped), so replacing it with a space keeps the
    /// value identical while keeping the NDJSON framing.
    /// </summary>
    private static void AppendJson(IBufferWriter<byte> output, ReadOnlySpan<byte> json)
    {
        Span<byte> destination = output.GetSpan(json.Length)[..json.Length];
        json.CopyTo(destination);
        if (json.IndexOfAny((byte)'\n', (byte)'\r') >= 0)
        {
            destination.Replace((byte)'\n', (byte)' ');
            destination.Replace((byte)'\r', (byte)' ');
        }

        output.Advance(json.Length);
    }

    /// <summary>Writes bytes as a JSON string when they are UTF-8, else as base64 followed by <paramref name="base64Marker"/>.</summary>
    private void WriteTextOrBase64(IBufferWriter<byte> output, ReadOnlyMemory<byte>? bytes, ReadOnlySpan<byte> base64Marker)
    {
        if (bytes is not { } b)
        {
            Append(output, "null"u8);
        }
        else if (Utf8.IsValid(b.Span))
        {
            WriteString(output, b.Span);
        }
        else
        {
            AppendBase64(output, b.Span, base64Marker);
        }
    }

    /// <summary>Writes valid UTF-8 as a JSON string, escaped exactly as the writer escapes it.</summary>
    private void WriteString(IBufferWriter<byte> output, ReadOnlySpan<byte> utf8)
    {
        if (s_writerOptions.Encoder!.FindFirstCharacterToEncodeUtf8(utf8) < 0)
        {
            Span<byte> destination = output.GetSpan(utf8.Length + 2);
            destination[0] = (byte)'"';
            utf8.CopyTo(destination[1..]);
            destination[utf8.Length + 1] = (byte)'"';
            output.Advance(utf8.Length + 2);
            return;
        }

        _writer.Reset(output);
        _writer.WriteStringValue(utf8);
        _writer.Flush();
    }

    private static void AppendBase64(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> suffix)
    {
        int encodedLength = Base64.GetMaxEncodedToUtf8Length(bytes.Length);
        Span<byte> destination = output.GetSpan(encodedLength + 2 + suffix.Length);
        destination[0] = (byte)'"';
        Base64.EncodeToUtf8(bytes, destination[1..], out _, out int written);
        destination[written + 1] = (byte)'"';
        suffix.CopyTo(destination[(written + 2)..]);
        output.Advance(written + 2 + suffix.Length);
    }

    private void WriteHeaders(IReadOnlyList<RecordHeader> headers, IBufferWriter<byte> output)
    {
        _writer.Reset(output);
        _writer.WriteStartArray();
        foreach (RecordHeader header in headers)
        {
            _writer.WriteStartObject();
            _writer.WriteString(s_key, header.Key);
            WriteText(s_value, header.Value, s_valueEncoding);
            _writer.WriteEndObject();
        }

        _writer.WriteEndArray();
        _writer.Flush();
    }

    /// <summary>
    /// Formats like Utf8JsonWriter.WriteString(DateTime) for a UTC time: ISO 8601 with the
    /// fraction's trailing zeros (and a bare '.') removed.
    /// </summary>
    internal static int FormatTimestamp(DateTime utc, Span<byte> destination)
    {
        // 'O' gives yyyy-MM-ddTHH:mm:ss.fffffffZ: the fraction is at 20..26.
        Utf8Formatter.TryFormat(utc, destination, out _, new StandardFormat('O'));
        int last = 26;
        while (last > 19 && destination[last] == '0')
        {
            last--;
        }

        if (last == 19)
        {
            last = 18;
        }

        destination[last + 1] = (byte)'Z';
        return last + 2;
    }

    private static void Append(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    private static int Put(Span<byte> span, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[at..]);
        return at + bytes.Length;
    }

    private static int PutNumber(Span<byte> span, int at, long number)
    {
        Utf8Formatter.TryFormat(number, span[at..], out int written);
        return at + written;
    }

    private static RejectReason Reject(ValueShape shape, out string? detail)
    {
        (RejectReason reason, detail) = shape switch
        {
            ValueShape.Empty => (RejectReason.Empty, "the value is empty (0 bytes)"),
            ValueShape.Binary => (RejectReason.InvalidUtf8, "the value is not UTF-8 text"),
            ValueShape.TooDeep => (RejectReason.TooDeep, "the JSON value nests deeper than the MaxJsonDepth limit"),
            ValueShape.LoneSurrogate => (RejectReason.LoneSurrogate, "the JSON value has a \\u escape of an unpaired UTF-16 surrogate, which Databend refuses"),
            ValueShape.NumberOutOfRange => (RejectReason.NumberOutOfRange, "the JSON value has a number beyond double precision's range, which Databend would store as NULL or 0"),
            ValueShape.WideInteger => (RejectReason.WideInteger, "the JSON value has an integer outside [-2^127, 2^128-1], which Databend would round"),
            ValueShape.ReservedKey => (RejectReason.ReservedKey, "the JSON value has an object whose first key is $serde_json::private::Number or ::RawValue, which Databend's parser reads as something else"),
            ValueShape.DuplicateKey => (RejectReason.DuplicateKey, "the JSON value has an object with a duplicate key; Databend would keep only the last"),
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

    /// <summary>Caches what depends on the topic only: the start of the uuid name and its JSON text.</summary>
    private void UseTopic(string topic)
    {
        if (string.Equals(_currentTopic, topic, StringComparison.Ordinal))
        {
            return;
        }

        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(topic);
        _uuidName = new byte[utf8.Length + 12];
        utf8.CopyTo(_uuidName, 0);
        _topicJson = System.Text.Encoding.UTF8.GetBytes("\"" + JsonEncodedText.Encode(topic, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value + "\"");
        _currentTopic = topic;
    }

    /// <summary>
    /// A name-based UUID (RFC 9562 version 8) of the record's full topic, partition and offset,
    /// so that re-staging a record yields the same row id (bend-ingest-kafka draws a random one):
    /// the canonical (big-endian) XXH3-128 digest, seed 0, of the topic's UTF-8 bytes followed by
    /// the partition as 4 and the offset as 8 big-endian bytes, with the version nibble set to 8
    /// and the variant bits to 10. Version 8 rather than 5: SHA-1 cost 0.5-0.9 us per record
    /// here, about as much as encoding the whole 100-byte record.
    /// </summary>
    private Guid RecordUuid(IngestRecord record)
    {
        UseTopic(record.Topic);
        Span<byte> name = _uuidName;
        BinaryPrimitives.WriteInt32BigEndian(name[^12..], record.Partition);
        BinaryPrimitives.WriteInt64BigEndian(name[^8..], record.Offset);
        Span<byte> bytes = stackalloc byte[16];
        XxHash128.Hash(name, bytes);
        bytes[6] = (byte)(0x80 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }

    internal static ValueShape Classify(ReadOnlySpan<byte> value, int maxDepth, out JsonTokenType first)
    {
        first = JsonTokenType.None;
        if (value.IsEmpty)
        {
            return ValueShape.Empty;
        }

        // UTF-8 first: a JSON string holding invalid UTF-8 would make Databend reject the whole file.
        if (!Utf8.IsValid(value))
        {
            return ValueShape.Binary;
        }

        return JsonSyntax.Check(value, maxDepth, out first) switch
        {
            JsonSyntax.Verdict.Valid => ValueShape.Json,
            JsonSyntax.Verdict.TooDeep => ValueShape.TooDeep,
            JsonSyntax.Verdict.LoneSurrogate => ValueShape.LoneSurrogate,
            JsonSyntax.Verdict.NumberOutOfRange => ValueShape.NumberOutOfRange,
            JsonSyntax.Verdict.WideInteger => ValueShape.WideInteger,
            JsonSyntax.Verdict.ReservedKey => ValueShape.ReservedKey,
            JsonSyntax.Verdict.DuplicateKey => ValueShape.DuplicateKey,
            _ => ValueShape.Text,
        };
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

    /// <summary>The record_metadata markers of each shape, in <see cref="ValueShape"/> order.</summary>
    private static readonly byte[][] s_shapeMarkers =
    [
        ",\"tombstone\":true"u8.ToArray(),
        ",\"value_as_text\":\"empty\""u8.ToArray(),
        [],
        ",\"value_as_text\":\"not_json\""u8.ToArray(),
        ",\"value_encoding\":\"base64\""u8.ToArray(),
        ",\"value_as_text\":\"too_deep\""u8.ToArray(),
        ",\"value_as_text\":\"lone_surrogate\""u8.ToArray(),
        ",\"value_as_text\":\"number_out_of_range\""u8.ToArray(),
        ",\"value_as_text\":\"wide_integer\""u8.ToArray(),
        ",\"value_as_text\":\"reserved_key\""u8.ToArray(),
        ",\"value_as_text\":\"duplicate_key\""u8.ToArray(),
    ];

    /// <summary>The metric tag of each shape kept as text, in <see cref="ValueShape"/> order.</summary>
    private static readonly string[] s_textReasons =
        ["tombstone", "empty", "json", "not_json", "base64", "too_deep", "lone_surrogate", "number_out_of_range", "wide_integer", "reserved_key", "duplicate_key"];

    /// <summary>What a value is; the order indexes <see cref="s_shapeMarkers"/> and <see cref="s_textReasons"/>.</summary>
    internal enum ValueShape
    {
        Null,
        Empty,
        Json,
        Text,
        Binary,
        TooDeep,
        LoneSurrogate,
        NumberOutOfRange,
        WideInteger,
        ReservedKey,
        DuplicateKey,
    }
}
