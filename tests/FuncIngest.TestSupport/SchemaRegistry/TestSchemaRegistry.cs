using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FuncIngest.TestSupport.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FuncIngest.TestSupport.SchemaRegistry;

/// <summary>
/// A Confluent Schema Registry on 127.0.0.1 (Kestrel, ephemeral port) answering the endpoints
/// Confluent's <c>CachedSchemaRegistryClient</c> calls for its serializers and for lookups by id
/// (confluent-kafka-dotnet v2.15.0 src/Confluent.SchemaRegistry/Rest/RestService.cs):
/// <c>POST subjects/{subject}/versions</c> (register), <c>POST subjects/{subject}</c> (lookup),
/// <c>GET schemas/ids/{id}</c>, <c>GET subjects</c>, <c>GET subjects/{subject}/versions/latest</c>,
/// <c>GET config</c>. Errors are JSON <c>{"error_code":..,"message":..}</c> as the registry
/// answers them (40403 schema not found, 40401 subject not found, 40101 unauthorized).
/// Faults: <see cref="FailWith"/> answers every request with a status (5xx: the client retries,
/// then fails); <see cref="RequireBasicAuth"/> refuses requests without the credentials.
/// </summary>
public sealed class TestSchemaRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly object _gate = new();
    private readonly List<(string Schema, string Type)> _schemas = [];
    private readonly Dictionary<string, List<int>> _subjects = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _requests = new();
    private string? _authorization;
    private volatile int _failStatus;

    private TestSchemaRegistry(WebApplication app, Uri baseAddress)
    {
        _app = app;
        Url = baseAddress.ToString().TrimEnd('/');
    }

    /// <summary>The registry's URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; }

    /// <summary>Every request so far as <c>METHOD path?query</c>, in order.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>The Authorization header of the last request, if any.</summary>
    public string? LastAuthorization { get; private set; }

    /// <summary>Starts a registry with no schemas. Ids start at 1 and follow registration order.</summary>
    public static async Task<TestSchemaRegistry> StartAsync()
    {
        TestSchemaRegistry? registry = null;
        (WebApplication app, Uri address) = await LoopbackKestrel.StartAsync(context => registry!.HandleAsync(context)).ConfigureAwait(false);
        registry = new TestSchemaRegistry(app, address);
        return registry;
    }

    /// <summary>Answers every request with <paramref name="status"/> (0: answer normally again).</summary>
    public void FailWith(int status) => _failStatus = status;

    /// <summary>Refuses (401) requests without this basic-auth user and password.</summary>
    public void RequireBasicAuth(string user, string password) =>
        _authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    /// <summary>Registers a schema directly (as another producer would) and returns its id.</summary>
    public int Register(string subject, string schema, string type = "AVRO")
    {
        lock (_gate)
        {
            return RegisterLocked(subject, schema, type);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private int RegisterLocked(string subject, string schema, string type)
    {
        int index = _schemas.FindIndex(s => s.Schema == schema && s.Type == type);
        if (index < 0)
        {
            _schemas.Add((schema, type));
            index = _schemas.Count - 1;
        }

        int id = index + 1;
        List<int> versions = _subjects.TryGetValue(subject, out List<int>? v) ? v : _subjects[subject] = [];
        if (!versions.Contains(id))
        {
            versions.Add(id);
        }

        return id;
    }

    private async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        string path = request.Path.Value ?? "/";
        _requests.Enqueue($"{request.Method} {path}{request.QueryString}");
        LastAuthorization = request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null;
        if (_failStatus != 0)
        {
            await ErrorAsync(context, _failStatus, _failStatus * 100, "injected failure").ConfigureAwait(false);
            return;
        }

        if (_authorization is not null && !string.Equals(LastAuthorization, _authorization, StringComparison.Ordinal))
        {
            await ErrorAsync(context, 401, 40101, "Unauthorized").ConfigureAwait(false);
            return;
        }

        string[] parts = path.Trim('/').Split('/');
        JsonObject? body = null;
        if (HttpMethods.IsPost(request.Method))
        {
            body = (await JsonNode.ParseAsync(request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false))?.AsObject();
        }

        JsonNode? answer;
        lock (_gate)
        {
            answer = Answer(request.Method, parts, body, out int status, out int code, out string? message);
            if (answer is null)
            {
                context.Response.StatusCode = status;
                answer = new JsonObject { ["error_code"] = code, ["message"] = message };
            }
        }

        context.Response.ContentType = "application/vnd.schemaregistry.v1+json";
        await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    private JsonNode? Answer(string method, string[] parts, JsonObject? body, out int status, out int code, out string? message)
    {
        (status, code, message) = (404, 404, $"no such endpoint: {method} /{string.Join('/', parts)}");
        string subject = parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty;
        switch (parts)
        {
            case ["schemas", "ids", var idText] when HttpMethods.IsGet(method):
                int id = int.Parse(idText, System.Globalization.CultureInfo.InvariantCulture);
                if (id < 1 || id > _schemas.Count)
                {
                    (status, code, message) = (404, 40403, $"Schema {id} not found");
                    return null;
                }

                return SchemaJson(id);
            case ["subjects"] when HttpMethods.IsGet(method):
                return new JsonArray([.. _subjects.Keys.Select(k => (JsonNode)k)]);
            case ["subjects", _, "versions"] when HttpMethods.IsPost(method):
                int registered = RegisterLocked(subject, body!["schema"]!.GetValue<string>(), body["schemaType"]?.GetValue<string>() ?? "AVRO");
                return Registered(subject, registered);
            case ["subjects", _] when HttpMethods.IsPost(method):
                string text = body!["schema"]!.GetValue<string>();
                string type = body["schemaType"]?.GetValue<string>() ?? "AVRO";
                int found = _subjects.TryGetValue(subject, out List<int>? ids) ? ids.Find(i => _schemas[i - 1] == (text, type)) : 0;
                if (found == 0)
                {
                    (status, code, message) = (404, 40403, "Schema not found");
                    return null;
                }

                return Registered(subject, found);
            case ["subjects", _, "versions", "latest"] when HttpMethods.IsGet(method):
                if (!_subjects.TryGetValue(subject, out List<int>? latest))
                {
                    (status, code, message) = (404, 40401, $"Subject '{subject}' not found.");
                    return null;
                }

                return Registered(subject, latest[^1]);
            case ["config"] or ["config", _] when HttpMethods.IsGet(method):
                return new JsonObject { ["compatibilityLevel"] = "BACKWARD" };
            default:
                return null;
        }
    }

    private JsonObject SchemaJson(int id)
    {
        (string schema, string type) = _schemas[id - 1];
        var json = new JsonObject { ["schema"] = schema };
        if (type != "AVRO")
        {
            // The registry leaves schemaType out for Avro (RestService.SanitizeSchema relies on it).
            json["schemaType"] = type;
        }

        return json;
    }

    private JsonObject Registered(string subject, int id)
    {
        JsonObject json = SchemaJson(id);
        json["subject"] = subject;
        json["version"] = _subjects[subject].IndexOf(id) + 1;
        json["id"] = id;
        return json;
    }

    private static Task ErrorAsync(HttpContext context, int status, int code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/vnd.schemaregistry.v1+json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object> { ["error_code"] = code, ["message"] = message }), context.RequestAborted);
    }
}
