using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FuncIngest.TestSupport.Databend;
using Microsoft.Extensions.DependencyInjection;

namespace Databend.Client.Tests;

/// <summary>The client against a fake server that answers with Databend-shaped responses.</summary>
public sealed class DatabendClientProtocolTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Follows_next_uri_through_every_page_and_the_final_uri_with_sticky_node()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        (string, string)[] schema = [("n", "Int64"), ("s", "Nullable(String)")];
        server.ReplyJson(DatabendResponses.Page("q1", "Running", schema, [["1", "a"], ["2", null]], nextUri: "/v1/query/q1/page/1", nodeId: "n7"));
        server.ReplyJson(DatabendResponses.Page("q1", "Succeeded", schema, [["3", "c"]], nextUri: "/v1/query/q1/page/2", nodeId: "n7"));
        server.ReplyJson(DatabendResponses.Page("q1", "Succeeded", schema, [], nextUri: "final", nodeId: "n7"));
        server.ReplyJson(DatabendResponses.Final("q1", nodeId: "n7"));
        await using var client = new DatabendClient(server.Dsn());

        List<DatabendRow> rows = [];
        await foreach (DatabendRow row in client.QueryAsync("SELECT n, s FROM t", Ct))
        {
            rows.Add(row);
        }

        Assert.Equal([1L, 2L, 3L], rows.Select(r => r.GetInt64(0)));
        Assert.True(rows[1].IsNull(1));
        Assert.Equal("c", rows[2]["s"]);
        IReadOnlyList<RecordedRequest> requests = server.Requests;
        Assert.Equal(["POST /v1/query", "GET /v1/query/q1/page/1", "GET /v1/query/q1/page/2", "GET /v1/query/q1/final"],
            requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
        Assert.All(requests.Skip(1), r => Assert.Equal("n7", r.Header("X-DATABEND-STICKY-NODE")));
        Assert.Null(requests[0].Header("X-DATABEND-STICKY-NODE"));
        Assert.Equal("Basic " + Convert.ToBase64String("root:s3cret"u8.ToArray()), requests[0].Header("Authorization"));
    }

    [Fact]
    public async Task Echoes_the_latest_session_verbatim_including_opaque_parts()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        JsonObject session = DatabendResponses.Session(database: "sales", internalState: "{\"variables\":[[\"x\",\"1\"]]}");
        session["settings"] = new JsonObject { ["timezone"] = "Asia/Tokyo" };
        session["future_field"] = new JsonArray(1, 2, 3);
        server.ReplyJson(DatabendResponses.Page("q1", session: session));
        server.ReplyJson(DatabendResponses.Final("q1"));
        server.ReplyJson(DatabendResponses.Page("q2"));
        server.ReplyJson(DatabendResponses.Final("q2"));
        await using var client = new DatabendClient(server.Dsn("timezone=UTC"));

        await client.ExecuteAsync("USE sales", Ct);
        await client.ExecuteAsync("SELECT 1", Ct);

        JsonNode first = JsonNode.Parse(server.Requests[0].Body)!;
        Assert.Equal("USE sales", (string?)first["sql"]);
        Assert.Equal("UTC", (string?)first["session"]!["settings"]!["timezone"]);
        Assert.Equal("default", (string?)first["session"]!["database"]);
        Assert.Equal(10, (int?)first["pagination"]!["wait_time_secs"]);
        JsonNode second = JsonNode.Parse(server.Requests[2].Body)!;
        Assert.True(JsonNode.DeepEquals(session, second["session"]), second["session"]!.ToJsonString());
    }

    [Fact]
    public async Task A_failed_state_with_error_throws_with_code_message_and_query_id()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson(DatabendResponses.Page("q-err", "Failed", nextUri: "final", error: (1025, "Unknown table 'nope'", null)));
        await using var client = new DatabendClient(server.Dsn());

        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT * FROM nope", Ct));

        Assert.Equal(1025, e.ServerCode);
        Assert.Equal("q-err", e.QueryId);
        Assert.Contains("Unknown table 'nope'", e.Message, StringComparison.Ordinal);
        Assert.False(e.IsTransient);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task An_http_error_body_is_read_and_401_is_permanent_without_retry()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson(DatabendResponses.ErrorBody(2104, "Authenticate failure: wrong password"), 401);
        await using var client = new DatabendClient(server.Dsn());

        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT 1", Ct));

        Assert.Equal(HttpStatusCode.Unauthorized, e.HttpStatus);
        Assert.Equal(2104, e.ServerCode);
        Assert.False(e.IsTransient);
        Assert.DoesNotContain("s3cret", e.ToString(), StringComparison.Ordinal);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_503_and_a_dropped_connection_are_retried_under_the_same_query_id()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.Reply(new FakeReply { Status = 503, Body = "overloaded", ContentType = "text/plain" });
        server.Reply(FakeReply.Drop());
        server.ReplyJson(DatabendResponses.Page("q1", writeRows: 7));
        server.ReplyJson(DatabendResponses.Final("q1"));
        server.ReplyJson(DatabendResponses.Page("q2"));
        server.ReplyJson(DatabendResponses.Final("q2"));
        await using var client = new DatabendClient(server.Dsn());

        DatabendResult result = await client.ExecuteAsync("INSERT INTO t VALUES (1)", Ct);
        await client.ExecuteAsync("SELECT 1", Ct);

        Assert.Equal(7, result.AffectedRows);
        string?[] ids = [.. server.Requests.Where(r => r.Method == "POST").Select(r => r.Header("X-DATABEND-QUERY-ID"))];
        Assert.Equal(4, ids.Length);
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id!));
        Assert.Equal(ids[0], ids[1]);
        Assert.Equal(ids[0], ids[2]);
        Assert.NotEqual(ids[0], ids[3]);
    }

    [Theory]
    [InlineData("BEGIN", "AutoCommit")]
    [InlineData("COMMIT", "Active")]
    [InlineData("COPY INTO t FROM @s", "Active")]
    public async Task A_resent_transaction_statement_answered_without_a_session_has_an_unknown_outcome(string sql, string stateBefore)
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        if (stateBefore == "Active")
        {
            server.ReplyJson(DatabendResponses.Page("b", session: DatabendResponses.Session("Active", needSticky: true)));
            server.ReplyJson(DatabendResponses.Final("b"));
        }

        // The first reply is lost; the resent start is answered from the first run, whose
        // session equals what that query already sent, so it comes back null (http_query.rs).
        server.Reply(FakeReply.Drop());
        server.ReplyJson(DatabendResponses.Page("q", withSession: false));
        server.ReplyJson(DatabendResponses.Final("q"));
        await using var client = new DatabendClient(server.Dsn());
        if (stateBefore == "Active")
        {
            await client.ExecuteAsync("BEGIN", Ct);
        }

        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync(sql, Ct));

        Assert.True(e.IsTransient);
        Assert.Contains("unknown", e.Message, StringComparison.Ordinal);
        Assert.Equal(DatabendTransactionState.Unknown, client.TransactionState);
    }

    [Fact]
    public async Task A_resent_autocommit_statement_answered_without_a_session_is_its_result()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.Reply(FakeReply.Drop());
        server.ReplyJson(DatabendResponses.Page("q", writeRows: 3, withSession: false));
        server.ReplyJson(DatabendResponses.Final("q"));
        await using var client = new DatabendClient(server.Dsn());

        DatabendResult result = await client.ExecuteAsync("INSERT INTO t VALUES (1), (2), (3)", Ct);

        Assert.Equal(3, result.AffectedRows);
        Assert.Equal(DatabendTransactionState.AutoCommit, client.TransactionState);
    }

    [Fact]
    public async Task An_empty_node_id_never_becomes_the_sticky_node()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson(DatabendResponses.Page("b", session: DatabendResponses.Session("Active", needSticky: true), nodeId: "node-7"));
        server.ReplyJson(DatabendResponses.Final("b", nodeId: "node-7"));
        server.ReplyJson(DatabendResponses.Page("f", "Failed", error: (1005, "syntax", null), session: DatabendResponses.Session("Fail", needSticky: true), nodeId: string.Empty));
        server.ReplyJson(DatabendResponses.Page("r", session: DatabendResponses.Session("AutoCommit")));
        server.ReplyJson(DatabendResponses.Final("r"));
        await using var client = new DatabendClient(server.Dsn());

        await client.ExecuteAsync("BEGIN", Ct);
        await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELEC 1", Ct));
        await client.ExecuteAsync("ROLLBACK", Ct);

        // The ROLLBACK still goes to the node holding the transaction, not to "".
        Assert.Equal("node-7", server.Requests.Last(r => r.Method == "POST").Header("X-DATABEND-STICKY-NODE"));
    }

    [Fact]
    public async Task Update_and_delete_report_the_rows_they_matched_not_the_rows_they_rewrote()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        // UPDATE answers one row "number of rows updated" (planner/plans/mutation.rs) while its
        // write progress counts the whole rewritten block.
        server.ReplyJson(DatabendResponses.Page("u", schema: [("number of rows updated", "UInt64")], data: [["2"]], writeRows: 1000));
        server.ReplyJson(DatabendResponses.Final("u"));
        server.ReplyJson(DatabendResponses.Page("i", writeRows: 5));
        server.ReplyJson(DatabendResponses.Final("i"));
        await using var client = new DatabendClient(server.Dsn());

        DatabendResult update = await client.ExecuteAsync("UPDATE t SET a = 1 WHERE b = 2", Ct);
        DatabendResult insert = await client.ExecuteAsync("INSERT INTO t VALUES (1)", Ct);

        Assert.Equal((2L, null, 1000L), (update.RowsUpdated, update.RowsDeleted, update.AffectedRows));
        Assert.Null(insert.RowsUpdated);
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_final_error_is_transient()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        for (int i = 0; i < 3; i++)
        {
            server.Reply(new FakeReply { Status = 503, Body = "down", ContentType = "text/plain" });
        }

        await using var client = new DatabendClient(server.Dsn("max_retries=2"));

        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT 1", Ct));

        Assert.True(e.IsTransient);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.HttpStatus);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task A_request_timeout_is_transient_and_retried()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.Reply(new FakeReply { Delay = TimeSpan.FromSeconds(5), Body = DatabendResponses.Page("late") });
        server.ReplyJson(DatabendResponses.Page("q1"));
        server.ReplyJson(DatabendResponses.Final("q1"));
        await using var client = new DatabendClient(server.Dsn("timeout=300ms"));

        DatabendResult result = await client.ExecuteAsync("SELECT 1", Ct);

        Assert.Equal("q1", result.QueryId);
        Assert.Equal(2, server.Requests.Count(r => r.Method == "POST"));
    }

    [Fact]
    public async Task Cancellation_calls_the_kill_uri_and_is_not_retried()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        server.ReplyJson(DatabendResponses.Page("slow", "Running", nextUri: "/v1/query/slow", nodeId: "n2"));
        // Cancelled once the poll is in flight, not after a fixed time: on a busy machine the first
        // POST alone took longer than 300 ms, and the client then killed the query by its id.
        server.Reply(_ =>
        {
            cts.CancelAfter(TimeSpan.FromMilliseconds(100));
            return new FakeReply { Delay = TimeSpan.FromSeconds(30), Body = DatabendResponses.Page("slow", "Running", nextUri: "/v1/query/slow") };
        });
        server.Reply(new FakeReply { Body = string.Empty });
        await using var client = new DatabendClient(server.Dsn());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExecuteAsync("SELECT sleep(100)", cts.Token));

        Assert.Equal(["POST /v1/query", "GET /v1/query/slow", "POST /v1/query/slow/kill"], server.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
        Assert.Equal("n2", server.Requests[2].Header("X-DATABEND-STICKY-NODE"));
    }

    [Fact]
    public async Task Transaction_routes_to_its_node_and_commits_when_active()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson(DatabendResponses.Page("b", session: DatabendResponses.Session("Active", needSticky: true), nodeId: "n3"));
        server.ReplyJson(DatabendResponses.Final("b", "n3"));
        server.ReplyJson(DatabendResponses.Page("i", session: DatabendResponses.Session("Active", needSticky: true), nodeId: "n3", writeRows: 1));
        server.ReplyJson(DatabendResponses.Final("i", "n3"));
        server.ReplyJson(DatabendResponses.Page("c", session: DatabendResponses.Session("AutoCommit"), nodeId: "n3"));
        server.ReplyJson(DatabendResponses.Final("c", "n3"));
        await using var client = new DatabendClient(server.Dsn());

        await using (DatabendTransaction tx = await client.BeginTransactionAsync(Ct))
        {
            Assert.Equal(DatabendTransactionState.Active, tx.State);
            await client.ExecuteAsync("INSERT INTO t VALUES (1)", Ct);
            await tx.CommitAsync(Ct);
        }

        RecordedRequest[] posts = [.. server.Requests.Where(r => r.Method == "POST")];
        Assert.Equal(["BEGIN", "INSERT INTO t VALUES (1)", "COMMIT"], posts.Select(p => (string?)JsonNode.Parse(p.Body)!["sql"]));
        Assert.Null(posts[0].Header("X-DATABEND-STICKY-NODE"));
        Assert.Equal("n3", posts[1].Header("X-DATABEND-STICKY-NODE"));
        Assert.Equal("n3", posts[2].Header("X-DATABEND-STICKY-NODE"));
        Assert.Equal(DatabendTransactionState.AutoCommit, client.TransactionState);
    }

    [Fact]
    public async Task Commit_in_the_fail_state_rolls_back_and_throws_instead_of_committing_nothing()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson(DatabendResponses.Page("b", session: DatabendResponses.Session("Active", needSticky: true)));
        server.ReplyJson(DatabendResponses.Final("b"));
        // A failed statement inside the transaction: the session comes back in Fail
        // (tests/suites/1_stateful/09_http_handler test_txn_fail).
        server.ReplyJson(DatabendResponses.Page("x", "Failed", error: (1006, "divided by zero", null), session: DatabendResponses.Session("Fail")));
        server.ReplyJson(DatabendResponses.Page("r", session: DatabendResponses.Session("AutoCommit")));
        server.ReplyJson(DatabendResponses.Final("r"));
        await using var client = new DatabendClient(server.Dsn());

        DatabendTransaction tx = await client.BeginTransactionAsync(Ct);
        DatabendException failed = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("SELECT 1/0", Ct));
        Assert.Equal(1006, failed.ServerCode);
        Assert.Equal(DatabendTransactionState.Fail, client.TransactionState);

        DatabendException commit = await Assert.ThrowsAsync<DatabendException>(() => tx.CommitAsync(Ct));

        Assert.Contains("nothing was committed", commit.Message, StringComparison.Ordinal);
        string[] sqls = [.. server.Requests.Where(r => r.Method == "POST").Select(p => (string)JsonNode.Parse(p.Body)!["sql"]!)];
        Assert.Equal(["BEGIN", "SELECT 1/0", "ROLLBACK"], sqls);
        Assert.Equal(DatabendTransactionState.AutoCommit, client.TransactionState);
    }

    [Fact]
    public async Task Conflicts_are_transient_and_flagged()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson(DatabendResponses.Page("c", "Failed", error: (4001, "UnresolvableConflict: table changed", null)));
        await using var client = new DatabendClient(server.Dsn());

        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => client.ExecuteAsync("COMMIT", Ct));

        Assert.True(e.IsTransient);
        Assert.True(e.IsConflict);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Typed_values_parse_from_databend_strings()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        (string, string)[] schema = [("i", "Int32"), ("d", "Decimal(10, 2)"), ("ts", "Timestamp"), ("v", "Variant"), ("b", "Boolean"), ("f", "Float64")];
        server.ReplyJson(DatabendResponses.Page("q", schema: schema, data: [["-5", "12.34", "2024-03-01 10:20:30.123456", "{\"a\":[1,2]}", "true", "inf"]]));
        server.ReplyJson(DatabendResponses.Final("q"));
        await using var client = new DatabendClient(server.Dsn());

        DatabendRow row = Assert.Single((await client.ExecuteAsync("SELECT ...", Ct)).Rows);

        Assert.Equal(-5, row.GetInt32(0));
        Assert.Equal(12.34m, row.GetDecimal(1));
        Assert.Equal(new DateTime(2024, 3, 1, 10, 20, 30, DateTimeKind.Utc).AddTicks(1234560), row.GetDateTime(2));
        using JsonDocument variant = row.GetJson(3);
        Assert.Equal(2, variant.RootElement.GetProperty("a")[1].GetInt32());
        Assert.True(row.GetBoolean(4));
        Assert.Equal(double.PositiveInfinity, row.GetDouble(5));
        Assert.Throws<InvalidCastException>(() => row.GetInt64(1));
        Assert.Equal("Decimal(10, 2)", row.Columns[1].Type);
    }

    [Fact]
    public async Task Copy_results_are_parsed_by_column_name()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        (string, string)[] schema = [("File", "String"), ("Rows_loaded", "Int32"), ("Errors_seen", "Int32"), ("First_error", "Nullable(String)"), ("First_error_line", "Nullable(Int32)")];
        server.ReplyJson(DatabendResponses.Page("copy", schema: schema, data: [["a.ndjson", "10", "0", null, null], ["b.ndjson", "8", "2", "bad json", "3"]]));
        server.ReplyJson(DatabendResponses.Final("copy"));
        await using var client = new DatabendClient(server.Dsn());

        IReadOnlyList<CopyFileResult> files = CopyFileResult.FromResult(await client.ExecuteAsync("COPY INTO t FROM @s", Ct));

        Assert.Equal(new CopyFileResult("a.ndjson", 10, 0, null, null), files[0]);
        Assert.Equal(new CopyFileResult("b.ndjson", 8, 2, "bad json", 3), files[1]);
    }

    [Fact]
    public async Task Presigned_upload_puts_the_bytes_with_the_given_headers_and_accepts_any_2xx()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        string url = new Uri(server.BaseAddress, "upload/here?sig=abc").ToString();
        (string, string)[] schema = [("method", "String"), ("headers", "Variant"), ("url", "String")];
        server.ReplyJson(DatabendResponses.Page("p", schema: schema, data: [["PUT", "{\"x-ms-blob-type\":\"BlockBlob\"}", url]]));
        server.ReplyJson(DatabendResponses.Final("p"));
        server.Reply(new FakeReply { Status = 201 });
        await using var client = new DatabendClient(server.Dsn());

        await client.UploadToStageAsync("my_stage", "t/0/file.ndjson", new MemoryStream("{\"a\":1}\n"u8.ToArray()), Ct);

        Assert.Equal("PRESIGN UPLOAD @my_stage/t/0/file.ndjson", (string?)JsonNode.Parse(server.Requests[0].Body)!["sql"]);
        RecordedRequest put = server.Requests[2];
        Assert.Equal("PUT", put.Method);
        Assert.Equal("/upload/here?sig=abc", put.PathAndQuery);
        Assert.Equal("BlockBlob", put.Header("x-ms-blob-type"));
        Assert.Equal("{\"a\":1}\n", put.Body);
        await Assert.ThrowsAsync<ArgumentException>(() => client.UploadToStageAsync("my_stage", "../x", Stream.Null, Ct));
    }

    [Fact]
    public async Task Warehouse_tenant_and_bearer_token_headers_are_sent()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        server.ReplyJson(DatabendResponses.Page("q"));
        server.ReplyJson(DatabendResponses.Final("q"));
        DatabendClientOptions options = DatabendDsn.Parse($"databend://127.0.0.1:{server.BaseAddress.Port}/?sslmode=disable&access_token=tok&warehouse=wh&tenant=te");
        await using var client = new DatabendClient(options);

        await client.ExecuteAsync("SELECT 1", Ct);

        RecordedRequest post = server.Requests[0];
        Assert.Equal("Bearer tok", post.Header("Authorization"));
        Assert.Equal("wh", post.Header("X-DATABEND-WAREHOUSE"));
        Assert.Equal("te", post.Header("X-DATABEND-TENANT"));
    }

    [Fact]
    public async Task Cancellation_before_the_first_answer_kills_by_the_statement_query_id()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        // Cancelled once the POST has arrived, not after a fixed time (a busy machine can take longer to send it).
        server.Reply(_ =>
        {
            cts.CancelAfter(TimeSpan.FromMilliseconds(100));
            return new FakeReply { Delay = TimeSpan.FromSeconds(30), Body = DatabendResponses.Page("never") };
        });
        server.Reply(new FakeReply { Body = string.Empty });
        await using var client = new DatabendClient(server.Dsn());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExecuteAsync("SELECT sleep(100)", cts.Token));

        string queryId = server.Requests[0].Header("X-DATABEND-QUERY-ID")!;
        Assert.Equal(["POST /v1/query", $"POST /v1/query/{queryId}/kill"], server.Requests.Select(r => $"{r.Method} {r.PathAndQuery}"));
    }

    [Fact]
    public async Task Dependency_injection_builds_validated_clients_that_are_separate_sessions()
    {
        await using FakeDatabendServer server = await FakeDatabendServer.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDatabendClient(server.Dsn());
        await using ServiceProvider provider = services.BuildServiceProvider();
        server.ReplyJson(DatabendResponses.Page("q"));
        server.ReplyJson(DatabendResponses.Final("q"));

        DatabendClient first = provider.GetRequiredService<DatabendClient>();
        DatabendClient second = provider.GetRequiredService<DatabendClient>();
        await first.ExecuteAsync("SELECT 1", Ct);

        Assert.NotSame(first, second);
        Assert.Equal("root", first.Options.User);
        Assert.Single(server.Requests, r => r.Method == "POST");

        var bad = new ServiceCollection();
        bad.AddDatabendClient(o => o.Host = "h");
        await using ServiceProvider badProvider = bad.BuildServiceProvider();
        Assert.ThrowsAny<Exception>(() => badProvider.GetRequiredService<DatabendClient>());
    }
}
