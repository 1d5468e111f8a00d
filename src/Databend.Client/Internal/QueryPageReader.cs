using System.Buffers;
using System.Text.Json;

namespace Databend.Client.Internal;

/// <summary>Parses query API responses with <see cref="Utf8JsonReader"/>; unknown fields are skipped.</summary>
internal static class QueryPageReader
{
    public static QueryPage Read(ReadOnlySpan<byte> json)
    {
        var page = new QueryPage();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                page.Id = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("node_id"u8))
            {
                page.NodeId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("state"u8))
            {
                page.State = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                page.Error = reader.TokenType == JsonTokenType.Null ? null : ReadError(ref reader);
            }
            else if (reader.ValueTextEquals("session"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    ReadSession(ref reader, json, page);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("schema"u8))
            {
                ReadSchema(ref reader, page.Schema);
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                ReadData(ref reader, page.Data, page.Schema.Count);
            }
            else if (reader.ValueTextEquals("stats"u8))
            {
                page.Stats = ReadStats(ref reader);
            }
            else if (reader.ValueTextEquals("next_uri"u8))
            {
                page.NextUri = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("kill_uri"u8))
            {
                page.KillUri = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("final_uri"u8))
            {
                page.FinalUri = ReadString(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return page;
    }

    /// <summary>Reads the <c>error</c> of an HTTP error body <c>{"error": {...}}</c>; null when the body is not that shape.</summary>
    public static QueryError? TryReadErrorBody(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    return reader.TokenType == JsonTokenType.StartObject ? ReadError(ref reader) : null;
                }

                reader.Read();
                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            // Not JSON, or not this shape (a code beyond int): the caller reports the status and the text.
        }

        return null;
    }

    private static QueryError ReadError(ref Utf8JsonReader reader)
    {
        int code = 0;
        string message = string.Empty;
        string? detail = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = reader.TokenType == JsonTokenType.Number ? reader.GetInt32() : 0;
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                message = ReadString(ref reader) ?? string.Empty;
            }
            else if (reader.ValueTextEquals("detail"u8))
            {
                detail = ReadString(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new QueryError(code, message, string.IsNullOrEmpty(detail) ? null : detail);
    }

    private static void ReadSession(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, QueryPage page)
    {
        long start = reader.TokenStartIndex;
        int depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != depth + 1)
            {
                continue;
            }

            if (reader.ValueTextEquals("txn_state"u8))
            {
                page.TxnState = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("need_sticky"u8))
            {
                reader.Read();
                page.NeedSticky = reader.TokenType == JsonTokenType.True;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        page.Session = json[(int)start..(int)(reader.TokenStartIndex + 1)].ToArray();
    }

    private static void ReadSchema(ref Utf8JsonReader reader, List<DatabendColumn> schema)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string name = string.Empty;
            string type = string.Empty;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("name"u8))
                {
                    name = ReadString(ref reader) ?? string.Empty;
                }
                else if (reader.ValueTextEquals("type"u8))
                {
                    type = ReadString(ref reader) ?? string.Empty;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            schema.Add(new DatabendColumn(name, type));
        }
    }

    // Databend serializes schema before data, so rows are sized exactly; a row of another
    // width (or data without schema) falls back to a growing list.
    private static void ReadData(ref Utf8JsonReader reader, List<string?[]> data, int width)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        List<string?>? overflow = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartArray)
        {
            string?[] row = new string?[width];
            int count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                string? value = reader.TokenType switch
                {
                    JsonTokenType.Null => null,
                    JsonTokenType.String => reader.GetString(),
                    _ => ReadNonString(ref reader),
                };
                if (count < width && overflow is not { Count: > 0 })
                {
                    row[count++] = value;
                    continue;
                }

                overflow ??= [];
                if (overflow.Count == 0)
                {
                    overflow.AddRange(row.AsSpan(0, count));
                }

                overflow.Add(value);
                count++;
            }

            if (overflow is { Count: > 0 })
            {
                data.Add([.. overflow]);
                overflow.Clear();
            }
            else
            {
                data.Add(count == width ? row : row[..count]);
            }
        }
    }

    // Older servers send numbers and booleans unquoted; keep their text.
    private static string ReadNonString(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
        {
            using JsonDocument nested = JsonDocument.ParseValue(ref reader);
            return nested.RootElement.GetRawText();
        }

        return System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
    }

    private static DatabendQueryStats ReadStats(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return new DatabendQueryStats();
        }

        long scanRows = 0, scanBytes = 0, writeRows = 0, writeBytes = 0, resultRows = 0;
        double runningTime = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("scan_progress"u8))
            {
                (scanRows, scanBytes) = ReadProgress(ref reader);
            }
            else if (reader.ValueTextEquals("write_progress"u8))
            {
                (writeRows, writeBytes) = ReadProgress(ref reader);
            }
            else if (reader.ValueTextEquals("result_progress"u8))
            {
                (resultRows, _) = ReadProgress(ref reader);
            }
            else if (reader.ValueTextEquals("running_time_ms"u8))
            {
                reader.Read();
                runningTime = reader.TokenType == JsonTokenType.Number ? reader.GetDouble() : 0;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new DatabendQueryStats
        {
            ScanRows = scanRows,
            ScanBytes = scanBytes,
            WriteRows = writeRows,
            WriteBytes = writeBytes,
            ResultRows = resultRows,
            RunningTimeMs = runningTime,
        };
    }

    private static (long Rows, long Bytes) ReadProgress(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return (0, 0);
        }

        long rows = 0, bytes = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isRows = reader.ValueTextEquals("rows"u8);
            bool isBytes = reader.ValueTextEquals("bytes"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number)
            {
                if (isRows)
                {
                    rows = reader.GetInt64();
                }
                else if (isBytes)
                {
                    bytes = reader.GetInt64();
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return (rows, bytes);
    }

    private static string? ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => ReadNonString(ref reader),
        };
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw new JsonException($"Expected {type} at the start of a Databend response.");
        }
    }
}
