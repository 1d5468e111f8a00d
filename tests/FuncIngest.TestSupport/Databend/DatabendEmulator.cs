using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FuncIngest.TestSupport.Databend.Emulator;
using FuncIngest.TestSupport.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FuncIngest.TestSupport.Databend;

/// <summary>
/// A test double of the parts of Databend FuncIngest uses, reached over Databend's HTTP query
/// protocol on 127.0.0.1 (ephemeral port). It is not Databend: it implements a documented
/// subset (see docs/contributing.md, "Databend emulator") and fails loudly on anything else. Integration
/// tests use it unless <c>DATABEND_TEST_DSN</c> names a real server.
/// </summary>
/// <remarks>
/// Protocol facts it follows (databendlabs/databend): response shape and URIs from
/// src/query/service/src/servers/http/v1/http_query_handlers.rs; the client's
/// <c>X-DATABEND-QUERY-ID</c> names the query, and a repeated id is answered from the first
/// run instead of running again; sessions are echoed by the client and carry
/// <c>txn_state</c>; the emulator keeps transactions server-side and finds them through the
/// session's opaque <c>internal</c> field.
/// </remarks>
public sealed class DatabendEmulator : IAsyncDisposable
{
    private const string NodeId = "emulator-node-1";
    private readonly WebApplication _app;
    private readonly EmulatorEngine _engine;
    private readonly ConcurrentDictionary<string, EmulatedSession> _sessions = new();
    private readonly ConcurrentDictionary<string, List<string>> _results = new();
    private readonly ConcurrentQueue<string> _executed = new();
    private readonly List<DatabendFault> _faults = [];

    private DatabendEmulator(WebApplication app, EmulatorEngine engine, EmulatorClock clock, Uri baseAddress)
    {
        _app = app;
        _engine = engine;
        Clock = clock;
        BaseAddress = baseAddress;
    }

    /// <summary>The server's address.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A DSN for the emulator (user root, no TLS).</summary>
    public string Dsn => $"databend://root:@127.0.0.1:{BaseAddress.Port}/default?sslmode=disable&retry_delay=10ms";

    /// <summary>The emulator's clock; advance it to expire COPY's load history.</summary>
    public EmulatorClock Clock { get; }

    /// <summary>How long COPY's load history lasts (Databend default: 24 hours).</summary>
    public TimeSpan LoadHistoryExpiry
    {
        get => _engine.LoadHistoryExpiry;
        set => _engine.LoadHistoryExpiry = value;
    }

    /// <summary>Makes LIST name files relative to the listed folder (not Databend's documented behaviour), to test clients against either.</summary>
    public bool ListNamesRelativeToLocation
    {
        get => _engine.ListNamesRelativeToLocation;
        set => _engine.ListNamesRelativeToLocation = value;
    }

    /// <summary>What <c>SELECT version()</c> answers (default: the Databend version the emulator's rules were read from).</summary>
    public string ServerVersion
    {
        get => _engine.ServerVersion;
        set => _engine.ServerVersion = value;
    }

    /// <summary>Every statement executed, in order (repeated query ids are not executed again).</summary>
    public IReadOnlyList<string> ExecutedStatements => [.. _executed];

    /// <summary>Starts an emulator.</summary>
    /// <param name="internalStorage">Where internal stages keep their files (an Azurite container); null: only external stages.</param>
    public static async Task<DatabendEmulator> StartAsync(Azure.Storage.Blobs.BlobContainerClient? internalStorage = null)
    {
        var clock = new EmulatorClock();
        var engine = new EmulatorEngine(clock) { InternalStorage = internalStorage };
        DatabendEmulator? emulator = null;
        (WebApplication app, Uri address) = await LoopbackKestrel.StartAsync(context => emulator!.HandleAsync(context)).ConfigureAwait(false);
        emulator = new DatabendEmulator(app, engine, clock, address);
        return emulator;
    }

    /// <summary>Adds a fault.</summary>
    public DatabendFault InjectFault(DatabendFault fault)
    {
        lock (_faults)
        {
            _faults.Add(fault);
        }

        return fault;
    }

