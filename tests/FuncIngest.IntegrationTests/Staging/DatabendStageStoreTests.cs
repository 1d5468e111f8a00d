using System.Text;
using Azure.Storage.Blobs;
using Databend.Client;
using FuncIngest.IntegrationTests.Loading;
using FuncIngest.Loading;
using FuncIngest.Staging;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;

namespace FuncIngest.IntegrationTests.Staging;

/// <summary>
/// The Databend internal stage through PRESIGN, LIST and REMOVE. Against the emulator the
/// stage's storage is an Azurite container and presigned URLs are SAS URLs; with
/// DATABEND_TEST_DSN set, the real server's own storage is used.
/// </summary>
public sealed class DatabendStageStoreTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Commits_once_lists_with_metadata_reads_back_and_deletes_with_the_sidecar(bool namesRelativeToLocation)
    {
        await using Bed bed = await Bed.StartAsync(azurite);
        if (namesRelativeToLocation)
        {
            // Databend's tests show LIST names relative to the stage root; the store must not lose files if a server names them relative to the listed folder.
            Assert.SkipWhen(bed.Target.Emulator is null, "emulator-only: makes LIST name files relative to the listed folder");
            bed.Target.Emulator.ListNamesRelativeToLocation = true;
        }

        DatabendStageStore store = bed.Store();
        byte[] content = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 5000).Select(i => $"{{\"i\":{i}}}\n")));

        Assert.True(await CommitAsync(store, "fi/t/orders/0/a.ndjson", content, new() { ["funcingest_count"] = "5000", ["funcingest_offsets"] = "0-4999" }));
        Assert.False(await CommitAsync(store, "fi/t/orders/0/a.ndjson", "other"u8.ToArray(), new() { ["funcingest_count"] = "1" }));
        Assert.True(await CommitAsync(store, "fi/t/orders/1/b.ndjson", "{}\n"u8.ToArray(), new() { ["funcingest_count"] = "1" }));

        List<StagedObject> listed = await ListAsync(store, "fi/t/orders/");
        Assert.Equal(["fi/t/orders/0/a.ndjson", "fi/t/orders/1/b.ndjson"], listed.Select(o => o.Path));
        StagedObject first = listed[0];
        Assert.Equal((long)content.Length, first.Size);
        Assert.Equal(("5000", "0-4999"), (first.Metadata["funcingest_count"], first.Metadata["funcingest_offsets"]));

        await using (Stream read = await store.OpenReadAsync(first.Path, Ct))
        {
            using var copy = new MemoryStream();
            await read.CopyToAsync(copy, Ct);
            Assert.Equal(content, copy.ToArray());
        }

        await store.DeleteAsync(first.Path, Ct);
        await store.DeleteAsync("fi/t/orders/0/never-there.ndjson", Ct);
        Assert.Equal(["fi/t/orders/1/b.ndjson"], (await ListAsync(store, "fi/t/")).Select(o => o.Path));
        if (bed.Storage is { } storage)
        {
            // No orphan sidecar is left behind in the stage's storage.
            var names = new List<string>();
            await foreach (Azure.Storage.Blobs.Models.BlobItem item in storage.GetBlobsAsync(cancellationToken: Ct))
            {
                names.Add(item.Name);
            }

            Assert.DoesNotContain(names, n => n.Contains("/0/a.ndjson", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Bad_paths_are_refused_before_any_sql_is_sent()
    {
        await using Bed bed = await Bed.StartAsync(azurite);
        DatabendStageStore store = bed.Store();

        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => store.StartUploadAsync("fi/it's/x", Ct));
        Assert.Contains("Databend stage path", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Staged_batches_load_exactly_once_through_the_internal_stage_after_a_redelivery_with_other_boundaries()
    {
        await using Bed bed = await Bed.StartAsync(azurite);
        var stager = new BatchStager(bed.Store(), bed.Staging);
        await stager.StageAsync(StageTestKit.MakeRecords("orders", 0, 0, 99), Ct);
        await stager.StageAsync(StageTestKit.MakeRecords("orders", 1, 0, 49), Ct);

        LoadResult first = await bed.Loader().LoadAllAsync(Ct);
        // Redelivered after the load, with other boundaries: 50..149 of partition 0.
        StageBatchResult again = await stager.StageAsync(StageTestKit.MakeRecords("orders", 0, 50, 149), Ct);
        LoadResult second = await bed.Loader().LoadAllAsync(Ct);

        // The loaded files were deleted, so the whole batch is staged again and the ledger trims it to 100..149.
        Assert.Equal(100, again.StagedRecords);
        Assert.Equal((150L, 50L), (first.RowsLoaded, second.RowsLoaded));
        Assert.Equal(LoaderBed.Expected((0, 0, 149), (1, 0, 49)), await bed.RowsAsync());
        Assert.Empty(await ListAsync(bed.Store(), $"{bed.Staging.Prefix}/{bed.Staging.Table}/"));
    }

    [Fact]
    public async Task A_failure_between_the_sidecar_and_the_data_upload_shows_nothing_and_the_retry_loads_the_batch_once()
    {
        await using Bed bed = await Bed.StartAsync(azurite);
        Assert.SkipWhen(bed.Target.Emulator is null, "emulator-only: injects a fault into PRESIGN");
        bed.Target.Emulator.InjectFault(new DatabendFault(@"^PRESIGN UPLOAD .*\.ndjson\.zst$", DatabendFaultKind.FailWithCode));
        var stager = new BatchStager(bed.Store(), bed.Staging);

        await Assert.ThrowsAsync<DatabendException>(() => stager.StageAsync(StageTestKit.MakeRecords("orders", 0, 0, 99), Ct));
        Assert.Empty(await ListAsync(bed.Store(), $"{bed.Staging.Prefix}/{bed.Staging.Table}/"));

        StageBatchResult retried = await new BatchStager(bed.Store(), bed.Staging).StageAsync(StageTestKit.MakeRecords("orders", 0, 0, 99), Ct);
        await bed.Loader().LoadAllAsync(Ct);

        Assert.Equal(100, retried.StagedRecords);
        Assert.Equal(LoaderBed.Expected((0, 0, 99)), await bed.RowsAsync());
    }

    [Fact]
    public async Task Two_processes_writing_one_partition_without_a_shared_lock_still_load_every_record_once()
    {
        await using Bed bed = await Bed.StartAsync(azurite);
        // Two stores are two processes: the internal stage's lock is per process.
        var writers = new[] { new BatchStager(bed.Store(), bed.Staging), new BatchStager(bed.Store(), bed.Staging) };
        var batches = new List<(int Writer, long From, long To)>();
        int overlaps = 0;
        var random = new Random(5);
        for (long from = 0; from < 400;)
        {
            long to = Math.Min(399, from + random.Next(20, 90));
            batches.Add((0, from, to));
            // The other writer re-reads an overlapping window, as after a rebalance.
            long back = Math.Max(0, from - random.Next(0, 40));
            batches.Add((1, back, Math.Min(399, to + random.Next(0, 30))));
            from = to + 1;
        }

        for (int i = 0; i < batches.Count; i += 2)
        {
            await Task.WhenAll(
                writers[batches[i].Writer].StageAsync(StageTestKit.MakeRecords("orders", 0, batches[i].From, batches[i].To), Ct),
                writers[batches[i + 1].Writer].StageAsync(StageTestKit.MakeRecords("orders", 0, batches[i + 1].From, batches[i + 1].To), Ct));
            if (i % 6 == 0)
            {
                overlaps += await OverlappingFilesAsync(bed);
                await bed.Loader().LoadAllAsync(Ct);
            }
        }

        overlaps += await OverlappingFilesAsync(bed);
        await bed.Loader().LoadAllAsync(Ct);

        Assert.Equal(LoaderBed.Expected((0, 0, 399)), await bed.RowsAsync());
        // The race this test is about really happened: files of the partition overlapped.
        Assert.True(overlaps > 0, "no overlapping files were staged; the test did not exercise racing writers");
    }

    private static async Task<int> OverlappingFilesAsync(Bed bed)
    {
        var ranges = new List<(long First, long Last)>();
        foreach (StagedObject staged in await ListAsync(bed.Store(), $"{bed.Staging.Prefix}/{bed.Staging.Table}/"))
        {
            if (StageFileName.TryParse(staged.Path, out StageFileName? name))
            {
                ranges.Add((name.FirstOffset, name.LastOffset));
            }
        }

        ranges.Sort();
        return ranges.Zip(ranges.Skip(1)).Count(pair => pair.Second.First <= pair.First.Last);
    }

    private static async Task<bool> CommitAsync(DatabendStageStore store, string path, byte[] content, Dictionary<string, string> metadata)
    {
        await using IStageUpload upload = await store.StartUploadAsync(path, Ct);
        await upload.Content.WriteAsync(content, Ct);
        return await upload.CommitAsync(metadata, Ct);
    }

    private static async Task<List<StagedObject>> ListAsync(DatabendStageStore store, string prefix)
    {
        var list = new List<StagedObject>();
        await foreach (StagedObject staged in store.ListAsync(prefix, Ct))
        {
            list.Add(staged);
        }

        return list;
    }

    private sealed class Bed : IAsyncDisposable
    {
        private Bed(DatabendTarget target, BlobContainerClient? storage, StagingOptions staging, LoaderOptions loader) =>
            (Target, Storage, Staging, LoaderOptions) = (target, storage, staging, loader);

        public DatabendTarget Target { get; }

        /// <summary>The emulator's storage for internal stages; null against a real server.</summary>
        public BlobContainerClient? Storage { get; }

        public StagingOptions Staging { get; }

        public LoaderOptions LoaderOptions { get; }

        public static async Task<Bed> StartAsync(AzuriteFixture azurite)
        {
            BlobContainerClient? storage = DatabendTarget.UsesRealServer ? null : await azurite.CreateContainerAsync("internal", Ct);
            DatabendTarget target = await DatabendTarget.StartAsync(storage);
            var staging = new StagingOptions { Table = "events_" + Guid.NewGuid().ToString("N")[..10], Prefix = "fi" };
            var loader = new LoaderOptions { StageName = "ist_" + Guid.NewGuid().ToString("N")[..10], RetryDelay = TimeSpan.FromMilliseconds(20) };
            var bed = new Bed(target, storage, staging, loader);
            using DatabendClient client = bed.Client();
            await DatabendSetup.EnsureAsync(client, staging, loader, connection: null, Ct);
            return bed;
        }

        public DatabendClient Client() => new(Target.Dsn);

        public DatabendStageStore Store() => new(Client, LoaderOptions.StageName);

        public TableLoader Loader() => new(Client, Store(), Staging, LoaderOptions);

        public async Task<List<(int Partition, long Offset)>> RowsAsync()
        {
            using DatabendClient client = Client();
            DatabendResult result = await client.ExecuteAsync($"SELECT kpartition, koffset FROM {Staging.Table} ORDER BY kpartition, koffset", Ct);
            return [.. result.Rows.Select(r => (r.GetInt32(0), r.GetInt64(1)))];
        }

        public ValueTask DisposeAsync() => Target.DisposeAsync();
    }
}
