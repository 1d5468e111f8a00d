using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Databend.Client;

/// <summary>Registers Databend.Client with dependency injection.</summary>
public static class DatabendServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the clients use (configure it with <c>AddHttpClient</c>).</summary>
    public const string HttpClientName = "Databend";

    /// <summary>
    /// Registers <see cref="DatabendClientOptions"/> (validated at start), a named HTTP client
    /// from IHttpClientFactory, and <see cref="DatabendClient"/> as transient: each resolved
    /// client is its own session.
    /// </summary>
    public static IServiceCollection AddDatabendClient(this IServiceCollection services, Action<DatabendClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<DatabendClientOptions>()
            .Configure(configure)
            .Validate(o =>
            {
                o.Validate();
                return true;
            })
            .ValidateOnStart();
        // Redirects off: a redirect would re-send the Authorization header and the SQL body
        // (which can hold a storage key) to whatever host the Location names.
        services.AddHttpClient(HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => DatabendClient.CreateHttpHandler(null));
        services.AddTransient(sp => new DatabendClient(
            sp.GetRequiredService<IOptions<DatabendClientOptions>>().Value,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetService<ILogger<DatabendClient>>()));
        return services;
    }

    /// <summary>Registers Databend.Client configured from a DSN.</summary>
    public static IServiceCollection AddDatabendClient(this IServiceCollection services, string dsn)
    {
        DatabendClientOptions parsed = DatabendDsn.Parse(dsn);
        return services.AddDatabendClient(o => CopyTo(parsed, o));
    }

    private static void CopyTo(DatabendClientOptions from, DatabendClientOptions to)
    {
        to.Host = from.Host;
        to.Port = from.Port;
        to.UseTls = from.UseTls;
        to.User = from.User;
        to.Password = from.Password;
        to.AccessToken = from.AccessToken;
        to.Database = from.Database;
        to.Warehouse = from.Warehouse;
        to.Tenant = from.Tenant;
        to.Role = from.Role;
        to.RequestTimeout = from.RequestTimeout;
        to.ConnectTimeout = from.ConnectTimeout;
        to.WaitTimeSeconds = from.WaitTimeSeconds;
        to.MaxRowsPerPage = from.MaxRowsPerPage;
        to.MaxRetries = from.MaxRetries;
        to.RetryDelay = from.RetryDelay;
        to.MaxRetryDelay = from.MaxRetryDelay;
        to.MaxResponseBytes = from.MaxResponseBytes;
        foreach ((string key, string value) in from.Settings)
        {
            to.Settings[key] = value;
        }
    }
}
