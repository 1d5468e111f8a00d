using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Databend.Client.Internal;

/// <summary>
/// Sends requests to the query API with authentication, routing headers, a per-request
/// timeout and bounded retries with exponential backoff and jitter. A retried request carries
/// the same <c>X-DATABEND-QUERY-ID</c>, so a statement whose first attempt did reach the
/// server is answered from that run instead of running twice.
/// </summary>
internal sealed class DatabendTransport : IDisposable
{
    public const string QueryIdHeader = "X-DATABEND-QUERY-ID";
    public const string StickyNodeHeader = "X-DATABEND-STICKY-NODE";
    public const string WarehouseHeader = "X-DATABEND-WAREHOUSE";
    public const string TenantHeader = "X-DATABEND-TENANT";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly DatabendClientOptions _options;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly ILogger _logger;

    public DatabendTransport(DatabendClientOptions options, HttpClient? http, ILogger logger, SecretRedactor redactor)
    {
        _options = options;
        _logger = logger;
        Redactor = redactor;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient(DatabendClient.CreateHttpHandler(options))
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _authorization = options.AccessToken is { Length: > 0 } token
            ? new AuthenticationHeaderValue("Bearer", token)
            : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.User}:{options.Password}")));
    }

    /// <summary>The secrets removed from every message this transport and its client build.</summary>
    public SecretRedactor Redactor { get; }

    /// <summary>
    /// Resolves a path of the query API against the configured server, refusing anything else.
    /// Databend's handler makes every URI it returns an absolute path on the same server,
    /// <c>/v1/query/{id}/page/{n}</c>, <c>/v1/query/{id}/final</c>, <c>/v1/query/{id}/kill</c>
    /// (databendlabs/databend: src/query/service/src/servers/http/v1/http_query_handlers.rs,
    /// <c>make_page_uri</c>, <c>make_final_uri</c>, <c>make_kill_uri</c>). Following another
    /// host or scheme would hand it the Authorization header.
    /// </summary>
    /// <exception cref="DatabendException">The URI names another origin or leaves <c>/v1/</c>.</exception>
    public Uri Resolve(string path)
    {
        Uri baseAddress = _options.BaseAddress;
        if (path is ['/', not '/' and not '\\', ..]
            && path.StartsWith("/v1/", StringComparison.Ordinal)
            && Uri.TryCreate(baseAddress, path, out Uri? uri)
            && Uri.Compare(uri, baseAddress, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0
            && uri.AbsolutePath.StartsWith("/v1/", StringComparison.Ordinal))
        {
            return uri;
        }

        throw new DatabendException(
            $"Databend answered with a URI outside its query API on {baseAddress.GetLeftPart(UriPartial.Authority)} ('{Shorten(Redactor.Redact(path))}'); the client follows only /v1/ paths on the configured server.");
    }

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "...";

    /// <summary>
    /// Sends a request and returns the body of a 2xx answer in <paramref name="body"/>.
    /// Retries transport failures and 429/502/503/504; throws <see cref="DatabendException"/>
    /// for everything else, with the server's error when the body carries one.
    /// </summary>
    /// <returns>How many attempts it took (above 1: the request was sent again, so the server may have answered a replay).</returns>
    public async Task<int> SendAsync(
        HttpMethod method,
        string pathOrUri,
        ReadOnlyMemory<byte>? content,
        string? queryId,
        string? stickyNode,
        PooledBufferWriter body,
        CancellationToken cancellationToken)
    {
        Uri uri = Resolve(pathOrUri);
        int attempts = _options.MaxRetries + 1;
        for (int attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            body.Clear();
            string failure;
            Exception? inner = null;
            HttpStatusCode? status = null;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_options.RequestTimeout);
                try
                {
                    using HttpRequestMessage request = BuildRequest(method, uri, content, queryId, stickyNode);
                    using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                    if (response.RequestMessage?.RequestUri is { } answered && answered != uri)
                    {
                        // Only an HttpClient passed in by the caller can follow redirects (ours do not).
                        throw new DatabendException(
                            $"The HttpClient given to Databend.Client followed a redirect away from {uri.AbsolutePath}; give it a handler with AllowAutoRedirect = false (DatabendClient.CreateHttpHandler).",
                            queryId: queryId, httpStatus: response.StatusCode);
                    }

                    Stream stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                    await using (stream.ConfigureAwait(false))
                    {
                        if (!await body.ReadFromAsync(stream, _options.MaxResponseBytes, timeout.Token).ConfigureAwait(false))
                        {
                            throw new DatabendException(
                                $"Databend's answer to {method} {uri.AbsolutePath} is larger than {_options.MaxResponseBytes} bytes (MaxResponseBytes); lower max_rows_per_page or raise the limit.",
                                queryId: queryId, httpStatus: response.StatusCode);
                        }
                    }

                    if (response.IsSuccessStatusCode)
                    {
                        return attempt;
                    }

                    status = response.StatusCode;
                    if (!IsRetryableStatus(response.StatusCode))
                    {
                        throw ErrorFromResponse(response.StatusCode, body.WrittenSpan, queryId, Redactor);
                    }

                    failure = $"HTTP {(int)response.StatusCode}";
                    inner = ErrorFromResponse(response.StatusCode, body.WrittenSpan, queryId, Redactor);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = $"no answer within {_options.RequestTimeout.TotalSeconds:0.###} s";
                    inner = e;
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    failure = e.Message;
                    inner = e;
                }
            }

            if (attempt >= attempts)
            {
                throw new DatabendException(
                    $"Databend request {method} {uri.AbsolutePath} failed after {attempt} attempt(s): {failure}.",
                    serverCode: (inner as DatabendException)?.ServerCode,
                    queryId: queryId,
                    httpStatus: status,
                    isTransient: true,
                    innerException: inner);
            }

            TimeSpan delay = Backoff(attempt);
            Log.RetryingRequest(_logger, method.Method, uri.AbsolutePath, queryId, attempt, attempts, (long)delay.TotalMilliseconds, failure);
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a request whose answer does not matter beyond success (kill, final), without retries.</summary>
    public async Task FireAsync(HttpMethod method, string pathOrUri, string? stickyNode, CancellationToken cancellationToken)
    {
        using HttpRequestMessage request = BuildRequest(method, Resolve(pathOrUri), null, null, stickyNode);
        using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The HTTP client, for uploads to presigned URLs.</summary>
    public HttpClient Http => _http;

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    internal static DatabendException ErrorFromResponse(HttpStatusCode status, ReadOnlySpan<byte> body, string? queryId, SecretRedactor redactor)
    {
        QueryError? error = QueryPageReader.TryReadErrorBody(body);
        bool transient = IsRetryableStatus(status) || (int)status >= 500 && error is null;
        if (error is not null)
        {
            return new DatabendException(
                $"Databend error {error.Code}: {redactor.Redact(error.Message)}",
                error.Code, queryId, status, redactor.RedactOrNull(error.Detail), transient);
        }

        // Redact the whole text before cutting it: a cut could split a secret and leave half.
        string text = redactor.Redact(Encoding.UTF8.GetString(body.Length > 64 * 1024 ? body[..(64 * 1024)] : body)).Trim();
        text = text.Length > 1024 ? text[..1024] : text;
        return new DatabendException(
            $"Databend answered HTTP {(int)status} {status}{(text.Length > 0 ? ": " + text : ".")}",
            null, queryId, status, null, transient);
    }

    private static bool IsRetryableStatus(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private HttpRequestMessage BuildRequest(HttpMethod method, Uri uri, ReadOnlyMemory<byte>? content, string? queryId, string? stickyNode)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (queryId is not null)
        {
            request.Headers.TryAddWithoutValidation(QueryIdHeader, queryId);
        }

        if (stickyNode is not null)
        {
            request.Headers.TryAddWithoutValidation(StickyNodeHeader, stickyNode);
        }

        if (_options.Warehouse is not null)
        {
            request.Headers.TryAddWithoutValidation(WarehouseHeader, _options.Warehouse);
        }

        if (_options.Tenant is not null)
        {
            request.Headers.TryAddWithoutValidation(TenantHeader, _options.Tenant);
        }

        if (content is ReadOnlyMemory<byte> bytes)
        {
            request.Content = new ReadOnlyMemoryContent(bytes);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return request;
    }

    private TimeSpan Backoff(int attempt)
    {
        double baseMs = _options.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        double capped = Math.Min(baseMs, _options.MaxRetryDelay.TotalMilliseconds);
        // Full jitter on the upper half keeps retries of many clients apart without ever waiting 0.
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }
}
