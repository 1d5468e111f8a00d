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

    public DatabendTransport(DatabendClientOptions options, HttpClient? http, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.All,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _authorization = options.AccessToken is { Length: > 0 } token
            ? new AuthenticationHeaderValue("Bearer", token)
            : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.User}:{options.Password}")));
    }

    public Uri Resolve(string pathOrUri) => new(_options.BaseAddress, pathOrUri);

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
                    Stream stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                    await using (stream.ConfigureAwait(false))
                    {
                        await body.ReadFromAsync(stream, timeout.Token).ConfigureAwait(false);
                    }

                    if (response.IsSuccessStatusCode)
                    {
                        return attempt;
                    }

                    status = response.StatusCode;
                    if (!IsRetryableStatus(response.StatusCode))
                    {
                        throw ErrorFromResponse(response.StatusCode, body.WrittenSpan, queryId);
                    }

                    failure = $"HTTP {(int)response.StatusCode}";
                    inner = ErrorFromResponse(response.StatusCode, body.WrittenSpan, queryId);
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

    internal static DatabendException ErrorFromResponse(HttpStatusCode status, ReadOnlySpan<byte> body, string? queryId)
    {
        QueryError? error = QueryPageReader.TryReadErrorBody(body);
        bool transient = IsRetryableStatus(status) || (int)status >= 500 && error is null;
        if (error is not null)
        {
            return new DatabendException(
                $"Databend error {error.Code}: {error.Message}",
                error.Code, queryId, status, error.Detail, transient);
        }

        string text = Encoding.UTF8.GetString(body.Length > 1024 ? body[..1024] : body).Trim();
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
