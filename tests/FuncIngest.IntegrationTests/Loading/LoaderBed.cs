using Azure.Storage.Blobs;
using Databend.Client;
using FuncIngest.IntegrationTests.Staging;
using FuncIngest.Loading;
using FuncIngest.Staging;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;

namespace FuncIngest.IntegrationTests.Loading;

/// <summary>A table, its stage in Azurite, the emulator, a stager and loaders, set up for one test.</summary>
internal sealed class LoaderBed : IAsyncDisposable
{
    private LoaderBed(DatabendTarget target, BlobContainerClient container, StagingOptions staging, LoaderOptions loader)
    {
        Target = target;
        Container = container;
        Staging = staging;
        Loader = loader;
        Store = new AzureBlobStageStore(container);
        Stager = new BatchStager(Store, staging);
    }

    public DatabendTarget Target { get; }

    public DatabendEmulator Emulator => Target.Emulator ?? throw new InvalidOperationException("emulator only");

    public BlobContainerClient Container { get; }

    public StagingOptions Staging { get; }

    public LoaderOptions Loader { get; }

    public AzureBlobStageStore Store { get; }

    public BatchStager Stager { get; }

    public string Table => Staging.Table;

    public static async Task<LoaderBed> StartAsync(AzuriteFixture azurite, CancellationToken cancellationToken)
    {
        DatabendTarget target = await DatabendTarget.StartAsync();
        BlobContainerClient container = await azurite.CreateContainerAsync("load", cancellationToken);
        var staging = new StagingOptions { Table = "events_" + Guid.NewGuid().ToString("N")[..10], Prefix = "fi" };
        var loader = new LoaderOptions { StageName = "st_" + Guid.NewGuid().ToString("N")[..10], RetryDelay = TimeSpan.FromMilliseconds(20), MaxTransactionAttempts = 6 };
        var bed = new LoaderBed(target, container, staging, loader);
        using DatabendClient client = bed.Client();
        await DatabendSetup.EnsureAsync(client, staging, loader,
            new AzureStageConnection(azurite.BlobEndpoint.ToString(), AzuriteFixture.AccountName, AzuriteFixture.AccountKey, container.Name), cancellationToken);
        return bed;
    }

    /// <summary>A session with client-level retries off, so injected faults reach the loader.</summary>
    public DatabendClient Client() => new(Target.Dsn + "&max_retries=0");

    public TableLoader NewLoader(IStageStore? store = null) => new(Client, store ?? Store, Staging, Loader);

    public Task<StageBatchResult> StageAsync(string topic, int partition, long from, long to, CancellationToken cancellationToken) =>
        Stager.StageAsync(StageTestKit.MakeRecords(topic, partition, from, to), cancellationToken);

    /// <summary>(kpartition, koffset) of every row, sorted.</summary>
    public async Task<List<(int Partition, long Offset)>> RowsAsync(CancellationToken cancellationToken)
    {
        using DatabendClient client = Client();
        DatabendResult result = await client.ExecuteAsync($"SELECT kpartition, koffset FROM {Table} ORDER BY kpartition, koffset", cancellationToken);
        return [.. result.Rows.Select(r => (r.GetInt32(0), r.GetInt64(1)))];
    }

    public static List<(int Partition, long Offset)> Expected(params (int Partition, long From, long To)[] ranges) =>
        [.. ranges.SelectMany(r => Enumerable.Range(0, (int)(r.To - r.From + 1)).Select(i => (r.Partition, r.From + i))).Order()];

    public async Task<int> StagedFileCountAsync() =>
        (await StageTestKit.StagedFilesAsync(Container, $"{Staging.Prefix}/{Table}/")).Count;

    public async ValueTask DisposeAsync() => await Target.DisposeAsync();
}
