using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Databend.Client.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Databend.Client;

/// <summary>
/// A session with a Databend server over its HTTP query API (<c>POST /v1/query</c>).
/// </summary>
/// <remarks>
/// <para>
/// A client is one session, like a database connection: it keeps the session object the
/// server returns (current database, settings, transaction state, opaque internals) and
/// echoes it verbatim with the next statement. Statements on one client run one at a time;
/// use one client per concurrent unit of work, sharing an <see cref="HttpClient"/>.
/// </para>
/// <para>
/// Each statement is sent under a fresh <c>X-DATABEND-QUERY-ID</c> that is reused when the
/// request is retried, so a retried start cannot run the statement twice. Results are read
/// page by page by following <c>next_uri</c> to its end.
/// </para>
/// </remarks>
public sealed class DatabendClient : IAsyncDisposable, IDisposable
{
    private readonly DatabendTransport _transport;
    private readonly ILogger _logger;
    private readonly SecretRedactor _redactor = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private byte[] _session;
    private string? _lastNodeId;
    private bool _needSticky;
    private bool _disposed;

    /// <summary>Creates a client from a DSN such as <c>databend://user:pass@host:8000/db?sslmode=disable</c>.</summary>
    public DatabendClient(string dsn, HttpClient? httpClient = null, ILogger<DatabendClient>? logger = null)
        : this(DatabendDsn.Parse(dsn), httpClient, logger)
    {
    }

    /// <summary>Creates a client. The options are validated here.</summary>
    /// <param name="options">Server, credentials and behaviour.</param>
    /// <param name="httpClient">An HTTP client to use (e.g. from IHttpClientFactory); the client does not dispose it. Its timeout should be infinite: the client applies <see cref="DatabendClientOptions.RequestTimeout"/> per request.</param>
    /// <param name="logger">Logger for retries and cancellations.</param>
    public DatabendClient(DatabendClientOptions options, HttpClient? httpClient = null, ILogger<DatabendClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _redactor.Add(options.Password);
        _redactor.Add(options.AccessToken);
        _transport = new DatabendTransport(options, httpClient, _logger, _redactor);
        _session = QueryRequestWriter.InitialSession(options);
    }

    /// <summary>
    /// The handler this client uses when it is given no <see cref="HttpClient"/>; use it for one
    /// you give it. It never follows redirects: a redirect would re-send the Authorization header
    /// and the statement (which may hold a storage key) to the host a <c>Location</c> names, and
    /// a presigned request to wherever the storage points.
    /// </summary>
    /// <param name="options">For the connect timeout; null keeps 10 s.</param>
    public static SocketsHttpHandler CreateHttpHandler(DatabendClientOptions? options) => new()
    {
        AllowAutoRedirect = false,
        ConnectTimeout = options?.ConnectTimeout ?? TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.All,
    };

    /// <summary>
    /// Registers a secret this session sends inside statements (a storage key in CREATE STAGE):
    /// from now on it is replaced by <c>***</c> in every message the client puts into an
    /// exception or a log. The password and access token are registered already.
    /// </summary>
    public void AddSecret(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        _redactor.Add(secret);
        _redactor.Add(DatabendSql.QuoteString(secret)[1..^1]);
    }

    /// <summary>The client's settings.</summary>
    public DatabendClientOptions Options { get; }

    /// <summary>The transaction state the server last reported for this session.</summary>
    public DatabendTransactionState TransactionState { get; private set; }

    /// <summary>The node that ran the last statement (<c>node_id</c>), used for sticky routing.</summary>
    public string? LastNodeId => _lastNodeId;

    /// <summary>The raw JSON of the session object the client will send with its next statement.</summary>
    public string SessionJson => System.Text.Encoding.UTF8.GetString(_session);

