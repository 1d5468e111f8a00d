using Databend.Client;
using FuncIngest.Ndjson;
using FuncIngest.Staging;

namespace FuncIngest.Loading;

/// <summary>Creates what loading needs, idempotently: the target table (raw mode), the ledger, and the stage.</summary>
public static class DatabendSetup
{
    /// <summary>The DDL of the raw-mode table: bend-ingest-kafka's six columns.</summary>
    public static string RawTableDdl(string table) =>
        $"CREATE TABLE IF NOT EXISTS {DatabendSql.QuoteIdentifier(table, "The table name")} (uuid STRING, koffset BIGINT, kpartition INT, raw_data VARIANT, record_metadata VARIANT, add_time TIMESTAMP)";

    /// <summary>The DDL of the ledger: one row per table, topic and partition with the next offset to load.</summary>
    public static string LedgerDdl(string ledger) =>
        $"CREATE TABLE IF NOT EXISTS {DatabendSql.QuoteIdentifier(ledger, "The ledger table name")} (target_table STRING, topic STRING, kpartition INT, next_offset BIGINT, updated_at TIMESTAMP)";

    /// <summary>The DDL of the azblob stage over the container's root.</summary>
    public static string StageDdl(string stage, AzureStageConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return $"CREATE STAGE IF NOT EXISTS {StageIdentifier(stage)} "
            + $"URL = {DatabendSql.QuoteString($"azblob://{connection.Container}/")} "
            + $"CONNECTION = (ENDPOINT_URL = {DatabendSql.QuoteString(connection.EndpointUrl)} ACCOUNT_NAME = {DatabendSql.QuoteString(connection.AccountName)} ACCOUNT_KEY = {DatabendSql.QuoteString(connection.AccountKey)})";
    }

    /// <summary>The DDL of an internal stage (files kept in Databend's own storage, reached through PRESIGN).</summary>
    public static string InternalStageDdl(string stage) =>
        $"CREATE STAGE IF NOT EXISTS {StageIdentifier(stage)}";

    /// <summary>
    /// A stage name as SQL: bare. Databend's grammar takes a stage name as a plain identifier
    /// only, so a quoted one is a syntax error (databendlabs/databend: src/query/ast/src/parser/common.rs,
    /// <c>stage_name</c> is <c>#plain_ident</c>). Names are validated as plain identifiers at start.
    /// </summary>
    public static string StageIdentifier(string stage) =>
        DatabendSql.IsValidIdentifier(stage)
            ? stage
            : throw new ArgumentException($"The stage name '{stage}' must be a plain identifier (a letter or _, then letters, digits or _): Databend does not accept quoted stage names.", nameof(stage));

    /// <summary>Creates table (raw mode only; in transform mode the user owns the table), ledger and stage. Safe to run twice.</summary>
    /// <param name="client">The session to run the DDL in.</param>
    /// <param name="staging">The staging options (table and mode).</param>
    /// <param name="loader">The loader options (ledger and stage names).</param>
    /// <param name="connection">The Blob container for an azblob stage, or null for a Databend internal stage (<see cref="DatabendStageStore"/>).</param>
    /// <param name="cancellationToken">Cancels the DDL.</param>
    public static async Task EnsureAsync(DatabendClient client, StagingOptions staging, LoaderOptions loader, AzureStageConnection? connection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(staging);
        ArgumentNullException.ThrowIfNull(loader);
        if (staging.Encoding.Mode == RecordMode.Raw)
        {
            await client.ExecuteAsync(RawTableDdl(staging.Table), cancellationToken).ConfigureAwait(false);
        }

        await client.ExecuteAsync(LedgerDdl(loader.LedgerTable), cancellationToken).ConfigureAwait(false);
        if (connection is not null)
        {
            // The key travels inside the statement; Databend echoes statements in syntax errors,
            // and the client's messages reach logs, CLI output and durable history.
            client.AddSecret(connection.AccountKey);
        }

        await client.ExecuteAsync(connection is null ? InternalStageDdl(loader.StageName) : StageDdl(loader.StageName, connection), cancellationToken).ConfigureAwait(false);
    }
}
