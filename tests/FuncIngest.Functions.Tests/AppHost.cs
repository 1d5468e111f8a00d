using FuncIngest.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace FuncIngest.Functions.Tests;

/// <summary>The app's own start-up (<see cref="FunctionsApp.Configure"/>) on the worker's own builder, with test settings.</summary>
internal static class AppHost
{
    /// <summary>Settings that pass the start-up validation of a Debug build; nothing listens at these addresses.</summary>
    public static Dictionary<string, string?> ValidSettings() => new()
    {
        ["KafkaBrokerList"] = "127.0.0.1:9",
        ["KafkaTopics"] = "events",
        ["KafkaProtocol"] = CompiledKafkaProtocol.Setting,
        ["KafkaUsername"] = "user",
        ["KafkaPassword"] = "secret",
        ["DatabendDsn"] = "databend://root:@127.0.0.1:9/default?sslmode=disable",
        ["StageConnectionString"] = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        ["FuncIngest:Staging:Table"] = "events",
        [FuncIngestSettings.TaskHubSetting] = "funcingesttest",
    };

    /// <summary>Runs the app's start-up on a fresh worker builder and builds the host (not started).</summary>
    public static (IHost Host, FuncIngestSettings Settings) Build(IDictionary<string, string?> settings)
    {
        FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(settings);
        FuncIngestSettings bound = FunctionsApp.Configure(builder);
        return (builder.Build(), bound);
    }
}
