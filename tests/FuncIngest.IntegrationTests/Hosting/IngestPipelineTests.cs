using Azure.Storage.Blobs;
using Databend.Client;
using FuncIngest.Hosting;
using FuncIngest.IntegrationTests.Staging;
using FuncIngest.Loading;
using FuncIngest.Staging;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FuncIngest.IntegrationTests.Hosting;

/// <summary>The pipeline as the Functions app resolves it from app settings: Azurite, and the emulator or a real Databend.</summary>
public sealed class IngestPipelineTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + shift;
    }

    private static async Task<(DatabendTarget Target, ServiceProvider Services, string Table)> StartAsync(AzuriteFixture azurite, string? missingContainer = null, bool ensureObjects = true)
    {
        DatabendTarget target = await DatabendTarget.StartAsync();
        string containerName = missingContainer ?? (await azurite.CreateContainerAsync("pipe", Ct)).Name;
        string table = "events_" + Guid.NewGuid().ToString("N")[..10];
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KafkaBrokerList"] = "127.0.0.1:9",
            ["KafkaTopics"] = "events",
            ["DatabendDsn"] = target.Dsn,
            ["StageConnectionString"] = azurite.ConnectionString,
            ["StageContainer"] = containerName,
            ["FuncIngest:Loader:EnsureObjects"] = ensureObjects ? "true" : "false",
            ["FuncIngest:Staging:Table"] = table,
            ["FuncIngest:Staging:Prefix"] = "fi",
            ["FuncIngest:Staging:Tables"] = table + "_orders",
            ["FuncIngest:Loader:StageName"] = "st_" + Guid.NewGuid().ToString("N")[..10],
            ["FuncIngest:Loader:RetryDelay"] = "00:00:00.020",
        }).Build();
        return (target, new ServiceCollection().AddLogging().AddFuncIngest(configuration).BuildServiceProvider(), table);
    }

    private static async Task<List<(int Partition, long Offset)>> RowsAsync(DatabendClient client, string table) =>
        [.. (await client.ExecuteAsync($"SELECT kpartition, koffset FROM {table} ORDER BY kpartition, koffset", Ct)).Rows.Select(r => (r.GetInt32(0), r.GetInt64(1)))];

    [Fact]
    public async Task Stages_and_loads_the_default_and_a_routed_table_creating_them_and_loads_a_redelivered_batch_once()
    {
        (DatabendTarget target, ServiceProvider services, string table) = await StartAsync(azurite);
        await using (target)
        await using (services)
        {
            IngestPipeline pipeline = services.GetRequiredService<IngestPipeline>();
            string orders = table + "_orders";

            StageBatchResult first = await pipeline.StageAsync(StageTestKit.MakeRecords("events", 0, 0, 99), cancellationToken: Ct);
            await pipeline.StageAsync(StageTestKit.MakeRecords("orders", 2, 10, 19), orders, Ct);
            long? beforeLoading = pipeline.LoadedBelow("events", 0);
            LoadResult loaded = await pipeline.LoadAsync(table, Ct);
            LoadResult loadedOrders = await pipeline.LoadAsync(orders, Ct);

            // What the loads taught the pipeline: below which offset each table holds a partition.
            Assert.Null(beforeLoading);
            Assert.Equal((100L, 20L), (pipeline.LoadedBelow("events", 0), pipeline.LoadedBelow("orders", 2, orders)));
            Assert.Null(pipeline.LoadedBelow("events", 0, orders));
            Assert.Null(pipeline.LoadedBelow("events", 1));

            // Redelivery with other boundaries after the load: the loaded files are gone from the
            // stage, so all 100 records are staged again, and the ledger trims 50..99 at load.
            StageBatchResult redelivered = await pipeline.StageAsync(StageTestKit.MakeRecords("events", 0, 50, 149), cancellationToken: Ct);
            LoadResult again = await pipeline.LoadAsync(table, Ct);

            Assert.Equal((100, 100L, 10L), (first.StagedRecords, loaded.RowsLoaded, loadedOrders.RowsLoaded));
            Assert.Equal((100, 50L), (redelivered.StagedRecords, again.RowsLoaded));
            Assert.Equal(150L, pipeline.LoadedBelow("events", 0));

            // A pipeline of another process learns the same from the ledger.
            var other = new IngestPipeline(pipeline.Settings, services.GetRequiredService<IStageStore>(), services.GetRequiredService<DatabendClient>);
            await other.ReadLoadedOffsetsAsync(orders, Ct);
            Assert.Equal(20L, other.LoadedBelow("orders", 2, orders));
            Assert.Null(other.LoadedBelow("events", 0));
            await other.ReadLoadedOffsetsAsync(cancellationToken: Ct);
            Assert.Equal(150L, other.LoadedBelow("events", 0));
            using DatabendClient client = services.GetRequiredService<DatabendClient>();
            Assert.Equal(Enumerable.Range(0, 150).Select(o => (0, (long)o)), await RowsAsync(client, table));
            Assert.Equal(Enumerable.Range(10, 10).Select(o => (2, (long)o)), await RowsAsync(client, orders));

            // A ledger moved back (`funcingest ledger reset`, hosts stopped) is followed by the next
            // ledger read and by the next load pass, never kept at the higher value.
            var ledger = new FuncIngest.Operations.LedgerManager(services.GetRequiredService<DatabendClient>, services.GetRequiredService<IStageStore>(), pipeline.Settings.Staging, pipeline.Settings.Loader);
            await ledger.ResetAsync(new FuncIngest.Operations.LedgerReset("events", 0, 120), new Dictionary<int, long> { [0] = 150 }, apply: true, Ct);
            await other.ReadLoadedOffsetsAsync(cancellationToken: Ct);
            await pipeline.StageAsync(StageTestKit.MakeRecords("events", 1, 0, 9), cancellationToken: Ct);
            await pipeline.LoadAsync(table, Ct);
            Assert.Equal((120L, 120L, 10L), (other.LoadedBelow("events", 0), pipeline.LoadedBelow("events", 0), pipeline.LoadedBelow("events", 1)));
        }
    }

    [Fact]
    public async Task First_use_without_init_creates_the_container_table_ledger_and_stage_when_EnsureObjects_is_on()
    {
        string fresh = "fresh-" + Guid.NewGuid().ToString("N")[..12];
        (DatabendTarget target, ServiceProvider services, string table) = await StartAsync(azurite, missingContainer: fresh);
        await using (target)
        await using (services)
        {
            IngestPipeline pipeline = services.GetRequiredService<IngestPipeline>();

            StageBatchResult staged = await pipeline.StageAsync(StageTestKit.MakeRecords("events", 0, 0, 9), cancellationToken: Ct);
            LoadResult loaded = await pipeline.LoadAsync(table, Ct);

            Assert.True((await new BlobContainerClient(azurite.ConnectionString, fresh).ExistsAsync(Ct)).Value);
            Assert.Equal((10, 10L), (staged.StagedRecords, loaded.RowsLoaded));
        }
    }

    [Fact]
    public async Task With_EnsureObjects_off_a_missing_container_is_not_created()
    {
        string fresh = "fresh-" + Guid.NewGuid().ToString("N")[..12];
        (DatabendTarget target, ServiceProvider services, _) = await StartAsync(azurite, missingContainer: fresh, ensureObjects: false);
        await using (target)
        await using (services)
        {
            IngestPipeline pipeline = services.GetRequiredService<IngestPipeline>();

            await Assert.ThrowsAsync<Azure.RequestFailedException>(() => pipeline.StageAsync(StageTestKit.MakeRecords("events", 0, 0, 9), cancellationToken: Ct));
            Assert.False((await new BlobContainerClient(azurite.ConnectionString, fresh).ExistsAsync(Ct)).Value);
        }
    }

    [Fact]
    public async Task Files_staged_without_a_load_are_found_by_the_sweeper_once_older_than_the_threshold()
    {
        (DatabendTarget target, ServiceProvider services, string table) = await StartAsync(azurite);
        await using (target)
        await using (services)
        {
            IngestPipeline pipeline = services.GetRequiredService<IngestPipeline>();
            await pipeline.StageAsync(StageTestKit.MakeRecords("events", 1, 0, 9), cancellationToken: Ct);

            Assert.DoesNotContain(await pipeline.FindStrandedAsync(Ct), s => s.Table == table);

            // The same stage seen six minutes later (threshold five): stranded; loading clears it.
            var sixMinutesOn = new IngestPipeline(pipeline.Settings, services.GetRequiredService<IStageStore>(), services.GetRequiredService<DatabendClient>, timeProvider: new ShiftedTime(TimeSpan.FromMinutes(6)));
            StrandedTable stranded = Assert.Single(await sixMinutesOn.FindStrandedAsync(Ct), s => s.Table == table);
            Assert.Equal(1, stranded.Files);

            await sixMinutesOn.LoadAsync(table, Ct);
            Assert.DoesNotContain(await sixMinutesOn.FindStrandedAsync(Ct), s => s.Table == table);
        }
    }
}
