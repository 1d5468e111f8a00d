using System.Globalization;

namespace Databend.Client;

/// <summary>
/// Parses the DSNs the official Databend drivers (bendsql, databend-go, databend-driver) accept:
/// <c>databend://user:password@host:port/database?sslmode=disable&amp;warehouse=w&amp;key=value</c>.
/// </summary>
/// <remarks>
/// Schemes: <c>databend</c> and <c>databend+https</c> use TLS unless <c>sslmode=disable</c>;
/// <c>databend+http</c> never does. User and password are percent-decoded. Known query keys set
/// client options; every other key becomes a session setting sent with each statement.
/// </remarks>
public static class DatabendDsn
{
    /// <summary>Parses a DSN into options.</summary>
    /// <exception cref="FormatException">The DSN is malformed; the message says how, without the password.</exception>
    public static DatabendClientOptions Parse(string dsn)
    {
        ArgumentNullException.ThrowIfNull(dsn);
        if (!Uri.TryCreate(dsn.Trim(), UriKind.Absolute, out Uri? uri))
        {
            throw new FormatException("The Databend DSN is not a URI; expected databend://user:password@host:port/database?options.");
        }

        var options = new DatabendClientOptions();
        switch (uri.Scheme.ToLowerInvariant())
        {
            case "databend":
            case "databend+https":
                options.UseTls = true;
                break;
            case "databend+http":
                options.UseTls = false;
                break;
            default:
                throw new FormatException($"The Databend DSN scheme '{uri.Scheme}' is not supported; use databend://, databend+http:// or databend+https://.");
        }

        if (string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("The Databend DSN has no host.");
        }

        options.Host = uri.Host.Trim('[', ']');
        if (!uri.IsDefaultPort && uri.Port > 0)
        {
            options.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            options.User = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            options.Password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }

        string database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        options.Database = database.Length == 0 ? null : database;

        foreach ((string key, string value) in QueryPairs(uri.Query))
        {
            Apply(options, key, value);
        }

        if (uri.Scheme.Equals("databend+http", StringComparison.OrdinalIgnoreCase))
        {
            options.UseTls = false;
        }

        return options;
    }

    private static void Apply(DatabendClientOptions options, string key, string value)
    {
        switch (key.ToLowerInvariant())
        {
            case "sslmode":
                options.UseTls = !value.Equals("disable", StringComparison.OrdinalIgnoreCase);
                break;
            case "warehouse":
                options.Warehouse = value;
                break;
            case "tenant":
                options.Tenant = value;
                break;
            case "role":
                options.Role = value;
                break;
            case "access_token":
                options.AccessToken = value;
                break;
            case "database":
                options.Database = value;
                break;
            case "timeout":
                options.RequestTimeout = ParseDuration(key, value);
                break;
            case "connect_timeout":
                options.ConnectTimeout = ParseDuration(key, value);
                break;
            case "wait_time_secs":
                options.WaitTimeSeconds = ParseInt(key, value);
                break;
            case "max_rows_per_page":
                options.MaxRowsPerPage = ParseInt(key, value);
                break;
            case "max_retries":
            case "retry_count":
                options.MaxRetries = ParseInt(key, value);
                break;
            case "retry_delay":
                options.RetryDelay = ParseDuration(key, value);
                break;
            case "max_retry_delay":
                options.MaxRetryDelay = ParseDuration(key, value);
                break;
            default:
                options.Settings[key] = value;
                break;
        }
    }

    private static IEnumerable<(string Key, string Value)> QueryPairs(string query)
    {
        foreach (string pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            string key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            string value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            if (key.Length == 0)
            {
                throw new FormatException("The Databend DSN has an option with an empty name.");
            }

            yield return (key, value);
        }
    }

    private static int ParseInt(string key, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new FormatException($"The Databend DSN option '{key}' must be an integer, not '{value}'.");

    /// <summary>Seconds as a bare number, or a number with ms, s, m or h.</summary>
    private static TimeSpan ParseDuration(string key, string value)
    {
        string v = value.Trim().ToLowerInvariant();
        (string number, double scale) = v switch
        {
            _ when v.EndsWith("ms", StringComparison.Ordinal) => (v[..^2], 0.001),
            _ when v.EndsWith('s') => (v[..^1], 1.0),
            _ when v.EndsWith('m') => (v[..^1], 60.0),
            _ when v.EndsWith('h') => (v[..^1], 3600.0),
            _ => (v, 1.0),
        };
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) && amount >= 0
            ? TimeSpan.FromSeconds(amount * scale)
            : throw new FormatException($"The Databend DSN option '{key}' must be a duration such as 30, 30s or 500ms, not '{value}'.");
    }
}
