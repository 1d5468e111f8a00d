using System.Text;
using Azure.Storage.Blobs;
using Databend.Client;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;

namespace FuncIngest.IntegrationTests.Databend;

/// <summary>
/// The emulator's rules, through the real client. Tests marked emulator-only skip against a
/// real server (DATABEND_TEST_DSN); stage tests need the server to reach Azurite, so they
/// also skip there.
/// </summary>
public sealed class DatabendEmulatorTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tables_insert_select_with_where_order_and_count()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        await using var client = new DatabendClient(target.Dsn);
        string t = Name("t");
        await client.ExecuteAsync($"CREATE TABLE {t} (id BIGINT NOT NULL, name STRING, v VARIANT)", Ct);
        await client.ExecuteAsync($"CREATE TABLE IF NOT EXISTS {t} (id BIGINT)", Ct);

        DatabendResult insert = await client.ExecuteAsync($"INSERT INTO {t} VALUES (3, 'c', '{{\"a\":1}}'), (1, 'it''s', NULL), (2, NULL, '[1]')", Ct);
        DatabendResult rows = await client.ExecuteAsync($"SELECT id, name FROM {t} WHERE id >= 2 ORDER BY id DESC", Ct);
        DatabendResult count = await client.ExecuteAsync($"SELECT COUNT(*) FROM {t} WHERE id IN (1, 3)", Ct);
        DatabendResult quoted = await client.ExecuteAsync($"SELECT name FROM {t} WHERE id = 1", Ct);

        Assert.Equal(3, insert.AffectedRows);
        Assert.Equal(["3", "2"], rows.Rows.Select(r => r.GetString(0)));
        Assert.True(rows.Rows[1].IsNull(1));
        Assert.Equal(2, count.Rows[0].GetInt64(0));
        Assert.Equal("it's", quoted.Rows[0][0]);
        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync($"CREATE TABLE {t} (id BIGINT)", Ct));
        Assert.Equal(2302, e.ServerCode);
    }

    [Fact]
    public async Task Results_are_paged_and_unknown_sql_fails_with_its_text()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        Assert.SkipWhen(target.Emulator is null, "emulator-only: checks the emulator's refusal of SQL it does not implement");
        await using var client = new DatabendClient(target.Dsn + "&max_rows_per_page=2");
        string t = Name("t");
        await client.ExecuteAsync($"CREATE TABLE {t} (id INT)", Ct);
        await client.ExecuteAsync($"INSERT INTO {t} VALUES (1), (2), (3), (4), (5)", Ct);

        List<long> ids = [];
        await foreach (DatabendRow row in client.QueryAsync($"SELECT id FROM {t} ORDER BY id", Ct))
        {
            ids.Add(row.GetInt64(0));
        }

        Assert.Equal([1L, 2, 3, 4, 5], ids);
        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync($"SELECT id, COUNT(*) FROM {t} GROUP BY id", Ct));
        Assert.Equal(1005, e.ServerCode);
        Assert.Contains("GROUP BY", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transactions_see_their_own_writes_others_see_them_after_commit_and_rollback_discards()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        await using var a = new DatabendClient(target.Dsn);
        await using var b = new DatabendClient(target.Dsn);
        string t = Name("t");
        await a.ExecuteAsync($"CREATE TABLE {t} (id INT)", Ct);

        DatabendTransaction tx = await a.BeginTransactionAsync(Ct);
        await a.ExecuteAsync($"INSERT INTO {t} VALUES (1)", Ct);
        Assert.Equal(1, await CountAsync(a, t));
        Assert.Equal(0, await CountAsync(b, t));
        await tx.CommitAsync(Ct);
        Assert.Equal(1, await CountAsync(b, t));

        DatabendTransaction rolledBack = await a.BeginTransactionAsync(Ct);
        await a.ExecuteAsync($"INSERT INTO {t} VALUES (2)", Ct);
        await rolledBack.RollbackAsync(Ct);
        Assert.Equal(1, await CountAsync(b, t));
    }

    [Fact]
    public async Task Commit_after_a_failed_statement_reports_success_and_commits_nothing()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        await using var client = new DatabendClient(target.Dsn);
        string t = Name("t");
        await client.ExecuteAsync($"CREATE TABLE {t} (id INT)", Ct);

        await client.ExecuteAsync("BEGIN", Ct);
        await client.ExecuteAsync($"INSERT INTO {t} VALUES (1)", Ct);
        await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT * FROM no_such_table_x", Ct));
        Assert.Equal(DatabendTransactionState.Fail, client.TransactionState);
        await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT 1", Ct));

        // The trap: a raw COMMIT "succeeds".
        await client.ExecuteAsync("COMMIT", Ct);

        Assert.Equal(DatabendTransactionState.AutoCommit, client.TransactionState);
        Assert.Equal(0, await CountAsync(client, t));
    }

    [Fact]
    public async Task Concurrent_transactions_replacing_the_same_rows_conflict_with_4001()
    {
        await using TwoSessions sessions = await TwoSessions.StartAsync("ledger", "topic STRING, p INT, next_offset BIGINT", "('x', 0, 10)");
        (DatabendClient a, DatabendClient b, string t) = (sessions.A, sessions.B, sessions.Table);

        DatabendTransaction ta = await a.BeginTransactionAsync(Ct);
        DatabendTransaction tb = await b.BeginTransactionAsync(Ct);
        await a.ExecuteAsync($"REPLACE INTO {t} ON (topic, p) VALUES ('x', 0, 20)", Ct);
        await b.ExecuteAsync($"REPLACE INTO {t} ON (topic, p) VALUES ('x', 0, 30)", Ct);
        await ta.CommitAsync(Ct);
        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => tb.CommitAsync(Ct));

        Assert.Equal(4001, e.ServerCode);
        Assert.True(e.IsTransient);
        DatabendResult ledger = await a.ExecuteAsync($"SELECT next_offset FROM {t} WHERE topic = 'x' AND p = 0", Ct);
        Assert.Equal("20", Assert.Single(ledger.Rows)[0]);
    }

    // Databend's commit rule (src/query/storages/fuse/src/retry/commit.rs, retry/diff.rs,
    // storages/common/session/src/transaction.rs): a table's base is fixed by the transaction's
    // first write, COMMIT merges onto the latest snapshot and fails only when a segment the
    // transaction rewrote is gone. These run against a real server too (DATABEND_TEST_DSN).
    [Fact]
    public async Task Two_updates_of_one_existing_row_from_the_same_base_fail_the_second_commit()
    {
        await using TwoSessions sessions = await TwoSessions.StartAsync("ledger", "topic STRING, p INT, next_offset BIGINT", "('x', 0, 10)");
        (DatabendClient a, DatabendClient b, string t) = (sessions.A, sessions.B, sessions.Table);

        DatabendTransaction ta = await a.BeginTransactionAsync(Ct);
        DatabendTransaction tb = await b.BeginTransactionAsync(Ct);
        DatabendResult ua = await a.ExecuteAsync($"UPDATE {t} SET next_offset = 20 WHERE topic = 'x' AND p = 0 AND next_offset = 10", Ct);
        DatabendResult ub = await b.ExecuteAsync($"UPDATE {t} SET next_offset = 30 WHERE topic = 'x' AND p = 0 AND next_offset = 10", Ct);
        await ta.CommitAsync(Ct);
        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => tb.CommitAsync(Ct));

        Assert.Equal((1L, 1L), (ua.RowsUpdated, ub.RowsUpdated));
        Assert.Equal(4001, e.ServerCode);
        Assert.Equal(["20"], (await a.ExecuteAsync($"SELECT next_offset FROM {t}", Ct)).Rows.Select(r => r[0]));
    }

    [Fact]
    public async Task A_commit_between_a_read_and_a_replace_does_not_stop_the_replace()
    {
        await using TwoSessions sessions = await TwoSessions.StartAsync("ledger", "topic STRING, p INT, next_offset BIGINT", "('x', 0, 10)");
        (DatabendClient a, DatabendClient b, string t) = (sessions.A, sessions.B, sessions.Table);

        DatabendTransaction ta = await a.BeginTransactionAsync(Ct);
        DatabendResult seen = await a.ExecuteAsync($"SELECT next_offset FROM {t}", Ct);
        await b.ExecuteAsync($"REPLACE INTO {t} ON (topic, p) VALUES ('x', 0, 20)", Ct);
        DatabendResult seenAgain = await a.ExecuteAsync($"SELECT next_offset FROM {t}", Ct);
        await a.ExecuteAsync($"REPLACE INTO {t} ON (topic, p) VALUES ('x', 0, 11)", Ct);
        await ta.CommitAsync(Ct);

        // Reads are not pinned: A saw B's commit before its first write, and its REPLACE,
        // based on B's snapshot, committed over it.
        Assert.Equal("10", seen.Rows[0][0]);
        Assert.Equal("20", seenAgain.Rows[0][0]);
        Assert.Equal(["11"], (await a.ExecuteAsync($"SELECT next_offset FROM {t}", Ct)).Rows.Select(r => r[0]));
    }

    [Fact]
    public async Task Replacing_an_absent_key_in_two_transactions_commits_both_and_leaves_two_rows()
    {
        await using TwoSessions sessions = await TwoSessions.StartAsync("ledger", "topic STRING, p INT, next_offset BIGINT", null);
        (DatabendClient a, DatabendClient b, string t) = (sessions.A, sessions.B, sessions.Table);

        DatabendTransaction ta = await a.BeginTransactionAsync(Ct);
        DatabendTransaction tb = await b.BeginTransactionAsync(Ct);
        await a.ExecuteAsync($"REPLACE INTO {t} ON (topic, p) VALUES ('x', 0, 20)", Ct);
        await b.ExecuteAsync($"REPLACE INTO {t} ON (topic, p) VALUES ('x', 0, 30)", Ct);
        await ta.CommitAsync(Ct);
        await tb.CommitAsync(Ct);

        Assert.Equal(["20", "30"], (await a.ExecuteAsync($"SELECT next_offset FROM {t} ORDER BY next_offset", Ct)).Rows.Select(r => r[0]));
    }

    [Fact]
    public async Task Appends_of_two_transactions_merge_and_a_read_after_a_write_stays_on_the_base()
    {
        await using TwoSessions sessions = await TwoSessions.StartAsync("t", "id INT", "(1)");
        (DatabendClient a, DatabendClient b, string t) = (sessions.A, sessions.B, sessions.Table);

        DatabendTransaction ta = await a.BeginTransactionAsync(Ct);
        DatabendTransaction tb = await b.BeginTransactionAsync(Ct);
        await a.ExecuteAsync($"INSERT INTO {t} VALUES (2)", Ct);
        await b.ExecuteAsync($"INSERT INTO {t} VALUES (3)", Ct);
        await tb.CommitAsync(Ct);
        DatabendResult inA = await a.ExecuteAsync($"SELECT COUNT(*) FROM {t}", Ct);
        await ta.CommitAsync(Ct);

        Assert.Equal(2, inA.Rows[0].GetInt64(0));
        Assert.Equal(3, await CountAsync(a, t));
    }

    [Fact]
    public async Task Remove_removes_every_file_whose_name_starts_with_the_path()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        Assert.SkipWhen(target.Emulator is null, "needs a Databend that can reach this test's Azurite; run against the emulator");
        (BlobContainerClient container, string stage, DatabendClient client) = await StageAsync(target);
        await using (client)
        {
            foreach (string name in new[] { "d/a.ndjson", "d/a.ndjson.meta", "d/ab.ndjson", "d/b.ndjson" })
            {
                await container.GetBlobClient(name).UploadAsync(BinaryData.FromString("{}\n"), Ct);
            }

            await client.ExecuteAsync($"REMOVE @{stage}/d/a", Ct);

            // A string prefix, not a file name or a folder (interpreter_user_stage_remove.rs).
            Assert.Equal(["d/b.ndjson"], (await client.ExecuteAsync($"LIST @{stage}/d/", Ct)).Rows.Select(r => r[0]));
        }
    }

    [Fact]
    public async Task A_quoted_stage_name_is_a_syntax_error_and_a_plain_one_works()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        Assert.SkipWhen(target.Emulator is null, "needs a Databend that can reach this test's Azurite; run against the emulator");
        (_, string stage, DatabendClient client) = await StageAsync(target);
        await using (client)
        {
            DatabendException create = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync($"CREATE STAGE IF NOT EXISTS `{stage}_q` URL = 'azblob://x/'", Ct));
            DatabendException list = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync($"LIST @`{stage}`", Ct));
            DatabendException drop = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync($"DROP STAGE IF EXISTS \"{stage}\"", Ct));

            Assert.All([create, list, drop], e => Assert.Equal(1005, e.ServerCode));
            Assert.Empty((await client.ExecuteAsync($"LIST @{stage}/nothing/", Ct)).Rows);
        }
    }

    [Fact]
    public async Task Copy_loads_ndjson_from_the_azurite_stage_matching_columns_by_name_and_keeps_load_history()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        Assert.SkipWhen(target.Emulator is null, "needs a Databend that can reach this test's Azurite; run against the emulator");
        (BlobContainerClient container, string stage, DatabendClient client) = await StageAsync(target);
        await using (client)
        {
            string t = Name("t");
            await client.ExecuteAsync($"CREATE TABLE {t} (koffset BIGINT, raw_data VARIANT, note STRING NULL)", Ct);
            await UploadZstdAsync(container, "in/a.ndjson.zst", """{"raw_data":{"x":1},"koffset":1,"extra":true}""" + "\n" + """{"koffset":2,"raw_data":[2]}""" + "\n");
            string copy = $"COPY INTO {t} FROM @{stage}/in FILES = ('a.ndjson.zst') FILE_FORMAT = (TYPE = NDJSON COMPRESSION = ZSTD MISSING_FIELD_AS = NULL)";

            IReadOnlyList<CopyFileResult> first = CopyFileResult.FromResult(await client.ExecuteAsync(copy, Ct));
            IReadOnlyList<CopyFileResult> second = CopyFileResult.FromResult(await client.ExecuteAsync(copy, Ct));

            Assert.Equal(new CopyFileResult("a.ndjson.zst", 2, 0, null, null), Assert.Single(first));
            Assert.Empty(second);
            Assert.Equal(2, await CountAsync(client, t));
            Assert.Equal("1|{\"x\":1}|<null>", string.Join('|', target.Emulator!.CommittedRows(t)[0].Select(v => v ?? "<null>")));

            IReadOnlyList<CopyFileResult> forced = CopyFileResult.FromResult(await client.ExecuteAsync(copy + " FORCE = TRUE", Ct));
            Assert.Equal(2, Assert.Single(forced).RowsLoaded);
            target.Emulator.Clock.Advance(TimeSpan.FromHours(25));
            Assert.Single(CopyFileResult.FromResult(await client.ExecuteAsync(copy, Ct)));
            Assert.Equal(6, await CountAsync(client, t));
        }
    }

    [Fact]
    public async Task Copy_errors_abort_by_default_and_are_counted_with_on_error_continue()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        Assert.SkipWhen(target.Emulator is null, "needs a Databend that can reach this test's Azurite; run against the emulator");
        (BlobContainerClient container, string stage, DatabendClient client) = await StageAsync(target);
        await using (client)
        {
            string t = Name("t");
            await client.ExecuteAsync($"CREATE TABLE {t} (koffset BIGINT NOT NULL)", Ct);
            await container.GetBlobClient("b.ndjson").UploadAsync(BinaryData.FromString("{\"koffset\":1}\n{\"koffset\":\"x\"}\nnot json\n{\"koffset\":4}\n"), Ct);

            DatabendException abort = await Assert.ThrowsAsync<DatabendException>(() =>
                client.ExecuteAsync($"COPY INTO {t} FROM @{stage} FILES = ('b.ndjson') FILE_FORMAT = (TYPE = NDJSON COMPRESSION = NONE)", Ct));
            IReadOnlyList<CopyFileResult> cont = CopyFileResult.FromResult(await client.ExecuteAsync(
                $"COPY INTO {t} FROM @{stage} FILES = ('b.ndjson') FILE_FORMAT = (TYPE = NDJSON COMPRESSION = NONE) ON_ERROR = CONTINUE PURGE = TRUE", Ct));

            // The detail counts lines from 0 (databend src/common/storage/src/copy.rs, to_error_code),
            // First_error_line from 1 (interpreter_copy_into_table.rs); the location is in the detail.
            Assert.Equal(1046, abort.ServerCode);
            Assert.Contains("at file 'b.ndjson', line 1", abort.Detail, StringComparison.Ordinal);
            CopyFileResult file = Assert.Single(cont);
            Assert.Equal((2L, 2L, 2L), (file.RowsLoaded, file.ErrorsSeen, file.FirstErrorLine!.Value));
            Assert.False((await container.GetBlobClient("b.ndjson").ExistsAsync(Ct)).Value);
        }
    }

    [Fact]
    public async Task Copy_reads_ndjson_lines_by_databends_json_rules_and_names_the_refused_line()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        Assert.SkipWhen(target.Emulator is null, "needs a Databend that can reach this test's Azurite; run against the emulator");
        (BlobContainerClient container, string stage, DatabendClient client) = await StageAsync(target);
        await using (client)
        {
            string t = Name("t");
            await client.ExecuteAsync($"CREATE TABLE {t} (koffset BIGINT NOT NULL, raw_data VARIANT)", Ct);
            string deep = new string('[', 127) + new string(']', 127);
            string[] lines =
            [
                "{\"koffset\":0,\"raw_data\":{\"a\":1}}",
                " \t ",
                "{\"koffset\":2,\"raw_data\":\"cut \\ud83d\"}",
                "{\"koffset\":3,\"raw_data\":{\"a\":1,\"a\":2}}",
                "{\"koffset\":4,\"raw_data\":[1e400,1e-400]}",
                "{\"koffset\":5,\"raw_data\":340282366920938463463374607431768211456}",
                "{\"koffset\":6,\"raw_data\":" + deep + "}",
                "{\"koffset\":7,\"raw_data\":" + deep[1..^1] + "}",
            ];
            await container.GetBlobClient("j/x.ndjson").UploadAsync(BinaryData.FromString(string.Join("\n", lines) + "\n"), Ct);

            DatabendException abort = await Assert.ThrowsAsync<DatabendException>(() =>
                client.ExecuteAsync($"COPY INTO {t} FROM @{stage}/j/ FILES = ('x.ndjson') FILE_FORMAT = (TYPE = NDJSON COMPRESSION = NONE)", Ct));
            IReadOnlyList<CopyFileResult> cont = CopyFileResult.FromResult(await client.ExecuteAsync(
                $"COPY INTO {t} FROM @{stage}/j/ FILES = ('x.ndjson') FILE_FORMAT = (TYPE = NDJSON COMPRESSION = NONE) ON_ERROR = CONTINUE", Ct));
            DatabendResult rows = await client.ExecuteAsync($"SELECT koffset, raw_data FROM {t} ORDER BY koffset", Ct);

            // The lone surrogate (3rd line) fails the file; the detail counts rows from 0, First_error_line from 1.
            Assert.Equal(1046, abort.ServerCode);
            Assert.Equal("at file 'j/x.ndjson', line 2", abort.Detail);
            CopyFileResult file = Assert.Single(cont);
            Assert.Equal((5L, 2L, 3L), (file.RowsLoaded, file.ErrorsSeen, file.FirstErrorLine!.Value));

            // Loaded lines hold what Databend stores: last duplicate, NULL past f64, 0 below it, a rounded wide integer.
            string[] stored = [.. rows.Rows.Select(r => $"{r.GetInt64(0)}={r.GetString(1)}")];
            Assert.Equal(["0={\"a\":1}", "3={\"a\":2}", "4=[null,0]", "5=3.402823669209385E+38", "7=" + deep[1..^1]], stored);
        }
    }

    [Fact]
    public async Task Copy_inside_a_rolled_back_transaction_loads_nothing_and_records_no_history()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        Assert.SkipWhen(target.Emulator is null, "needs a Databend that can reach this test's Azurite; run against the emulator");
        (BlobContainerClient container, string stage, DatabendClient client) = await StageAsync(target);
        await using (client)
        {
            string t = Name("t");
            await client.ExecuteAsync($"CREATE TABLE {t} (koffset BIGINT)", Ct);
            await container.GetBlobClient("c.ndjson").UploadAsync(BinaryData.FromString("{\"koffset\":1}\n"), Ct);
            string copy = $"COPY INTO {t} FROM @{stage} FILES = ('c.ndjson') FILE_FORMAT = (TYPE = NDJSON COMPRESSION = NONE)";

            DatabendTransaction tx = await client.BeginTransactionAsync(Ct);
            await client.ExecuteAsync(copy, Ct);
            await tx.RollbackAsync(Ct);
            Assert.Equal(0, await CountAsync(client, t));

            Assert.Single(CopyFileResult.FromResult(await client.ExecuteAsync(copy, Ct)));
            Assert.Equal(1, await CountAsync(client, t));
        }
    }

    [Fact]
    public async Task A_repeated_query_id_is_answered_without_running_again_after_a_lost_reply()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        Assert.SkipWhen(target.Emulator is null, "emulator-only: uses fault injection");
        await using var client = new DatabendClient(target.Dsn);
        string t = Name("t");
        await client.ExecuteAsync($"CREATE TABLE {t} (id INT)", Ct);
        target.Emulator!.InjectFault(new DatabendFault($"INSERT INTO {t}", DatabendFaultKind.DropAfterExecute));

        DatabendResult insert = await client.ExecuteAsync($"INSERT INTO {t} VALUES (1)", Ct);

        Assert.Equal(1, insert.AffectedRows);
        Assert.Equal(1, await CountAsync(client, t));
        Assert.Single(target.Emulator.ExecutedStatements, s => s.StartsWith($"INSERT INTO {t}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Injected_faults_fail_with_a_code_return_503_and_drop_before_executing()
    {
        await using DatabendTarget target = await DatabendTarget.StartAsync();
        Assert.SkipWhen(target.Emulator is null, "emulator-only: uses fault injection");
        await using var client = new DatabendClient(target.Dsn + "&max_retries=3");
        string t = Name("t");
        await client.ExecuteAsync($"CREATE TABLE {t} (id INT)", Ct);
        target.Emulator!.InjectFault(new DatabendFault("VALUES \\(1\\)", DatabendFaultKind.FailWithCode) { Code = 4001, Message = "injected conflict" });
        target.Emulator.InjectFault(new DatabendFault("VALUES \\(2\\)", DatabendFaultKind.ServiceUnavailable) { Times = 2 });
        target.Emulator.InjectFault(new DatabendFault("VALUES \\(3\\)", DatabendFaultKind.DropBeforeExecute));

        DatabendException conflict = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync($"INSERT INTO {t} VALUES (1)", Ct));
        await client.ExecuteAsync($"INSERT INTO {t} VALUES (2)", Ct);
        await client.ExecuteAsync($"INSERT INTO {t} VALUES (3)", Ct);

        Assert.Equal(4001, conflict.ServerCode);
        Assert.Equal(["2", "3"], target.Emulator.CommittedRows(t).Select(r => r[0]));
    }

    private async Task<(BlobContainerClient Container, string Stage, DatabendClient Client)> StageAsync(DatabendTarget target)
    {
        BlobContainerClient container = await azurite.CreateContainerAsync("dbstage", Ct);
        var client = new DatabendClient(target.Dsn);
        string stage = Name("s");
        await client.ExecuteAsync(
            $"CREATE STAGE {stage} URL = 'azblob://{container.Name}/' CONNECTION = (ENDPOINT_URL = '{azurite.BlobEndpoint}' ACCOUNT_NAME = '{AzuriteFixture.AccountName}' ACCOUNT_KEY = '{AzuriteFixture.AccountKey}')", Ct);
        return (container, stage, client);
    }

    private static async Task UploadZstdAsync(BlobContainerClient container, string path, string text)
    {
        using var compressor = new ZstdSharp.Compressor();
        await container.GetBlobClient(path).UploadAsync(BinaryData.FromBytes(compressor.Wrap(Encoding.UTF8.GetBytes(text)).ToArray()), Ct);
    }

    private static async Task<long> CountAsync(DatabendClient client, string table) =>
        (await client.ExecuteAsync($"SELECT COUNT(*) FROM {table}", Ct)).Rows[0].GetInt64(0);

    /// <summary>Two sessions on one server and a fresh table, for the commit-rule tests.</summary>
    private sealed class TwoSessions : IAsyncDisposable
    {
        private TwoSessions(DatabendTarget target, string table)
        {
            Target = target;
            Table = table;
            A = new DatabendClient(target.Dsn);
            B = new DatabendClient(target.Dsn);
        }

        public DatabendTarget Target { get; }

        public DatabendClient A { get; }

        public DatabendClient B { get; }

        public string Table { get; }

        public static async Task<TwoSessions> StartAsync(string prefix, string columns, string? seedValues)
        {
            var sessions = new TwoSessions(await DatabendTarget.StartAsync(), Name(prefix));
            await sessions.A.ExecuteAsync($"CREATE TABLE {sessions.Table} ({columns})", Ct);
            if (seedValues is not null)
            {
                await sessions.A.ExecuteAsync($"INSERT INTO {sessions.Table} VALUES {seedValues}", Ct);
            }

            return sessions;
        }

        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
            await Target.DisposeAsync();
        }
    }

    private static string Name(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}
