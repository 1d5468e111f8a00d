using System.Reflection;
using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using FuncIngest.Hosting;
using FuncIngest.Staging;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FuncIngest.Functions.Tests;

/// <summary>The worker's start-up as Program.cs runs it, up to the point where it needs the Functions host.</summary>
public sealed class StartupTests
{
    [Fact]
    public void Start_up_registers_core_the_loader_s_dependencies_and_opentelemetry()
    {
        (IHost host, FuncIngestSettings settings) = AppHost.Build(AppHost.ValidSettings());
        using (host)
        {
            IServiceProvider services = host.Services;

            Assert.Same(settings, services.GetRequiredService<FuncIngestSettings>());
            Assert.Equal("funcingesttest", settings.FuncIngestTaskHub);
            Assert.Equal("events", services.GetRequiredService<IngestPipeline>().DefaultTable);
            Assert.NotNull(services.GetRequiredService<IStageStore>());
            Assert.NotNull(services.GetRequiredService<TimeProvider>());
            // What the functions' constructors need, as the worker activates them.
            Assert.NotNull(ActivatorUtilities.CreateInstance<Loading.LoadTableActivity>(services));
            Assert.NotNull(ActivatorUtilities.CreateInstance<Loading.SweepFunction>(services));
            Assert.NotNull(ActivatorUtilities.CreateInstance<Loading.TableLoadScheduler>(services));
#if !FUNCINGEST_WITHOUT_KAFKA
            Assert.NotNull(services.GetRequiredService<Ingest.TableIngestor>());
#endif
            // OpenTelemetry: the meter and tracer providers exist (exporters only with a connection string).
            Assert.NotNull(services.GetRequiredService<MeterProvider>());
            Assert.NotNull(services.GetRequiredService<TracerProvider>());
            // The Durable extension's start-up ran: its converter over the worker's serializer.
            Assert.Equal("ObjectConverterShim", services.GetRequiredService<IOptionsMonitor<DurableTaskWorkerOptions>>().Get(Options.DefaultName).DataConverter.GetType().Name);
        }
    }

    [Theory]
    [InlineData("DatabendDsn", null)]
    [InlineData("FuncIngestTaskHub", null)]
    [InlineData("FuncIngestTaskHub", "%FuncIngest__TaskHub%")]
    [InlineData("KafkaTopics", "a,b")]
    [InlineData("KafkaProtocol", "Ssl")]
    [InlineData("KafkaConsumerGroup", null)]
    [InlineData("KafkaSessionTimeoutMs", "30000")]
    [InlineData("KafkaConsumer:queued.max.messages.kbytes", "8192")]
    [InlineData("FuncIngestSweepSchedule", null)]
    [InlineData("FuncIngestSweepSchedule", "*/5 * * * *")]
    [InlineData("APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "Authorization=AAD;ClientId=funcingest-identity")]
    public void A_missing_or_wrong_setting_stops_start_up_naming_it(string setting, string? value)
    {
        Dictionary<string, string?> settings = AppHost.ValidSettings();
        settings[setting] = value;

        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(() => AppHost.Build(settings));

        Assert.Equal(setting, e.Setting);
    }

    [Fact]
    public void This_build_validates_kafka_security_against_what_it_compiles_into_the_trigger()
    {
#if DEBUG
        Assert.Equal(FunctionsKafkaBuild.Debug, CompiledKafkaProtocol.Build);
#else
        // What is published, and what the Bicep's settings are validated against (Infra.Tests).
        Assert.Equal(FunctionsKafkaBuild.Release, CompiledKafkaProtocol.Build);
        Dictionary<string, string?> settings = AppHost.ValidSettings();
        settings["KafkaAuthenticationMode"] = "ScramSha512";

        Assert.Equal("KafkaAuthenticationMode", Assert.Throws<FuncIngestConfigurationException>(() => AppHost.Build(settings)).Setting);
#endif
    }

    [Fact]
    public void The_azure_monitor_exporter_authenticates_as_the_user_assigned_identity_the_authentication_string_names()
    {
        const string ClientId = "7d1c9a52-4a5e-4a4c-9f45-2a1f4c3e8b10";
        Dictionary<string, string?> settings = AppHost.ValidSettings();
        settings["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://127.0.0.1:9/";
        settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = $"ClientId={ClientId};Authorization=AAD";

        (IHost host, _) = AppHost.Build(settings);
        using (host)
        {
            AzureMonitorExporterOptions exporter = host.Services.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);

            // The exporter sends a bearer token only when it has a credential (AzureMonitorTransmitter);
            // without one, Application Insights with local auth off rejects every item.
            TokenCredential credential = Assert.IsAssignableFrom<TokenCredential>(exporter.Credential);
            Assert.Equal("ManagedIdentityCredential", credential.GetType().Name);
            Assert.True(Holds(credential, ClientId, depth: 6), "The exporter's credential does not carry the identity's client id.");
            Assert.Equal(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"], exporter.ConnectionString);
        }

        // Without the authentication string (local auth on, e.g. a developer's own resource): no credential.
        settings.Remove("APPLICATIONINSIGHTS_AUTHENTICATION_STRING");
        (IHost keyOnly, _) = AppHost.Build(settings);
        using (keyOnly)
        {
            Assert.Null(keyOnly.Services.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName).Credential);
        }
    }

    /// <summary>Whether <paramref name="value"/> is a string somewhere in the object's fields (the credential keeps its identity private).</summary>
    private static bool Holds(object? graph, string value, int depth)
    {
        if (graph is null || depth < 0)
        {
            return false;
        }

        if (graph is string text)
        {
            return text.Contains(value, StringComparison.OrdinalIgnoreCase);
        }

        Type type = graph.GetType();
        if (type.IsPrimitive || type.IsEnum || graph is Type or Delegate or System.Collections.IEnumerable)
        {
            return false;
        }

        for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (!field.FieldType.IsPointer && Holds(field.GetValue(graph), value, depth - 1))
                {
                    return true;
                }
            }
        }

        return false;
    }

    [Fact]
    public async Task Starting_the_worker_gets_as_far_as_connecting_to_the_functions_host()
    {
        (IHost host, _) = AppHost.Build(AppHost.ValidSettings());
        using (host)
        {
            // Without the host's gRPC endpoint (the host passes it on the command line), the
            // worker fails at start, after settings, DI and OpenTelemetry were set up.
            InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

            Assert.Contains("Functions:Worker:HostEndpoint", e.Message, StringComparison.Ordinal);
        }
    }
}
