using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using FuncIngest.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
#if !FUNCINGEST_WITHOUT_KAFKA
using FuncIngest.Functions.Ingest;
#endif

namespace FuncIngest.Functions;

/// <summary>
/// The worker's start-up, apart from Program.cs so that tests run exactly this on a builder
/// and check what it registers, up to the point where the worker needs the Functions host.
/// </summary>
internal static class FunctionsApp
{
    /// <summary>Binds and validates every setting, registers Core and the app's services, and sets up OpenTelemetry.</summary>
    /// <exception cref="FuncIngestConfigurationException">A setting is missing, wrong, or contradicts the build.</exception>
    public static FuncIngestSettings Configure(FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Every setting is bound and validated here: a missing or malformed one stops the worker
        // before any trigger starts, and the message names the setting.
        FuncIngestSettings settings = FuncIngestSettings.Bind(builder.Configuration);
        settings.ValidateForFunctions(CompiledKafkaProtocol.Build);
        TelemetryAuthentication telemetryAuthentication = TelemetryAuthentication.Parse(builder.Configuration[TelemetryAuthentication.Setting]);
        builder.Services.AddFuncIngest(settings);
        builder.UseMiddleware<InvocationLogScopeMiddleware>();
        // Each Databend request logs four HttpClient lines at Information (72 for one batch under
        // the real host); the client logs what matters itself.
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
#if !FUNCINGEST_WITHOUT_KAFKA
        builder.Services.AddSingleton<TableIngestor>();
#endif

        // Logs, traces and the FuncIngest meter through OpenTelemetry (host.json: telemetryMode),
        // exported to Application Insights when the app has its connection string.
        IOpenTelemetryBuilder telemetry = builder.Services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithMetrics(metrics => metrics.AddMeter(FuncIngestTelemetry.MeterName));
        if (builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] is { Length: > 0 } connectionString)
        {
            // The exporter reads the connection string but not APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
            // which only the host reads; with local auth off (the Bicep) it needs a token credential,
            // or Application Insights rejects everything the worker sends. Same identity as the host's.
            ManagedIdentityCredential? credential = telemetryAuthentication.UsesEntraId
                ? new ManagedIdentityCredential(telemetryAuthentication.ClientId is { } clientId
                    ? ManagedIdentityId.FromUserAssignedClientId(clientId)
                    : ManagedIdentityId.SystemAssigned)
                : null;
            telemetry.UseAzureMonitorExporter(exporter =>
            {
                exporter.ConnectionString = connectionString;
                exporter.Credential = credential;
            });
        }

        return settings;
    }
}
