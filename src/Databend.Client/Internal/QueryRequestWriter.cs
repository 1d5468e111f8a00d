using System.Text.Json;

namespace Databend.Client.Internal;

/// <summary>Writes the body of <c>POST /v1/query</c>: <c>{"sql", "session", "pagination"}</c>.</summary>
internal static class QueryRequestWriter
{
    private static readonly JsonEncodedText s_sql = JsonEncodedText.Encode("sql");
    private static readonly JsonEncodedText s_session = JsonEncodedText.Encode("session");
    private static readonly JsonEncodedText s_pagination = JsonEncodedText.Encode("pagination");
    private static readonly JsonEncodedText s_waitTimeSecs = JsonEncodedText.Encode("wait_time_secs");
    private static readonly JsonEncodedText s_maxRowsPerPage = JsonEncodedText.Encode("max_rows_per_page");
    private static readonly JsonEncodedText s_database = JsonEncodedText.Encode("database");
    private static readonly JsonEncodedText s_role = JsonEncodedText.Encode("role");
    private static readonly JsonEncodedText s_settings = JsonEncodedText.Encode("settings");

    public static void Write(PooledBufferWriter output, string sql, ReadOnlySpan<byte> session, DatabendClientOptions options)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = false });
        writer.WriteStartObject();
        writer.WriteString(s_sql, sql);
        if (!session.IsEmpty)
        {
            writer.WritePropertyName(s_session);
            writer.WriteRawValue(session, skipInputValidation: true);
        }

        writer.WriteStartObject(s_pagination);
        writer.WriteNumber(s_waitTimeSecs, options.WaitTimeSeconds);
        if (options.MaxRowsPerPage is int rows)
        {
            writer.WriteNumber(s_maxRowsPerPage, rows);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The session a client starts with, before the server has sent one back.</summary>
    public static byte[] InitialSession(DatabendClientOptions options)
    {
        using var buffer = new PooledBufferWriter(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (options.Database is not null)
            {
                writer.WriteString(s_database, options.Database);
            }

            if (options.Role is not null)
            {
                writer.WriteString(s_role, options.Role);
            }

            if (options.Settings.Count > 0)
            {
                writer.WriteStartObject(s_settings);
                foreach ((string key, string value) in options.Settings)
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