    /// <summary>Runs a statement to its end and returns all its rows (for DDL, DML, COPY and small results).</summary>
    /// <exception cref="DatabendException">The server or the transport failed.</exception>
    public async Task<DatabendResult> ExecuteAsync(string sql, CancellationToken cancellationToken = default)
    {
        var rows = new List<DatabendRow>();
        IReadOnlyList<DatabendColumn> columns = [];
        DatabendQueryStats stats = new();
        string? queryId = null;
        await RunAsync(sql, page =>
        {
            queryId ??= page.Id;
            if (page.Schema.Count > 0)
            {
                columns = page.Schema;
            }

            foreach (string?[] values in page.Data)
            {
                rows.Add(new DatabendRow(columns, values));
            }

            stats = DatabendQueryStats.Max(stats, page.Stats);
            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return new DatabendResult(queryId, columns, rows, stats);
    }

    /// <summary>
    /// Runs a query and streams its rows page by page: only one page is held at a time.
    /// Stop enumerating early and the rest of the result is abandoned on the server.
    /// </summary>
    /// <exception cref="DatabendException">The server or the transport failed.</exception>
    public async IAsyncEnumerable<DatabendRow> QueryAsync(string sql, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string queryId = NewQueryId();
            QueryPage page = await StartAsync(sql, queryId, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<DatabendColumn> columns = page.Schema;
            while (true)
            {
                if (page.Schema.Count > 0)
                {
                    columns = page.Schema;
                }

                foreach (string?[] values in page.Data)
                {
                    yield return new DatabendRow(columns, values);
                }

                if (page.NextUri is null)
                {
                    break;
                }

                page = await NextPageAsync(page, queryId, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Starts a transaction (<c>BEGIN</c>) on this session.</summary>
    /// <exception cref="InvalidOperationException">A transaction is already open.</exception>
    public async Task<DatabendTransaction> BeginTransactionAsync(CancellationToken cancellationToken = default)
    {
        if (TransactionState != DatabendTransactionState.AutoCommit)
        {
            throw new InvalidOperationException($"This Databend session already has a transaction (state {TransactionState}).");
        }

        await ExecuteAsync("BEGIN", cancellationToken).ConfigureAwait(false);
        if (TransactionState != DatabendTransactionState.Active)
        {
            throw new DatabendException($"BEGIN succeeded but the server reports transaction state {TransactionState}, not Active.");
        }

        return new DatabendTransaction(this, _logger);
    }

    /// <summary>Asks the server for a presigned upload request for <c>@stage/path</c> (<c>PRESIGN UPLOAD</c>).</summary>
    public Task<DatabendPresignedRequest> PresignUploadAsync(string stageName, string path, CancellationToken cancellationToken = default) =>
        PresignAsync("UPLOAD", stageName, path, cancellationToken);

    /// <summary>Asks the server for a presigned download request for <c>@stage/path</c> (<c>PRESIGN DOWNLOAD</c>).</summary>
    public Task<DatabendPresignedRequest> PresignDownloadAsync(string stageName, string path, CancellationToken cancellationToken = default) =>
        PresignAsync("DOWNLOAD", stageName, path, cancellationToken);

    /// <summary>
    /// Opens <c>@stage/path</c> for reading through a presigned download request. Dispose the
    /// stream to release the connection.
    /// </summary>
    /// <exception cref="DatabendException">The storage answered with an error (404 when the file does not exist).</exception>
    public async Task<Stream> OpenStageFileAsync(string stageName, string path, CancellationToken cancellationToken = default)
    {
        DatabendPresignedRequest presigned = await PresignDownloadAsync(stageName, path, cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(presigned.Method, presigned.Url);
        foreach ((string name, string value) in presigned.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        HttpResponseMessage response = await SendPresignedAsync(request, HttpCompletionOption.ResponseHeadersRead, $"Download of @{stageName}/{path}", cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                string body = await ReadErrorBodyAsync(response, cancellationToken).ConfigureAwait(false);
                throw new DatabendException(
                    $"Download of @{stageName}/{path} from the presigned URL failed with HTTP {(int)response.StatusCode}: {body}",
                    httpStatus: response.StatusCode,
                    isTransient: (int)response.StatusCode >= 500 || (int)response.StatusCode == 429);
            }
        }

        return new ResponseStream(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), response);
    }

    private async Task<DatabendPresignedRequest> PresignAsync(string kind, string stageName, string path, CancellationToken cancellationToken)
    {
        string stage = DatabendSql.QuoteIdentifier(stageName, "The stage name").Trim('`');
        if (!DatabendSql.IsValidStagePath(path))
        {
            throw new ArgumentException($"The stage path '{path}' may only contain letters, digits and _ . / = - (and no '..').", nameof(path));
        }

        DatabendResult result = await ExecuteAsync($"PRESIGN {kind} @{stage}/{path.TrimStart('/')}", cancellationToken).ConfigureAwait(false);
        if (result.Rows.Count != 1)
        {
            throw new DatabendException($"PRESIGN {kind} returned {result.Rows.Count} rows instead of 1.", queryId: result.QueryId);
        }

        DatabendRow row = result.Rows[0];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        HttpMethod method;
        Uri url;
        try
        {
            if (!row.IsNull(row.GetOrdinal("headers")))
            {
                using JsonDocument json = row.GetJson(row.GetOrdinal("headers"));
                foreach (JsonProperty header in json.RootElement.EnumerateObject())
                {
                    // Only what a storage service needs to accept the request: a header such as
                    // Metadata: true or Authorization would make it a request to something else.
                    if (IsStorageHeader(header.Name))
                    {
                        headers[header.Name] = header.Value.ValueKind == JsonValueKind.String ? header.Value.GetString()! : header.Value.GetRawText();
                    }
                }
            }

            method = new HttpMethod(row.GetString(row.GetOrdinal("method")));
            url = new Uri(row.GetString(row.GetOrdinal("url")), UriKind.Absolute);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or KeyNotFoundException)
        {
            throw new DatabendException($"PRESIGN {kind} returned a malformed answer: {_redactor.Redact(e.Message)}", queryId: result.QueryId, innerException: e);
        }

        if (method != (kind == "UPLOAD" ? HttpMethod.Put : HttpMethod.Get) && !(kind == "UPLOAD" && method == HttpMethod.Post))
        {
            throw new DatabendException($"PRESIGN {kind} returned method {method}, which the client does not send.", queryId: result.QueryId);
        }

        // https only, so the storage is who it claims to be; http only on this machine (tests, local storage).
        if (!(url.Scheme == Uri.UriSchemeHttps || (url.Scheme == Uri.UriSchemeHttp && IsLoopback(url))) || url.UserInfo.Length > 0)
        {
            throw new DatabendException(
                $"PRESIGN {kind} returned a {url.Scheme} URL for {url.Host}; the client sends stage files only over https (http only to a loopback address).",
                queryId: result.QueryId);
        }

        return new DatabendPresignedRequest(method, url, headers);
    }

    private static bool IsStorageHeader(string name) =>
        name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("x-goog-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("x-oss-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("x-cos-", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("x-obs-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-MD5", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Disposition", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Language", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Cache-Control", StringComparison.OrdinalIgnoreCase)
        || name.Equals("If-None-Match", StringComparison.OrdinalIgnoreCase);

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out IPAddress? address) && IPAddress.IsLoopback(address));

    /// <summary>Sends a presigned request: never redirected (the storage answers itself or fails).</summary>
    private async Task<HttpResponseMessage> SendPresignedAsync(HttpRequestMessage request, HttpCompletionOption completion, string what, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await _transport.Http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        if (response.RequestMessage?.RequestUri is { } answered && answered != request.RequestUri)
        {
            response.Dispose();
            throw new DatabendException($"{what}: the HttpClient followed a redirect away from the presigned URL; give it a handler with AllowAutoRedirect = false (CreateHttpHandler).");
        }

        return response;
    }

    /// <summary>
    /// Uploads a stream to <c>@stage/path</c> through a presigned request. Any 2xx answer is
    /// success (storages differ: 200, 201, 204).
    /// </summary>
    public async Task UploadToStageAsync(string stageName, string path, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        DatabendPresignedRequest presigned = await PresignUploadAsync(stageName, path, cancellationToken).ConfigureAwait(false);
        using var request = new HttpRequestMessage(presigned.Method, presigned.Url) { Content = new StreamContent(content) };
        foreach ((string name, string value) in presigned.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using HttpResponseMessage response = await SendPresignedAsync(request, HttpCompletionOption.ResponseHeadersRead, $"Upload of @{stageName}/{path}", cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            string body = await ReadErrorBodyAsync(response, cancellationToken).ConfigureAwait(false);
            throw new DatabendException(
                $"Upload of @{stageName}/{path} to the presigned URL failed with HTTP {(int)response.StatusCode}: {body}",
                httpStatus: response.StatusCode,
                isTransient: (int)response.StatusCode >= 500 || (int)response.StatusCode == 429);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _transport.Dispose();
        _gate.Dispose();
    }

    internal async Task RunAsync(string sql, Func<QueryPage, ValueTask> onPage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var watch = Stopwatch.StartNew();
            string queryId = NewQueryId();
            QueryPage page = await StartAsync(sql, queryId, cancellationToken).ConfigureAwait(false);
            long rows = 0;
            while (true)
            {
                rows += page.Data.Count;
                await onPage(page).ConfigureAwait(false);
                if (page.NextUri is null)
                {
                    break;
                }

                page = await NextPageAsync(page, queryId, cancellationToken).ConfigureAwait(false);
            }

            Log.StatementFinished(_logger, queryId, page.State, rows, watch.ElapsedMilliseconds);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<QueryPage> StartAsync(string sql, string queryId, CancellationToken cancellationToken)
    {
        using var request = new PooledBufferWriter(sql.Length + _session.Length + 128);
        QueryRequestWriter.Write(request, sql, _session, Options);
        // While a transaction is open the session lives on one node; route there.
        string? sticky = _needSticky || TransactionState != DatabendTransactionState.AutoCommit ? _lastNodeId : null;
        DatabendTransactionState stateBefore = TransactionState;
        QueryPage page;
        int attempts;
        try
        {
            (page, attempts) = await SendAsync(HttpMethod.Post, "/v1/query", request.WrittenMemory, queryId, sticky, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // No answer yet, so no kill_uri; the server runs the statement under our query id.
            await KillAsync(new QueryPage { KillUri = $"/v1/query/{queryId}/kill", NodeId = sticky }, queryId).ConfigureAwait(false);
            throw;
        }

        if (SessionLostOnReplay(attempts, page, sql, stateBefore))
        {
            // The transaction's outcome is unknown: the caller must start it again from BEGIN
            // (and, after COMMIT, find out from its own data whether it committed).
            TransactionState = DatabendTransactionState.Unknown;
            throw new DatabendException(
                $"Databend answered a resent statement from its first run without the session, so the transaction's state is unknown (query {queryId}); start the transaction again.",
                queryId: queryId, isTransient: true);
        }

        ThrowIfFailed(page, queryId);
        return page;
    }

    /// <summary>
    /// A start that had to be sent again may have been answered from the first run. Databend
    /// then replays page 0 with <c>session: null</c> when the session equals the one that
    /// query last sent (databendlabs/databend, src/query/service/src/servers/http/v1/http_query_handlers.rs,
    /// "get retry to start query", and query/http_query.rs, <c>get_response_page</c> and
    /// <c>last_session_conf</c>). The client never saw that session, so after BEGIN, COMMIT
    /// or any statement inside a transaction it cannot know the transaction's state.
    /// </summary>
    private static bool SessionLostOnReplay(int attempts, QueryPage page, string sql, DatabendTransactionState stateBefore) =>
        attempts > 1 && page.Session is null && (stateBefore != DatabendTransactionState.AutoCommit || IsTransactionControl(sql));

    private static bool IsTransactionControl(string sql)
    {
        ReadOnlySpan<char> text = sql.AsSpan().TrimStart();
        int end = text.IndexOfAny(' ', ';', '\n');
        ReadOnlySpan<char> word = end < 0 ? text : text[..end];
        return word.Equals("BEGIN", StringComparison.OrdinalIgnoreCase)
            || word.Equals("COMMIT", StringComparison.OrdinalIgnoreCase)
            || word.Equals("ROLLBACK", StringComparison.OrdinalIgnoreCase)
            || word.Equals("ABORT", StringComparison.OrdinalIgnoreCase)
            || word.Equals("START", StringComparison.OrdinalIgnoreCase);
    }

    private async Task<QueryPage> NextPageAsync(QueryPage current, string queryId, CancellationToken cancellationToken)
    {
        try
        {
            // Pages live on the node that runs the query.
            (QueryPage next, _) = await SendAsync(HttpMethod.Get, current.NextUri!, null, null, current.NodeId is { Length: > 0 } node ? node : _lastNodeId, cancellationToken).ConfigureAwait(false);
            ThrowIfFailed(next, queryId);
            return next;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await KillAsync(current, queryId).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<(QueryPage Page, int Attempts)> SendAsync(HttpMethod method, string uri, ReadOnlyMemory<byte>? content, string? queryId, string? sticky, CancellationToken cancellationToken)
    {
        using var body = new PooledBufferWriter();
        int attempts = await _transport.SendAsync(method, uri, content, queryId, sticky, body, cancellationToken).ConfigureAwait(false);
        QueryPage page;
        try
        {
            page = QueryPageReader.Read(body.WrittenSpan);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            // A number out of range (a code of 99999999999, rows: 1.5) is as malformed as bad JSON.
            throw new DatabendException($"Databend sent a response that is not the query API's JSON: {_redactor.Redact(e.Message)}", queryId: queryId, innerException: e);
        }

        // Refuse a URI outside the query API before anything follows it (see DatabendTransport.Resolve).
        foreach (string? next in (string?[])[page.NextUri, page.KillUri, page.FinalUri])
        {
            if (next is not null)
            {
                _ = _transport.Resolve(next);
            }
        }

        ApplySession(page);
        return (page, attempts);
    }

    private void ApplySession(QueryPage page)
    {
        // A start that failed before reaching a node answers node_id "": never route to "".
        if (page.NodeId is { Length: > 0 })
        {
            _lastNodeId = page.NodeId;
        }

        // Keep the latest non-null session; the /final response carries none.
        if (page.Session is null)
        {
            return;
        }

        _session = page.Session;
        _needSticky = page.NeedSticky;
        TransactionState = page.TxnState switch
        {
            "Active" => DatabendTransactionState.Active,
            "Fail" => DatabendTransactionState.Fail,
            _ => DatabendTransactionState.AutoCommit,
        };
    }

    private async Task KillAsync(QueryPage page, string queryId)
    {
        if (page.KillUri is null)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _transport.FireAsync(HttpMethod.Post, page.KillUri, page.NodeId, timeout.Token).ConfigureAwait(false);
            Log.Killed(_logger, queryId);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or DatabendException)
        {
            Log.KillFailed(_logger, e, queryId);
        }
    }

    /// <remarks>
    /// Never the statement's text in the message: it can hold secrets (CREATE STAGE carries a
    /// storage key) and exceptions end up in logs, CLI output and durable history. Server text
    /// is redacted, since Databend echoes the statement in syntax errors.
    /// </remarks>
    private void ThrowIfFailed(QueryPage page, string queryId)
    {
        if (page.Error is { } error)
        {
            throw new DatabendException(
                $"Databend error {error.Code}: {_redactor.Redact(error.Message)}",
                error.Code, page.Id is { Length: > 0 } id ? id : queryId, HttpStatusCode.OK, _redactor.RedactOrNull(error.Detail));
        }

        if (string.Equals(page.State, "Failed", StringComparison.Ordinal))
        {
            throw new DatabendException($"Databend reports statement {queryId} failed without an error.", queryId: queryId);
        }
    }

    private static string NewQueryId() => Guid.NewGuid().ToString("N");

    /// <summary>At most 64 KiB of an error body, redacted, then cut to 200 characters (redacting first: a cut could split a secret).</summary>
    private async Task<string> ReadErrorBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            byte[] buffer = new byte[64 * 1024];
            int filled = 0, read;
            while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0)
            {
                filled += read;
            }

            string text = _redactor.Redact(System.Text.Encoding.UTF8.GetString(buffer, 0, filled)).Trim();
            return text.Length <= 200 ? text : text[..200] + "...";
        }
    }
}
