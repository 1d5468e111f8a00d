using System.Globalization;
using System.Text;

namespace Databend.Client;

/// <summary>
/// Settings of a <see cref="DatabendClient"/>. Build them from a DSN with
/// <see cref="DatabendDsn.Parse(string)"/> or set them directly; <see cref="Validate"/> runs
/// when a client is created.
/// </summary>
public sealed class DatabendClientOptions
{
    /// <summary>Server host name or address.</summary>
    public string Host { get; set; } = "localhost";

    /// <summary>Server port; null means 443 with TLS and 80 without.</summary>
    public int? Port { get; set; }

    /// <summary>Use https (the default). <c>sslmode=disable</c> in a DSN turns it off.</summary>
    public bool UseTls { get; set; } = true;

    /// <summary>User name for basic authentication.</summary>
    public string? User { get; set; }

    /// <summary>Password for basic authentication. Never printed by <see cref="ToString"/>, logs or exceptions.</summary>
    public string? Password { get; set; }

    /// <summary>Bearer token (<c>access_token</c>); when set it is used instead of user/password.</summary>
    public string? AccessToken { get; set; }

    /// <summary>Default database of the session.</summary>
    public string? Database { get; set; }

    /// <summary>Databend Cloud warehouse, sent as <c>X-DATABEND-WAREHOUSE</c>.</summary>
    public string? Warehouse { get; set; }

    /// <summary>Tenant, sent as <c>X-DATABEND-TENANT</c>.</summary>
    public string? Tenant { get; set; }

    /// <summary>Role of the session.</summary>
    public string? Role { get; set; }

    /// <summary>Time limit for one HTTP request (not the whole statement). Default 60 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Time limit to open a connection. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the server may hold a poll open waiting for results (<c>wait_time_secs</c>, 1..60).</summary>
    public int WaitTimeSeconds { get; set; } = 10;

    /// <summary>Rows per result page (<c>max_rows_per_page</c>); null leaves the server default.</summary>
    public int? MaxRowsPerPage { get; set; }

    /// <summary>Retries of one HTTP request after a transient failure (0 disables). Default 5.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>First retry delay; doubles per attempt, with jitter, up to <see cref="MaxRetryDelay"/>. Default 200 ms.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of one retry delay. Default 10 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Session settings sent with every statement (DSN query keys the client does not know).</summary>
    public IDictionary<string, string> Settings { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The effective port.</summary>
    public int EffectivePort => Port ?? (UseTls ? 443 : 80);

    /// <summary>
    /// Largest response body read into memory, in bytes (default 64 MiB). A larger answer fails
    /// the statement with a <see cref="DatabendException"/>; lower <see cref="MaxRowsPerPage"/>
    /// for results with large rows.
    /// </summary>
    public int MaxResponseBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>The server's base address, e.g. <c>https://host:443/</c>.</summary>
    public Uri BaseAddress => new($"{(UseTls ? "https" : "http")}://{FormatHost(Host)}:{EffectivePort.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>Checks the settings and throws naming the first one that is wrong.</summary>
    /// <exception cref="ArgumentException">A setting is missing or out of range.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("Databend host is empty.", nameof(Host));
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"Databend port {Port} is out of range 1..65535.", nameof(Port));
        }

        if (string.IsNullOrEmpty(User) && string.IsNullOrEmpty(AccessToken))
        {
            throw new ArgumentException("Databend needs a user (databend://user:password@host) or an access_token.", nameof(User));
        }

        if (WaitTimeSeconds is < 1 or > 60)
        {
            throw new ArgumentException($"wait_time_secs {WaitTimeSeconds} is out of range 1..60.", nameof(WaitTimeSeconds));
        }

        if (MaxRowsPerPage is < 1)
        {
            throw new ArgumentException($"max_rows_per_page {MaxRowsPerPage} must be positive.", nameof(MaxRowsPerPage));
        }

        if (MaxResponseBytes < 64 * 1024)
        {
            throw new ArgumentException($"max_response_bytes {MaxResponseBytes} must be at least 65536.", nameof(MaxResponseBytes));
        }

        if (MaxRetries < 0)
        {
            throw new ArgumentException($"max_retries {MaxRetries} must not be negative.", nameof(MaxRetries));
        }

        if (RequestTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("Databend timeouts must be positive.", RequestTimeout <= TimeSpan.Zero ? nameof(RequestTimeout) : nameof(ConnectTimeout));
        }

        if (RetryDelay < TimeSpan.Zero || MaxRetryDelay < RetryDelay)
        {
            throw new ArgumentException("retry_delay must be non-negative and not above max_retry_delay.", nameof(RetryDelay));
        }

        foreach (string value in new[] { Host, User, Warehouse, Tenant, Role }.OfType<string>())
        {
            if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                throw new ArgumentException("Databend host, user, warehouse, tenant and role must not contain line breaks.");
            }
        }
    }

    /// <summary>A DSN-like description with the password and token masked.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("databend://");
        if (!string.IsNullOrEmpty(User))
        {
            text.Append(Uri.EscapeDataString(User));
            if (!string.IsNullOrEmpty(Password))
            {
                text.Append(":***");
            }

            text.Append('@');
        }

        text.Append(FormatHost(Host)).Append(':').Append(EffectivePort.ToString(CultureInfo.InvariantCulture)).Append('/').Append(Database);
        var query = new List<string>();
        if (!UseTls)
        {
            query.Add("sslmode=disable");
        }

        if (Warehouse is not null)
        {
            query.Add("warehouse=" + Uri.EscapeDataString(Warehouse));
        }

        if (AccessToken is not null)
        {
            query.Add("access_token=***");
        }

        if (query.Count > 0)
        {
            text.Append('?').AppendJoin('&', query);
        }

        return text.ToString();
    }

    private static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
}
