using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using FuncIngest.Ndjson;
using FuncIngest.Staging;
using FuncIngest.TestSupport.Azurite;
using static FuncIngest.IntegrationTests.Staging.StageTestKit;

namespace FuncIngest.IntegrationTests.Staging;

/// <summary>
/// Partitions whose stage lock and coverage a stager keeps between batches (<c>funcingest run</c>
/// holds its assigned partitions): fewer round trips, and still disjoint, exactly-once files
/// when the lock moves to another writer or is lost.
/// </summary>
public sealed class HeldPartitionTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_held_partition_stages_a_steady_batch_in_at_most_three_round_trips_and_a_per_batch_one_needs_more()
    {
        var counter = new BlobRequestCounter();
        (BlobContainerClient container, BatchStager held) = await CreateAsync(counter);
        held.HoldPartitions([("t1", 0)]);

        await held.StageAsync(MakeRecords("t1", 0, 0, 99), Ct); // takes the lock and lists, once
        var heldTrips = new List<long>();
        for (long from = 100; from < 600; from += 100)
        {
            long before = counter.Count;
            StageBatchResult result = await held.StageAsync(MakeRecords("t1", 0, from, from + 99), Ct);
            heldTrips.Add(counter.Count - before);
            Assert.Equal(100, result.StagedRecords);
        }

        await held.ReleasePartitionsAsync();
        long beforePerBatch = counter.Count;
        // The same kind of batch through a stager that takes the lock and lists every time, counted on the same client.
        var perBatch = new BatchStager(new AzureBlobStageStore(container), Options());
        await perBatch.StageAsync(MakeRecords("t1", 0, 600, 699), Ct);
        long perBatchTrips = counter.Count - beforePerBatch;

        Assert.All(heldTrips, trips => Assert.InRange(trips, 1L, 3L));
        Assert.True(perBatchTrips > 3, $"per-batch staging took {perBatchTrips} round trips");
        await AssertExactlyOnceAsync(container, held.Layout, "t1", 0, 0, 699);
    }

    [Fact]
    public async Task Redelivered_records_are_skipped_from_the_held_coverage_and_dead_letters_count()
    {
        (BlobContainerClient container, _) = await CreateAsync();
        // Transform mode: a value that is not a JSON object is dead-lettered.
        var stager = new BatchStager(new AzureBlobStageStore(container), Options(o => o.Encoding.Mode = RecordMode.Transform));
        stager.HoldPartitions([("t1", 0)]);
        await stager.StageAsync(MakeRecords("t1", 0, 0, 99), Ct);
        StageBatchResult bad = await stager.StageAsync(MakeRecords("t1", 0, 100, 129, o => o == 120 ? "not json" : $"{{\"n\":{o}}}"), Ct);
        Assert.Equal(1, bad.DeadLetteredRecords);

        StageBatchResult again = await stager.StageAsync(MakeRecords("t1", 0, 50, 149), Ct);

        Assert.Equal((20, 80), (again.StagedRecords, again.SkippedRecords));
        await stager.ReleasePartitionsAsync();
        List<StageFileName> files = await StagedFilesAsync(container, stager.Layout.PartitionFolder("t1", 0));
        Assert.Equal([0L, 100L, 130L], files.Select(f => f.FirstOffset).Order());
    }

    [Fact]
    public async Task After_release_another_writer_stages_at_once_and_the_first_takes_the_lock_and_lists_again()
    {
        (BlobContainerClient container, BatchStager first) = await CreateAsync();
        // A short lock timeout: a lock still held after release would fail the second writer.
        var second = new BatchStager(new AzureBlobStageStore(container, new AzureBlobStageStoreOptions { LockTimeout = TimeSpan.FromSeconds(2) }), Options());
        first.HoldPartitions([("t1", 0)]);
        await first.StageAsync(MakeRecords("t1", 0, 0, 99), Ct);

        await first.ReleasePartitionsAsync([("t1", 0)]);
        StageBatchResult moved = await second.StageAsync(MakeRecords("t1", 0, 50, 199), Ct);
        first.HoldPartitions([("t1", 0)]);
        StageBatchResult back = await first.StageAsync(MakeRecords("t1", 0, 150, 249), Ct);

        Assert.Equal((100, 50), (moved.StagedRecords, moved.SkippedRecords));
        Assert.Equal((50, 50), (back.StagedRecords, back.SkippedRecords));
        await first.ReleasePartitionsAsync();
        await AssertExactlyOnceAsync(container, first.Layout, "t1", 0, 0, 249);
    }

    [Fact]
    public async Task A_hold_whose_lease_was_broken_and_taken_is_dropped_and_the_coverage_listed_afresh()
    {
        var time = new ShiftedTime();
        BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
        var first = new BatchStager(new AzureBlobStageStore(container, new AzureBlobStageStoreOptions { LockDuration = TimeSpan.FromSeconds(15) }), Options(), timeProvider: time);
        var second = new BatchStager(new AzureBlobStageStore(container), Options());
        first.HoldPartitions([("t1", 0)]);
        await first.StageAsync(MakeRecords("t1", 0, 0, 99), Ct);

        // Fault: the held lease is broken (as after a long pause) and another writer stages in between.
        await container.GetBlobClient(first.Layout.PartitionLock("t1", 0)).GetBlobLeaseClient().BreakAsync(TimeSpan.Zero, cancellationToken: Ct);
        await second.StageAsync(MakeRecords("t1", 0, 100, 199), Ct);
        time.Advance(TimeSpan.FromSeconds(6)); // past the renewal age: the next batch renews, which fails
        StageBatchResult result = await first.StageAsync(MakeRecords("t1", 0, 100, 299), Ct);

        Assert.Equal((100, 100), (result.StagedRecords, result.SkippedRecords));
        await first.ReleasePartitionsAsync();
        await AssertExactlyOnceAsync(container, first.Layout, "t1", 0, 0, 299);
    }

    private static StagingOptions Options(Action<StagingOptions>? configure = null)
    {
        var options = new StagingOptions { Table = "t", Prefix = string.Empty };
        configure?.Invoke(options);
        return options;
    }

    private async Task<(BlobContainerClient Container, BatchStager Stager)> CreateAsync(BlobRequestCounter? counter = null)
    {
        BlobContainerClient created = await azurite.CreateContainerAsync("stage", Ct);
        var options = new BlobClientOptions();
        if (counter is not null)
        {
            options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        }

        var container = new BlobContainerClient(azurite.ConnectionString, created.Name, options);
        return (container, new BatchStager(new AzureBlobStageStore(container), Options()));
    }
}
