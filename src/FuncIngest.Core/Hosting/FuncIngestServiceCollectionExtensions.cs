using Databend.Client;
using FuncIngest.Staging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Hosting;

/// <summary>Registers FuncIngest with dependency injection, as the Functions app does.</summary>
public static class FuncIngestServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="FuncIngestSettings"/> from <paramref name="configuration"/>, validates
    /// them now (so a host with a missing or malformed setting stops before it starts, naming
    /// the setting), and registers the settings, the Blob stage, Databend.Client and
    /// <see cref="IngestPipeline"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">App settings (flat names; nested ones with <c>:</c> or <c>__</c>).</param>
    /// <param name="kafka">Whether the Kafka settings are required (the host consumes Kafka).</param>
    /// <exception cref="FuncIngestConfigurationException">A setting is missing or wrong.</exception>
    public static IServiceCollection AddFuncIngest(this IServiceCollection services, IConfiguration configuration, bool kafka = true)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        FuncIngestSettings settings = FuncIngestSettings.Bind(configuration);
        settings.Validate(kafka, databend: true, stage: true);
        return services.AddFuncIngest(settings);
    }

    /// <summary>Registers FuncIngest over settings the caller bound and validated.</summary>
    public static IServiceCollection AddFuncIngest(this IServiceCollection services, FuncIngestSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddDatabendClient(settings.DatabendDsn!);
        services.AddSingleton(sp => settings.CreateStageStore(sp.GetRequiredService<DatabendClient>, sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.AddSingleton(sp => new IngestPipeline(
            settings,
            sp.GetRequiredService<IStageStore>(),
            sp.GetRequiredService<DatabendClient>,
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
