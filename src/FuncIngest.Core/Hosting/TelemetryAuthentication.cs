namespace FuncIngest.Hosting;

/// <summary>
/// How the app's own telemetry authenticates to Application Insights, read from the setting the
/// Functions host reads for its telemetry, <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>
/// (<c>Authorization=AAD</c>, with <c>ClientId=...</c> for a user-assigned identity). The worker's
/// Azure Monitor exporter does not read that setting (Azure/azure-sdk-for-net,
/// <c>sdk/monitor/Azure.Monitor.OpenTelemetry.Exporter/src/Internals/AzureMonitorTransmitter.cs</c>:
/// a bearer token only from <c>AzureMonitorExporterOptions.Credential</c>), so the worker builds the
/// credential from it, and host and worker publish as the same identity.
/// </summary>
/// <param name="UsesEntraId">True for <c>Authorization=AAD</c>: telemetry needs a Microsoft Entra token (Application Insights with local auth off).</param>
/// <param name="ClientId">The user-assigned managed identity's client id; null for the system-assigned identity.</param>
public sealed record TelemetryAuthentication(bool UsesEntraId, string? ClientId)
{
    /// <summary>The setting's name, shared with the Functions host.</summary>
    public const string Setting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>No authentication string: the connection string's instrumentation key alone (local auth on).</summary>
    public static TelemetryAuthentication None { get; } = new(false, null);

    /// <summary>Reads <c>Authorization=AAD[;ClientId=...]</c>; null or empty means <see cref="None"/>.</summary>
    /// <exception cref="FuncIngestConfigurationException">The value is not of that form.</exception>
    public static TelemetryAuthentication Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return None;
        }

        string? authorization = null;
        string? clientId = null;
        foreach (string part in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            string key = equals > 0 ? part[..equals].Trim() : throw Invalid(value, $"'{part}' is not key=value");
            string item = part[(equals + 1)..].Trim();
            if (key.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                authorization = item;
            }
            else if (key.Equals("ClientId", StringComparison.OrdinalIgnoreCase))
            {
                clientId = Guid.TryParse(item, out _) ? item : throw Invalid(value, $"ClientId '{item}' is not a client id (a GUID)");
            }
            else
            {
                throw Invalid(value, $"'{key}' is not Authorization or ClientId");
            }
        }

        return string.Equals(authorization, "AAD", StringComparison.OrdinalIgnoreCase)
            ? new TelemetryAuthentication(true, clientId)
            : throw Invalid(value, "it has no Authorization=AAD");
    }

    private static FuncIngestConfigurationException Invalid(string value, string problem) =>
        new(Setting, $"'{value}' is not 'Authorization=AAD[;ClientId=<client id of the user-assigned identity>]': {problem}.");
}