    /// <summary>The committed rows of a table, values rendered as Databend sends them.</summary>
    public IReadOnlyList<string?[]> CommittedRows(string table) =>
        [.. _engine.CommittedRows(table).Select(r => r.Select(EmulatedColumn.Render).ToArray())];

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _engine.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? string.Empty;
        string[] parts = path.Trim('/').Split('/');
        if (context.Request.Method == "POST" && path.TrimEnd('/') == "/v1/query")
        {
            await StartQueryAsync(context).ConfigureAwait(false);
        }
        else if (parts is ["v1", "query", var id, "page", var page] && _results.TryGetValue(id, out List<string>? pages)
            && int.TryParse(page, CultureInfo.InvariantCulture, out int n) && n < pages.Count)
        {
            await WriteJsonAsync(context, 200, pages[n]).ConfigureAwait(false);
        }
        else if (parts is ["v1", "query", var finalId, "final"])
        {
            await WriteJsonAsync(context, 200, DatabendResponses.Final(finalId, NodeId)).ConfigureAwait(false);
        }
        else if (parts is ["v1", "query", _, "kill"])
        {
            context.Response.StatusCode = 200;
        }
        else
        {
            await WriteJsonAsync(context, 404, DatabendResponses.ErrorBody(404, $"query id not found on {NodeId}: {path}")).ConfigureAwait(false);
        }
    }

    private async Task StartQueryAsync(HttpContext context)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await WriteJsonAsync(context, 400, DatabendResponses.ErrorBody(400, "bad request body: " + e.Message)).ConfigureAwait(false);
            return;
        }

        string sql = (string?)body?["sql"] ?? string.Empty;
        string queryId = context.Request.Headers["X-DATABEND-QUERY-ID"].ToString() is { Length: > 0 } header ? header : Guid.NewGuid().ToString("N");
        if (_results.TryGetValue(queryId, out List<string>? previous))
        {
            // A start with a query id still registered is answered from the first run's page 0
            // ("get retry to start query", http_query_handlers.rs), and its session is null
            // because it equals the one that query already sent (http_query.rs,
            // get_response_page, last_session_conf).
            JsonNode replay = JsonNode.Parse(previous[0])!;
            replay["session"] = null;
            await WriteJsonAsync(context, 200, replay.ToJsonString()).ConfigureAwait(false);
            return;
        }

        DatabendFault? fault = TakeFault(sql);
        EmulatedSession session = SessionFor(body?["session"] as JsonObject);
        int pageSize = (int?)body?["pagination"]?["max_rows_per_page"] is int size and > 0 ? size : 10_000;
        switch (fault?.Kind)
        {
            case DatabendFaultKind.ServiceUnavailable:
                await WriteJsonAsync(context, 503, "{\"error\":{\"code\":503,\"message\":\"injected: service unavailable\",\"detail\":\"\"}}").ConfigureAwait(false);
                return;
            case DatabendFaultKind.DropBeforeExecute:
                context.Abort();
                return;
            case DatabendFaultKind.Delay:
                await Task.Delay(fault.Delay, context.RequestAborted).ConfigureAwait(false);
                break;
            case DatabendFaultKind.Hook:
                await fault.BeforeExecute!().ConfigureAwait(false);
                break;
        }

        List<string> pages;
        if (fault?.Kind == DatabendFaultKind.FailWithCode)
        {
            if (session.TxnState == "Active")
            {
                session.TxnState = "Fail";
            }

            pages = [DatabendResponses.Page(queryId, "Failed", nextUri: "final", session: SessionObject(session), error: (fault.Code, fault.Message, null), nodeId: NodeId)];
        }
        else
        {
            pages = await ExecuteAsync(session, sql, queryId, pageSize).ConfigureAwait(false);
        }

        _results[queryId] = pages;
        if (fault?.Kind == DatabendFaultKind.DropAfterExecute)
        {
            context.Abort();
            return;
        }

        await WriteJsonAsync(context, 200, pages[0]).ConfigureAwait(false);
    }

    private async Task<List<string>> ExecuteAsync(EmulatedSession session, string sql, string queryId, int pageSize)
    {
        _executed.Enqueue(sql);
        StatementResult result;
        try
        {
            result = await _engine.ExecuteAsync(session, sql, CancellationToken.None).ConfigureAwait(false);
        }
        catch (EmulatorException e)
        {
            return [DatabendResponses.Page(queryId, "Failed", nextUri: "final", session: SessionObject(session), error: (e.Code, e.Message, e.Detail), nodeId: NodeId)];
        }

        var pages = new List<string>();
        int pageCount = Math.Max(1, (result.Rows.Count + pageSize - 1) / pageSize);
        for (int p = 0; p < pageCount; p++)
        {
            string next = p + 1 < pageCount ? $"/v1/query/{queryId}/page/{p + 1}" : "final";
            pages.Add(DatabendResponses.Page(
                queryId, "Succeeded", result.Columns, result.Rows.Skip(p * pageSize).Take(pageSize),
                nextUri: next, session: SessionObject(session), nodeId: NodeId, writeRows: result.WriteRows));
        }

        return pages;
    }

    private DatabendFault? TakeFault(string sql)
    {
        lock (_faults)
        {
            DatabendFault? fault = _faults.FirstOrDefault(f => f.Pattern.IsMatch(sql));
            if (fault is not null && --fault.Times <= 0)
            {
                _faults.Remove(fault);
            }

            return fault;
        }
    }

    private EmulatedSession SessionFor(JsonObject? requested)
    {
        string? id = null;
        if ((string?)requested?["internal"] is { Length: > 0 } internalText)
        {
            try
            {
                id = (string?)JsonNode.Parse(internalText)?["emulator_session"];
            }
            catch (JsonException)
            {
                // Another server's opaque state: start a new session.
            }
        }

        if (id is not null && _sessions.TryGetValue(id, out EmulatedSession? existing))
        {
            return existing;
        }

        var session = new EmulatedSession(Guid.NewGuid().ToString("N"));
        if ((string?)requested?["database"] is { Length: > 0 } database)
        {
            session.Database = database;
        }

        if (requested?["settings"] is JsonObject settings)
        {
            foreach ((string key, JsonNode? value) in settings)
            {
                session.Settings[key] = value?.ToString() ?? string.Empty;
            }
        }

        _sessions[session.Id] = session;
        return session;
    }

    private static JsonObject SessionObject(EmulatedSession session)
    {
        JsonObject obj = DatabendResponses.Session(session.TxnState, session.Database, session.TxnState != "AutoCommit",
            new JsonObject { ["emulator_session"] = session.Id }.ToJsonString());
        var settings = new JsonObject();
        foreach ((string key, string value) in session.Settings)
        {
            settings[key] = value;
        }

        obj["settings"] = settings;
        return obj;
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
    }
}
