namespace Databend.Client.Tests;

/// <summary>
/// The public API against a real Databend server. Skipped unless DATABEND_TEST_DSN is set,
/// e.g. after <c>docker run -d -p 8000:8000 datafuselabs/databend</c>:
/// <c>DATABEND_TEST_DSN='databend://root:@127.0.0.1:8000/default?sslmode=disable' ./scripts/test.sh</c>.
/// </summary>
public sealed class RealServerTests
{
    private static readonly string? s_dsn = Environment.GetEnvironmentVariable("DATABEND_TEST_DSN");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Streams_a_multi_page_result()
    {
        await using DatabendClient client = Connect("max_rows_per_page=1000");

        long sum = 0, count = 0;
        await foreach (DatabendRow row in client.QueryAsync("SELECT number FROM numbers(25000)", Ct))
        {
            sum += row.GetInt64(0);
            count++;
        }

        Assert.Equal(25000, count);
        Assert.Equal(25000L * 24999 / 2, sum);
    }

    [Fact]
    public async Task Session_settings_persist_between_statements()
    {
        await using DatabendClient client = Connect();

        await client.ExecuteAsync("SET max_threads = 3", Ct);
        DatabendResult result = await client.ExecuteAsync("SELECT value FROM system.settings WHERE name = 'max_threads'", Ct);

        Assert.Equal("3", Assert.Single(result.Rows)[0]);
    }

    [Fact]
    public async Task Unknown_table_is_a_permanent_error_with_a_code()
    {
        await using DatabendClient client = Connect();

        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT * FROM no_such_table_funcingest", Ct));

        Assert.NotNull(e.ServerCode);
        Assert.False(e.IsTransient);
        Assert.NotNull(e.QueryId);
    }

    [Fact]
    public async Task Committed_transaction_is_visible_and_a_failed_one_commits_nothing()
    {
        string table = "dbc_tx_" + Guid.NewGuid().ToString("N")[..12];
        await using DatabendClient client = Connect();
        await client.ExecuteAsync($"CREATE TABLE {table} (a INT)", Ct);
        try
        {
            await using (DatabendTransaction tx = await client.BeginTransactionAsync(Ct))
            {
                await client.ExecuteAsync($"INSERT INTO {table} VALUES (1)", Ct);
                await tx.CommitAsync(Ct);
            }

            DatabendTransaction failing = await client.BeginTransactionAsync(Ct);
            await client.ExecuteAsync($"INSERT INTO {table} VALUES (2)", Ct);
            await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT * FROM no_such_table_funcingest", Ct));
            Assert.Equal(DatabendTransactionState.Fail, client.TransactionState);
            await Assert.ThrowsAsync<DatabendException>(() => failing.CommitAsync(Ct));

            DatabendResult rows = await client.ExecuteAsync($"SELECT a FROM {table} ORDER BY a", Ct);
            Assert.Equal([1], rows.Rows.Select(r => r.GetInt32(0)));
        }
        finally
        {
            await client.ExecuteAsync($"DROP TABLE IF EXISTS {table}", Ct);
        }
    }

    private static DatabendClient Connect(string extra = "")
    {
        Assert.SkipWhen(string.IsNullOrEmpty(s_dsn), "DATABEND_TEST_DSN is not set; set it to a real server's DSN to run these tests (see docs/databend-client.md).");
        string dsn = extra.Length == 0 ? s_dsn! : s_dsn + (s_dsn!.Contains('?', StringComparison.Ordinal) ? "&" : "?") + extra;
        return new DatabendClient(dsn);
    }
}
