using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.Staging;
using FuncIngest.TestSupport.Azurite;
using static FuncIngest.IntegrationTests.Staging.StageTestKit;

namespace FuncIngest.IntegrationTests.Staging;

public sealed class BatchStagerTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stages_a_mixed_batch_into_one_file_per_partition_with_metadata()
    {
        (BlobContainerClient container, BatchStager stager) = await CreateAsync();
        List<IngestRecord> batch = [.. MakeRecords("orders", 0, 0, 99), .. MakeRecords("orders", 1, 500, 549), .. MakeRecords("payments", 0, 7, 9)];
        batch.Reverse();

        StageBatchResult result = await stager.StageAsync(batch, Ct);

        Assert.Equal((153, 0, 0), (result.StagedRecords, result.DeadLetteredRecords, result.SkippedRecords));
        Assert.Equal(3, result.Partitions.Count);
        Assert.Equal(
            ["t/orders/0/00000000000000000000-00000000000000000099.ndjson.zst", "t/orders/1/00000000000000000500-00000000000000000549.ndjson.zst", "t/payments/0/00000000000000000007-00000000000000000009.ndjson.zst"],
            result.Files.Select(f => f.Name.Path).Order());
        await AssertExactlyOnceAsync(container, stager.Layout, "orders", 1, 500, 549);
        BlobProperties props = (await container.GetBlobClient(result.Files.Single(f => f.Name.Partition == 1).Name.Path).GetPropertiesAsync(cancellationToken: Ct)).Value;
        Assert.Equal("500-549", props.Metadata[StageMetadata.LineOffsets]);
        Assert.Equal("50", props.Metadata[StageMetadata.LineCount]);
        Assert.Equal("raw", props.Metadata[StageMetadata.Mode]);
        JsonNode first = (await ReadLinesAsync(container, result.Files.Single(f => f.Name.Topic == "payments").Name))[0];
        Assert.Equal(7, (int)first["raw_data"]!["n"]!);
        Assert.Equal("k7", (string?)first["record_metadata"]!["key"]);
    }

    [Fact]
    public async Task Restaging_the_same_batch_writes_nothing_new()
    {
        (BlobContainerClient container, BatchStager stager) = await CreateAsync();
        await stager.StageAsync(MakeRecords("t1", 0, 0, 199), Ct);

        StageBatchResult again = await stager.StageAsync(MakeRecords("t1", 0, 0, 199), Ct);

        Assert.Equal((0, 200), (again.StagedRecords, again.SkippedRecords));
        Assert.Empty(again.Files);
        Assert.Single(await StagedFilesAsync(container, stager.Layout.PartitionFolder("t1", 0)));
    }

    [Fact]
    public async Task Redelivery_with_other_boundaries_stages_only_new_offsets_and_never_overlaps()
    {
        (BlobContainerClient container, BatchStager stager) = await CreateAsync();
        await stager.StageAsync(MakeRecords("t1", 0, 0, 49), Ct);
        await stager.StageAsync(MakeRecords("t1", 0, 100, 119), Ct);

        // 30..149 overlaps both earlier files and the hole between them.
        StageBatchResult result = await stager.StageAsync(MakeRecords("t1", 0, 30, 149), Ct);

        Assert.Equal(["00000000000000000050-00000000000000000099", "00000000000000000120-00000000000000000149"],
            result.Files.Select(f => $"{f.Name.FirstOffset:D20}-{f.Name.LastOffset:D20}"));
        Assert.Equal((80, 40), (result.StagedRecords, result.SkippedRecords));
        await AssertExactlyOnceAsync(container, stager.Layout, "t1", 0, 0, 149);
    }

    [Fact]
    public async Task Concurrent_writers_of_one_partition_leave_no_overwrite_gap_or_overlap()
    {
        (BlobContainerClient container, BatchStager first) = await CreateAsync();
        var second = new BatchStager(new AzureBlobStageStore(container), Options());

        StageBatchResult[] results = await Task.WhenAll(
            Task.Run(() => first.StageAsync(MakeRecords("t1", 3, 0, 599), Ct), Ct),
            Task.Run(() => second.StageAsync(MakeRecords("t1", 3, 300, 999), Ct), Ct),
            Task.Run(() => first.StageAsync(MakeRecords("t1", 3, 450, 1099), Ct), Ct));

        Assert.Equal(1100, results.Sum(r => r.StagedRecords));
        await AssertExactlyOnceAsync(container, first.Layout, "t1", 3, 0, 1099);
    }

    [Fact]
    public async Task Files_roll_at_the_record_limit_and_the_byte_limit()
    {
        (BlobContainerClient container, BatchStager byCount) = await CreateAsync(o => o.MaxFileRecords = 40);
        StageBatchResult counted = await byCount.StageAsync(MakeRecords("t1", 0, 0, 99), Ct);
        Assert.Equal([40, 40, 20], counted.Files.Select(f => f.Lines));

        var byBytes = new BatchStager(new AzureBlobStageStore(container), Options(o => { o.Table = "u"; o.MaxFileBytes = 2048; }));
        string big = "\"" + new string('x', 500) + "\"";
        StageBatchResult sized = await byBytes.StageAsync(MakeRecords("t1", 0, 0, 9, _ => big), Ct);
        Assert.All(sized.Files, f => Assert.True(f.Lines <= 4));
        Assert.Equal(10, sized.Files.Sum(f => f.Lines));
        await AssertExactlyOnceAsync(container, byBytes.Layout, "t1", 0, 0, 9);
    }

    [Fact]
    public async Task Rejected_records_go_to_dead_letters_with_reasons_and_are_not_dead_lettered_twice()
    {
        (BlobContainerClient container, BatchStager stager) = await CreateAsync(o => o.Encoding.Mode = RecordMode.Transform);
        List<IngestRecord> batch = MakeRecords("t1", 0, 0, 9, o => o switch { 3 => "not json", 6 => "[1,2]", _ => $"{{\"n\":{o}}}" });
        batch.Add(new IngestRecord("t1", 0, 10, null, null));

        StageBatchResult result = await stager.StageAsync(batch, Ct);

        Assert.Equal((8, 3), (result.StagedRecords, result.DeadLetteredRecords));
        List<StageFileName> letters = await StagedFilesAsync(container, stager.Layout.DeadLetterFolder("t1", 0));
        StageFileName letter = Assert.Single(letters);
        Assert.Equal((3L, 10L), (letter.FirstOffset, letter.LastOffset));
        List<JsonNode> lines = await ReadLinesAsync(container, letter);
        Assert.Equal(["3:NotJson", "6:NotJsonObject", "10:Tombstone"], lines.Select(l => $"{(long)l["offset"]!}:{(string)l["reason"]!}"));
        Assert.Equal("not json", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)lines[0]["value"]!)));

        StageBatchResult again = await stager.StageAsync(MakeRecords("t1", 0, 0, 12, o => o == 3 ? "not json" : "{}"), Ct);
        Assert.Equal((2, 0, 11), (again.StagedRecords, again.DeadLetteredRecords, again.SkippedRecords));
    }

    [Fact]
    public async Task A_crash_after_dead_letters_and_before_the_file_loses_nothing_and_duplicates_nothing()
    {
        (BlobContainerClient container, _) = await CreateAsync();
        StagingOptions options = Options(o => o.Encoding.Mode = RecordMode.Transform);
        var faulty = new FaultyStageStore(new AzureBlobStageStore(container), path => path.EndsWith(".ndjson.zst", StringComparison.Ordinal));
        List<IngestRecord> batch = MakeRecords("t1", 0, 0, 19, o => o % 5 == 0 ? "bad" : "{}");

        await Assert.ThrowsAsync<IOException>(() => new BatchStager(faulty, options).StageAsync(batch, Ct));
        Assert.Equal(1, faulty.FailedCommits);
        Assert.Empty(await StagedFilesAsync(container, options.Layout.PartitionFolder("t1", 0)));

        StageBatchResult retry = await new BatchStager(new AzureBlobStageStore(container), options).StageAsync(batch, Ct);

        Assert.Equal((16, 0, 4), (retry.StagedRecords, retry.DeadLetteredRecords, retry.SkippedRecords));
        List<JsonNode> letters = await ReadLinesAsync(container, Assert.Single(await StagedFilesAsync(container, options.Layout.DeadLetterFolder("t1", 0))));
        Assert.Equal([0L, 5L, 10L, 15L], letters.Select(l => (long)l["offset"]!));
        StageFileName file = Assert.Single(await StagedFilesAsync(container, options.Layout.PartitionFolder("t1", 0)));
        Assert.Equal(16, (await ReadLinesAsync(container, file)).Count);
    }

    [Fact]
    public async Task Long_offset_lists_go_to_a_sidecar_that_coverage_reads_back()
    {
        (BlobContainerClient container, BatchStager stager) = await CreateAsync(o => o.Encoding.Mode = RecordMode.Transform);
        List<IngestRecord> batch = MakeRecords("t1", 0, 0, 5999, o => o % 2 == 0 ? "bad" : "{}");

        StageBatchResult result = await stager.StageAsync(batch, Ct);

        Assert.Equal((3000, 3000), (result.StagedRecords, result.DeadLetteredRecords));
        StageFileName file = Assert.Single(result.Files).Name;
        BlobProperties props = (await container.GetBlobClient(file.Path).GetPropertiesAsync(cancellationToken: Ct)).Value;
        Assert.Equal(StageMetadata.SidecarMarker, props.Metadata[StageMetadata.LineOffsets]);
        Assert.True((await container.GetBlobClient(file.Path + StageMetadata.SidecarSuffix).ExistsAsync(Ct)).Value);

        StageBatchResult again = await stager.StageAsync(batch, Ct);
        Assert.Equal((0, 0, 6000), (again.StagedRecords, again.DeadLetteredRecords, again.SkippedRecords));
    }

    [Theory]
    [InlineData(StageCompression.Gzip)]
    [InlineData(StageCompression.None)]
    public async Task Other_compressions_stage_readable_files(StageCompression compression)
    {
        (BlobContainerClient container, BatchStager stager) = await CreateAsync(o => o.Compression = compression);

        StageBatchResult result = await stager.StageAsync(MakeRecords("t1", 0, 0, 9), Ct);

        Assert.Equal(compression, Assert.Single(result.Files).Name.Compression);
        await AssertExactlyOnceAsync(container, stager.Layout, "t1", 0, 0, 9);
    }

    [Fact]
    public async Task Files_larger_than_one_block_are_uploaded_in_blocks()
    {
        (BlobContainerClient container, _) = await CreateAsync();
        var store = new AzureBlobStageStore(container, new AzureBlobStageStoreOptions { BlockSize = 64 * 1024 });
        var stager = new BatchStager(store, Options(o => o.Compression = StageCompression.None));

        StageBatchResult result = await stager.StageAsync(MakeRecords("t1", 0, 0, 1999, o => $"{{\"pad\":\"{new string('p', 200)}\",\"n\":{o}}}"), Ct);

        BlockList blocks = (await container.GetBlockBlobClient(Assert.Single(result.Files).Name.Path).GetBlockListAsync(cancellationToken: Ct)).Value;
        Assert.True(blocks.CommittedBlocks.Count() > 4);
        await AssertExactlyOnceAsync(container, stager.Layout, "t1", 0, 0, 1999);
    }

    [Fact]
    public async Task Blocks_have_the_configured_size_while_the_upload_buffer_grows_to_it()
    {
        // 200 KiB is not a pool bucket size (the pool hands out 256 KiB), and larger than the
        // upload buffer's first size, so the buffer grows twice before the first block is sent.
        const int blockSize = 200 * 1024;
        (BlobContainerClient container, _) = await CreateAsync();
        var store = new AzureBlobStageStore(container, new AzureBlobStageStoreOptions { BlockSize = blockSize });
        var stager = new BatchStager(store, Options(o => o.Compression = StageCompression.None));

        StageBatchResult result = await stager.StageAsync(MakeRecords("t1", 0, 0, 2999, o => $"{{\"pad\":\"{new string('p', 200)}\",\"n\":{o}}}"), Ct);

        BlockBlobClient blob = container.GetBlockBlobClient(Assert.Single(result.Files).Name.Path);
        List<BlobBlock> blocks = [.. (await blob.GetBlockListAsync(cancellationToken: Ct)).Value.CommittedBlocks];
        Assert.True(blocks.Count >= 3, $"{blocks.Count} blocks");
        Assert.All(blocks[..^1], block => Assert.Equal(blockSize, block.SizeLong));
        Assert.InRange(blocks[^1].SizeLong, 1, blockSize);
        Assert.Equal((await blob.GetPropertiesAsync(cancellationToken: Ct)).Value.ContentLength, blocks.Sum(b => b.SizeLong));
        await AssertExactlyOnceAsync(container, stager.Layout, "t1", 0, 0, 2999);
    }

    [Theory]
    [InlineData("", "FuncIngest:Staging:Table")]
    [InlineData("bad-name", "FuncIngest:Staging:Table")]
    public void Bad_options_fail_at_construction_naming_the_setting(string table, string setting)
    {
        var e = Assert.Throws<FuncIngestConfigurationException>(() => new BatchStager(new AzureBlobStageStore(new BlobContainerClient(azurite.ConnectionString, "x")), new StagingOptions { Table = table }));
        Assert.Equal(setting, e.Setting);
        Assert.Throws<FuncIngestConfigurationException>(() => new StagingOptions { Table = "t", MaxFileRecords = 0 }.Validate());
        Assert.Equal("FuncIngest:Staging:Encoding:MaxJsonDepth",
            Assert.Throws<FuncIngestConfigurationException>(() => new StagingOptions { Table = "t", Encoding = { MaxJsonDepth = 0 } }.Validate()).Setting);
    }

    private static StagingOptions Options(Action<StagingOptions>? configure = null)
    {
        var options = new StagingOptions { Table = "t", Prefix = string.Empty };
        configure?.Invoke(options);
        return options;
    }

    private async Task<(BlobContainerClient Container, BatchStager Stager)> CreateAsync(Action<StagingOptions>? configure = null)
    {
        BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
        return (container, new BatchStager(new AzureBlobStageStore(container), Options(configure)));
    }
}
