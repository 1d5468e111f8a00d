using Azure.Monitor.OpenTelemetry.Exporter;
using FuncIngest.Functions.Ingest;
using FuncIngest.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;

FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);

// Every setting is bound and validated here: a missing or malformed one stops the worker
// before any trigger starts, and the message names the setting.
FuncIngestSettings settings = FuncIngestSettings.Bind(builder.Configuration);
settings.ValidateForFunctions(KafkaConnection.ProtocolSetting);
builder.Services.AddFuncIngest(settings);
builder.Services.AddSingleton<TableIngestor>();

// Logs, traces and the FuncIngest meter through OpenTelemetry (host.json: telemetryMode),
// exported to Application Insights when the app has its connection string.
IOpenTelemetryBuilder telemetry = builder.Services.AddOpenTelemetry()
    .UseFunctionsWorkerDefaults()
    .WithMetrics(metrics => metrics.AddMeter(FuncIngestTelemetry.MeterName));
if (!string.IsNullOrEmpty(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
{
    telemetry.UseAzureMonitorExporter();
}

await builder.Build().RunAsync().ConfigureAwait(false);
