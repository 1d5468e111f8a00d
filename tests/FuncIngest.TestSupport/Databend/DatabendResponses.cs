using System.Text.Json;
using System.Text.Json.Nodes;

namespace FuncIngest.TestSupport.Databend;

/// <summary>
/// Builds response bodies shaped exactly like Databend's query API, so client tests exercise
/// the real wire format. Sources, in databendlabs/databend:
/// <list type="bullet">
/// <item><c>QueryResponse</c> in src/query/service/src/servers/http/v1/http_query_handlers.rs:
/// id, session_id, node_id, state, session, error, warnings, schema [{name,type}], data
/// [[string|null]], affect, stats, stats_uri, final_uri, next_uri, kill_uri. A finished query's
/// last page points next_uri at /final, whose answer has next_uri null and no session.</item>
/// <item><c>QueryError {code, message, detail}</c> and the HTTP error body <c>{"error": {...}}</c> in
/// src/query/service/src/servers/http/error.rs.</item>
/// <item>The session object (catalog, database, role, secondary_roles, settings, txn_state,
/// need_sticky, internal) as the sqllogictest client and tests/suites/1_stateful/09_http_handler
/// (test_txn_*: txn_state AutoCommit / Active / Fail, need_sticky) read and echo it.</item>
/// </list>
/// </summary>
public static class DatabendResponses
{
    /// <summary>A session object as Databend returns it.</summary>
    public static JsonObject Session(string txnState = "AutoCommit", string? database = "default", bool needSticky = false, string internalState = "{\"opaque\":1}") => new()
    {
        ["catalog"] = "default",
        ["database"] = database,
        ["role"] = "account_admin",
        ["secondary_roles"] = null,
        ["settings"] = new JsonObject(),
        ["txn_state"] = txnState,
        ["need_sticky"] = needSticky,
        ["need_keep_alive"] = false,
        ["internal"] = internalState,
    };

    /// <summary>A query response page.</summary>
    public static string Page(
        string id,
        string state = "Succeeded",
        IEnumerable<(string Name, string Type)>? schema = null,
        IEnumerable<string?[]>? data = null,
        string? nextUri = "final",
        JsonObject? session = null,
        (int Code, string Message)? error = null,
        string nodeId = "node-1",
        long writeRows = 0,
        bool withSession = true,
        string? errorDetail = null)
    {
        string? next = nextUri switch
        {
            "final" => $"/v1/query/{id}/final",
            null => null,
            _ => nextUri,
        };
        var body = new JsonObject
        {
            ["id"] = id,
            ["session_id"] = "session-" + nodeId,
            ["node_id"] = nodeId,
            ["state"] = state,
            ["session"] = withSession ? session ?? Session() : null,
            ["error"] = error is { } e ? new JsonObject { ["code"] = e.Code, ["message"] = e.Message, ["detail"] = errorDetail ?? string.Empty } : null,
            ["warnings"] = new JsonArray(),
            ["has_result_set"] = schema is not null,
            ["schema"] = new JsonArray([.. (schema ?? []).Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["type"] = c.Type })]),
            ["data"] = new JsonArray([.. (data ?? []).Select(r => (JsonNode)new JsonArray([.. r.Select(v => (JsonNode?)(v is null ? null : JsonValue.Create(v)))]))]),
            ["affect"] = null,
            ["stats"] = new JsonObject
            {
                ["scan_progress"] = new JsonObject { ["rows"] = 0, ["bytes"] = 0 },
                ["write_progress"] = new JsonObject { ["rows"] = writeRows, ["bytes"] = writeRows * 10 },
                ["result_progress"] = new JsonObject { ["rows"] = data?.Count() ?? 0, ["bytes"] = 0 },
                ["total_scan"] = new JsonObject { ["rows"] = 0, ["bytes"] = 0 },
                ["spill_progress"] = new JsonObject { ["file_nums"] = 0, ["bytes"] = 0 },
                ["running_time_ms"] = 3,
            },
            ["stats_uri"] = $"/v1/query/{id}",
            ["final_uri"] = $"/v1/query/{id}/final",
            ["next_uri"] = next,
            ["kill_uri"] = $"/v1/query/{id}/kill",
        };
        return body.ToJsonString();
    }

    /// <summary>The answer to GET /final: next_uri null, no session (the handler clears it).</summary>
    public static string Final(string id, string nodeId = "node-1") => Page(id, nextUri: null, nodeId: nodeId, withSession: false);

    /// <summary>An HTTP error body: <c>{"error": {code, message, detail}}</c>.</summary>
    public static string ErrorBody(int code, string message) =>
        JsonSerializer.Serialize(new { error = new { code, message, detail = string.Empty } });
}
