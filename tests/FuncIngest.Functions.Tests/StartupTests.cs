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
    public void A_missing_or_wrong_setting_stops_start_up_naming_it(string setting, string? value)
    {
        Dictionary<string, string?> settings = AppHost.ValidSettings();
        settings[setting] = value;

        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(() => AppHost.Build(settings));

        Assert.Equal(setting, e.Setting);
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
