using System.Reflection;
using FuncIngest.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.Core;
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
        ["KafkaConsumerGroup"] = "funcingest",
        ["KafkaProtocol"] = CompiledKafkaProtocol.Build.Protocol,
        ["KafkaAuthenticationMode"] = CompiledKafkaProtocol.Build.AuthenticationMode ?? "Plain",
        ["KafkaUsername"] = "user",
        ["KafkaPassword"] = "secret",
        ["DatabendDsn"] = "databend://root:@127.0.0.1:9/default?sslmode=disable",
        ["StageConnectionString"] = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        ["FuncIngest:Staging:Table"] = "events",
        [FuncIngestSettings.TaskHubSetting] = "funcingesttest",
        [FuncIngestSettings.SweepScheduleSetting] = "0 */5 * * * *",
    };

    /// <summary>Runs the app's start-up on a fresh worker builder and builds the host (not started).</summary>
    public static (IHost Host, FuncIngestSettings Settings) Build(IDictionary<string, string?> settings)
    {
        FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder([]);
        // The worker runs the extensions' start-up code (the Durable extension's converter,
        // client and worker set-up) through a class the SDK generates into the app's assembly,
        // found from the entry assembly; under the test runner the entry assembly is not the
        // app's, so it is run here, the same way.
        Type executor = typeof(FunctionsApp).Assembly.GetCustomAttribute<WorkerExtensionStartupCodeExecutorInfoAttribute>()?.StartupCodeExecutorType
            ?? throw new InvalidOperationException("The Worker SDK generated no extension start-up executor into FuncIngest.Functions.");
        ((WorkerExtensionStartup)Activator.CreateInstance(executor)!).Configure(builder);
        builder.Configuration.AddInMemoryCollection(settings);
        FuncIngestSettings bound = FunctionsApp.Configure(builder);
        return (builder.Build(), bound);
    }
}
