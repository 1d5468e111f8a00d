using System.Collections.Concurrent;
using FuncIngest.TestSupport.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FuncIngest.TestSupport.Databend;

/// <summary>
/// A protocol-level fake of Databend's HTTP endpoint (Kestrel on 127.0.0.1, ephemeral port):
/// every request is recorded and answered by the next scripted reply, or by a handler. It
/// knows nothing of SQL; it is for testing the client's protocol handling. A request with no
/// reply scripted gets HTTP 599 naming it, so a test never passes on an unexpected request.
/// </summary>
public sealed class FakeDatabendServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<RecordedRequest, FakeReply>> _replies = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();

    private FakeDatabendServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Every request received so far, in order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>A DSN for this server with user root and password <c>s3cret</c>.</summary>
    public string Dsn(string query = "") =>
        $"databend://root:s3cret@127.0.0.1:{BaseAddress.Port}/default?sslmode=disable&retry_delay=10ms{(query.Length > 0 ? "&" + query : string.Empty)}";

    /// <summary>Starts a server.</summary>
    public static async Task<FakeDatabendServer> StartAsync()
    {
        FakeDatabendServer? server = null;
        (WebApplication app, Uri address) = await LoopbackKestrel.StartAsync(context => server!.HandleAsync(context)).ConfigureAwait(false);
        server = new FakeDatabendServer(app, address);
        return server;
    }

    /// <summary>Scripts the reply to the next unanswered request.</summary>
    public void Reply(FakeReply reply) => _replies.Enqueue(_ => reply);

    /// <summary>Scripts a reply computed from the request.</summary>
    public void Reply(Func<RecordedRequest, FakeReply> reply) => _replies.Enqueue(reply);

    /// <summary>Scripts a JSON reply.</summary>
    public void ReplyJson(string body, int status = 200) => Reply(FakeReply.Json(body, status));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        string body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new RecordedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body);
        _requests.Enqueue(request);

        if (!_replies.TryDequeue(out Func<RecordedRequest, FakeReply>? next))
        {
            context.Response.StatusCode = 599;
            await context.Response.WriteAsync($"fake Databend server: no reply scripted for {request.Method} {request.PathAndQuery}", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        FakeReply reply = next(request);
        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (reply.DropConnection)
        {
            context.Abort();
            return;
        }

        context.Response.StatusCode = reply.Status;
        context.Response.ContentType = reply.ContentType;
        if (reply.Location is not null)
        {
            context.Response.Headers.Location = reply.Location;
        }

        await context.Response.WriteAsync(reply.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
