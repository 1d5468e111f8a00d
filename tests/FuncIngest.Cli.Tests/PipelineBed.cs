using System.CommandLine;
using System.Text.Json.Nodes;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;
using FuncIngest.TestSupport.Kafka;

namespace FuncIngest.Cli.Tests;

/// <summary>Kafka topic, stage container, Databend and a settings file for one end-to-end test.</summary>
internal sealed class PipelineBed : IAsyncDisposable
{
    private PipelineBed(DatabendTarget databend, string topic, string settingsFile, string table)
    {
        Databend = databend;
        Topic = topic;
        SettingsFile = settingsFile;
        Table = table;
    }

    public DatabendTarget Databend { get; }

    public string Topic { get; }

    public string SettingsFile { get; }

    public string Table { get; }

    public static async Task<PipelineBed> StartAsync(KafkaFixture kafka, AzuriteFixture azurite, int partitions, bool strictJson, bool internalStage = false, bool holdPartitionLocks = false)
    {
        // With an internal stage, the emulator keeps the stage's files in Azurite (a real server in its own storage).
        DatabendTarget databend = await DatabendTarget.StartAsync(
            internalStage && !DatabendTarget.UsesRealServer ? await azurite.CreateContainerAsync("databend", TestContext.Current.CancellationToken) : null);
        string topic = kafka.CreateTopic("e2e", partitions);
        string table = "e2e_" + Guid.NewGuid().ToString("N")[..10];
        string settingsFile = Path.Combine(Directory.CreateTempSubdirectory("funcingest-e2e-").FullName, "local.settings.json");
        var values = new JsonObject
        {
            ["KafkaBrokerList"] = kafka.BootstrapServers,
            ["KafkaTopics"] = topic,
            ["KafkaConsumerGroup"] = "g-" + table,
            ["KafkaSessionTimeoutMs"] = "6000",
            ["DatabendDsn"] = databend.Dsn,
            ["StageConnectionString"] = azurite.ConnectionString,
            ["StageContainer"] = "c-" + table.Replace('_', '-'),
            ["FuncIngest__Staging__Table"] = table,
            ["FuncIngest__Staging__Encoding__StrictJson"] = strictJson ? "true" : "false",
            ["FuncIngest__Loader__StageName"] = "s_" + table,
            ["FuncIngest__Loader__RetryDelay"] = "00:00:00.050",
            ["FuncIngest__Run__MaxBatchWaitMs"] = "200",
            ["FuncIngest__Stage__LockDuration"] = "00:00:15",
            ["FuncIngest__Run__MaxBatchRecords"] = "137",
            ["FuncIngest__Run__HoldPartitionLocks"] = holdPartitionLocks ? "true" : "false",
        };
        if (internalStage)
        {
            values.Remove("StageConnectionString");
            values["StageKind"] = "DatabendInternal";
        }

        await File.WriteAllTextAsync(settingsFile, new JsonObject { ["IsEncrypted"] = false, ["Values"] = values }.ToJsonString());
        return new PipelineBed(databend, topic, settingsFile, table);
    }

    public async Task<(int Exit, string Output)> CliAsync(CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        int exit = await CliApplication.InvokeAsync([.. args, "--settings", SettingsFile], new InvocationConfiguration { Output = output, Error = output }, cancellationToken);
        return (exit, output.ToString());
    }

    /// <summary>Starts <c>funcingest</c> as a separate process (the real executable, killable with SIGKILL).</summary>
    public System.Diagnostics.Process StartProcess(StringWriter log, params string[] args) =>
        CliProcess.Start(log, args.Concat(["--settings", SettingsFile]));

    public async ValueTask DisposeAsync()
    {
        await Databend.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(SettingsFile)!, recursive: true);
    }
}
