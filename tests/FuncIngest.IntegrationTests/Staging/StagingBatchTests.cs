using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using FuncIngest.Ndjson;
using FuncIngest.Records;
using FuncIngest.Staging;
using FuncIngest.TestSupport.Azurite;
using static FuncIngest.IntegrationTests.Staging.StageTestKit;

namespace FuncIngest.IntegrationTests.Staging;

/// <summary>
/// Batches encoded and compressed as records are added (<see cref="StagingBatch"/>, what
/// <c>funcingest run</c> collects): the stage must end up exactly as staging the same records at
/// once leaves it, whatever was staged before, and the batch must not keep the records.
/// </summary>
public sealed class StagingBatchTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset s_batchTime = new(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Scenarios =>
        ["plain", "limits", "redelivery", "redelivery-limits", "duplicates", "held", "held-redelivery", "gzip", "none", "none-redelivery", "large", "large-redelivery", "large-gzip", "large-gzip-redelivery"];

    /// <summary>
    /// Each scenario stages an earlier batch the same way into two stages, then the batch under
    /// test, once as records and once through a <see cref="StagingBatch"/>. Names, metadata,
    /// sidecars, dead letters and every decompressed byte must agree, and so must the counts. With
    /// file limits and a redelivery the batch's files were cut before the coverage was known, so
    /// there only the lines, the dead letters and the counts must agree, in disjoint files.
    /// </summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task A_batch_encoded_on_arrival_stages_exactly_what_staging_its_records_at_once_stages(string scenario)
    {
        Action<StagingOptions> configure = scenario switch
        {
            "limits" => o => { o.Encoding.Mode = RecordMode.Transform; o.MaxFileRecords = 40; o.MaxFileBytes = 3000; },
            // Raw lines (they carry their offset, which the comparison checks), strict so that some are rejected.
            "redelivery-limits" => o => { o.Encoding.StrictJson = true; o.MaxFileRecords = 20; o.MaxFileBytes = 3000; },
            _ when scenario.Contains("gzip", StringComparison.Ordinal) => o => o.Compression = StageCompression.Gzip,
            _ when scenario.Contains("none", StringComparison.Ordinal) => o => o.Compression = StageCompression.None,
            _ => o => o.Encoding.Mode = RecordMode.Transform,
        };

        // Every seventh value is not JSON: dead letters inside files, and (redelivery) inside covered ranges.
        // "large": files pass PreparedFile.CompressAfterBytes, so they are compressed as they grow.
        bool large = scenario.StartsWith("large", StringComparison.Ordinal);
        Func<long, string> value = o => o % 7 == 3 ? "not json" : $"{{\"n\":{o},\"pad\":\"{new string('p', (int)(o % 50) + (large ? 300 : 0))}\"}}";
        bool redelivery = scenario.EndsWith("redelivery", StringComparison.Ordinal) || scenario == "redelivery-limits";
        List<IngestRecord> earlier = redelivery
            ? [.. MakeRecords("t1", 0, 0, 49, value), .. MakeRecords("t1", 1, 10, 19, value)]
            : [];
        List<IngestRecord> batch = scenario switch
        {
            _ when large => [.. MakeRecords("t1", 0, 30, 59, value), .. MakeRecords("t1", 0, 70, 1999, value), .. MakeRecords("t1", 1, 0, 29, value)],
            // Overlaps the staged 0-49 and adds 70-119 after a hole at 60-69 that a file covers (see below).
            _ when redelivery => [.. MakeRecords("t1", 0, 30, 59, value), .. MakeRecords("t1", 0, 70, 119, value), .. MakeRecords("t1", 1, 0, 29, value)],
            "duplicates" => [.. MakeRecords("t1", 0, 0, 29, value), .. MakeRecords("t1", 0, 20, 24, value), .. MakeRecords("t1", 0, 30, 39, value)],
            _ => [.. MakeRecords("t1", 0, 0, 199, value), .. MakeRecords("t1", 2, 1000, 1049, value), .. MakeRecords("payments", 0, 5, 9, value)],
        };

        // Records of two partitions interleave, as a consumer delivers them.
        batch = [.. batch.Select((r, i) => (r, i)).OrderBy(x => x.r.Partition == 0 ? x.i : x.i - 25.5).Select(x => x.r)];

        var results = new List<StageBatchResult>();
        var snapshots = new List<List<string>>();
        foreach (bool encodedOnArrival in new[] { false, true })
        {
            BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
            var stager = new BatchStager(new AzureBlobStageStore(container), Options(configure), timeProvider: new FixedTime());
            bool held = scenario.StartsWith("held", StringComparison.Ordinal);
            if (held)
            {
                stager.HoldPartitions([("t1", 0), ("t1", 2)]);
            }

            if (earlier.Count > 0)
            {
                await stager.StageAsync(earlier, Ct);
                if (!held)
                {
                    // A file another member staged over a hole of this batch: the batch's files must not span it.
                    // (Not while this stager holds the partition's lock: the other would wait for it.)
                    await new BatchStager(new AzureBlobStageStore(container), Options(configure), timeProvider: new FixedTime())
                        .StageAsync(MakeRecords("t1", 0, 62, 64, value), Ct);
                }
            }

            if (encodedOnArrival)
            {
                using StagingBatch staging = stager.StartBatch();
                foreach (IngestRecord record in batch)
                {
                    staging.Add(record);
                }

                Assert.Equal(batch.Count, staging.Count);
                Assert.Equal(large, staging.Partitions.SelectMany(p => p.Files).Any(f => f.IsCompressed));
                Assert.Equal(batch.Sum(r => r.PayloadBytes), staging.PayloadBytes);
                results.Add(await stager.StageAsync(staging, Ct));
            }
            else
            {
                results.Add(await stager.StageAsync(batch, Ct));
            }

            await stager.ReleasePartitionsAsync();
            snapshots.Add(scenario == "redelivery-limits" ? await LinesAsync(container, stager.Layout) : await SnapshotAsync(container));
        }

        Assert.Equal(
            (results[0].StagedRecords, results[0].DeadLetteredRecords, results[0].SkippedRecords),
            (results[1].StagedRecords, results[1].DeadLetteredRecords, results[1].SkippedRecords));
        if (scenario != "redelivery-limits")
        {
            Assert.Equal(results[0].Files.Select(f => (f.Name.Path, f.Lines, f.Created)).Order(), results[1].Files.Select(f => (f.Name.Path, f.Lines, f.Created)).Order());
        }

        Assert.Equal(snapshots[0], snapshots[1]);
        Assert.True(results[1].StagedRecords > 0);
        if (redelivery || scenario == "duplicates")
        {
            Assert.True(results[1].SkippedRecords > 0, "the scenario must skip something");
        }

        if (scenario is "limits" or "redelivery-limits")
        {
            Assert.True(results[1].Files.Count(f => f.Name.Partition == 0) >= 3, "the scenario must cut files by its limits");
        }
    }

    [Fact]
    public async Task A_batch_keeps_no_record_that_became_a_line_only_the_rejected_ones()
    {
        BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
        var stager = new BatchStager(new AzureBlobStageStore(container), Options(o => o.Encoding.Mode = RecordMode.Transform));
        using StagingBatch staging = stager.StartBatch();
        List<WeakReference> added = AddUnreferenced(staging, 1000);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // Offsets 0, 100, ..., 900 are not JSON: their records are kept for the dead letters.
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * 100), added.Select((r, i) => (r, i)).Where(x => x.r.IsAlive).Select(x => x.i));
        StageBatchResult result = await stager.StageAsync(staging, Ct);
        Assert.Equal((990, 10), (result.StagedRecords, result.DeadLetteredRecords));
    }

    [Fact]
    public async Task Removed_partitions_are_neither_staged_nor_counted()
    {
        BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
        var stager = new BatchStager(new AzureBlobStageStore(container), Options());
        using StagingBatch staging = stager.StartBatch();
        foreach (IngestRecord record in (List<IngestRecord>)[.. MakeRecords("t1", 0, 0, 9), .. MakeRecords("t1", 1, 0, 4), .. MakeRecords("t1", 0, 10, 19)])
        {
            staging.Add(record);
        }

        Assert.Equal(20, staging.RemovePartitions([("t1", 0), ("t1", 7)]));
        Assert.Equal(5, staging.Count);
        Assert.Equal(MakeRecords("t1", 1, 0, 4).Sum(r => r.PayloadBytes), staging.PayloadBytes);
        staging.Add(MakeRecords("t1", 1, 5, 5)[0]);
        StageBatchResult result = await stager.StageAsync(staging, Ct);

        Assert.Equal(6, result.StagedRecords);
        Assert.Empty(await StagedFilesAsync(container, stager.Layout.PartitionFolder("t1", 0)));
        await AssertExactlyOnceAsync(container, stager.Layout, "t1", 1, 0, 5);
        Assert.Throws<InvalidOperationException>(() => staging.Add(MakeRecords("t1", 1, 6, 6)[0]));
    }

    [Fact]
    public async Task Lines_carry_the_time_of_the_batchs_first_record_not_of_its_start()
    {
        BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
        var time = new FixedTime();
        var stager = new BatchStager(new AzureBlobStageStore(container), Options(), timeProvider: time);
        using StagingBatch staging = stager.StartBatch();
        time.Now = s_batchTime.AddHours(1);
        staging.Add(MakeRecords("t1", 0, 0, 0)[0]);
        time.Now = s_batchTime.AddHours(2);

        StageBatchResult result = await stager.StageAsync(staging, Ct);

        var line = (await ReadLinesAsync(container, Assert.Single(result.Files).Name))[0];
        Assert.Equal(s_batchTime.AddHours(1).UtcDateTime, DateTime.Parse((string)line["add_time"]!, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal));
    }

    [Fact]
    public async Task A_batch_of_another_stager_is_refused()
    {
        BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
        var one = new BatchStager(new AzureBlobStageStore(container), Options());
        var other = new BatchStager(new AzureBlobStageStore(container), Options(o => o.Table = "u"));
        using StagingBatch staging = one.StartBatch();
        staging.Add(MakeRecords("t1", 0, 0, 0)[0]);

        await Assert.ThrowsAsync<ArgumentException>(() => other.StageAsync(staging, Ct));
    }

    [Fact]
    public async Task A_new_offset_below_one_already_added_is_refused_and_a_repeated_one_skipped()
    {
        BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
        var log = new SkippedLog();
        var stager = new BatchStager(new AzureBlobStageStore(container), Options(), log);
        using StagingBatch staging = stager.StartBatch();
        foreach (IngestRecord record in MakeRecords("t1", 0, 10, 19))
        {
            staging.Add(record);
        }

        staging.Add(MakeRecords("t1", 0, 12, 12)[0]);
        var e = Assert.Throws<InvalidOperationException>(() => staging.Add(MakeRecords("t1", 0, 5, 5)[0]));
        Assert.Contains("offset 5 arrived after offset 19", e.Message, StringComparison.Ordinal);
        staging.Add(MakeRecords("t1", 1, 5, 5)[0]);

        StageBatchResult result = await stager.StageAsync(staging, Ct);
        Assert.Equal((11, 1), (result.StagedRecords, result.SkippedRecords));
        // Logged as staging the records logs a repeat: skipped, for its partition.
        Assert.Equal(["Skipped 1 records of t1[0] already covered by staged or dead-letter files"], log.Lines);
        await AssertExactlyOnceAsync(container, stager.Layout, "t1", 0, 10, 19);
    }

    [Fact]
    public async Task A_crash_after_dead_letters_and_before_the_file_is_made_good_by_the_redelivered_batch()
    {
        BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
        StagingOptions options = Options(o => o.Encoding.Mode = RecordMode.Transform);
        var faulty = new FaultyStageStore(new AzureBlobStageStore(container), path => path.EndsWith(".ndjson.zst", StringComparison.Ordinal));
        Func<long, string> value = o => o % 5 == 0 ? "bad" : "{}";

        var crashing = new BatchStager(faulty, options);
        using (StagingBatch first = crashing.StartBatch())
        {
            MakeRecords("t1", 0, 0, 19, value).ForEach(first.Add);
            await Assert.ThrowsAsync<IOException>(() => crashing.StageAsync(first, Ct));
        }

        Assert.Equal(1, faulty.FailedCommits);
        Assert.Empty(await StagedFilesAsync(container, options.Layout.PartitionFolder("t1", 0)));

        // Redelivered from the last commit with other boundaries: the dead letters are covered, so the prepared file is cut again.
        var retrying = new BatchStager(new AzureBlobStageStore(container), options);
        using StagingBatch again = retrying.StartBatch();
        MakeRecords("t1", 0, 0, 29, value).ForEach(again.Add);
        StageBatchResult retry = await retrying.StageAsync(again, Ct);

        Assert.Equal((24, 2, 4), (retry.StagedRecords, retry.DeadLetteredRecords, retry.SkippedRecords));
        List<long> letters = [];
        foreach (StageFileName letter in await StagedFilesAsync(container, options.Layout.DeadLetterFolder("t1", 0)))
        {
            letters.AddRange((await ReadLinesAsync(container, letter)).Select(l => (long)l["offset"]!));
        }

        Assert.Equal([0L, 5L, 10L, 15L, 20L, 25L], letters.Order());
        var lines = new List<long>();
        foreach (StageFileName file in await StagedFilesAsync(container, options.Layout.PartitionFolder("t1", 0)))
        {
            lines.AddRange(StageFiles.Offsets(OffsetRanges.Parse((await container.GetBlobClient(file.Path).GetPropertiesAsync(cancellationToken: Ct)).Value.Metadata[StageMetadata.LineOffsets])));
        }

        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i).Where(o => o % 5 != 0), lines.Order());
    }

    [Fact]
    public async Task Only_a_few_files_of_a_batch_compress_as_they_grow_the_rest_stay_plain_until_staged()
    {
        BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
        var stager = new BatchStager(new AzureBlobStageStore(container), Options(o => o.MaxParallelPartitions = 2));
        string pad = $"{{\"pad\":\"{new string('p', 1000)}\"}}";
        using StagingBatch staging = stager.StartBatch();
        for (int partition = 0; partition < 8; partition++)
        {
            MakeRecords("t1", partition, 0, 399, _ => pad).ForEach(staging.Add);
        }

        List<bool> compressed = [.. staging.Partitions.Select(p => p.Files.Single().IsCompressed)];
        Assert.Equal(4, compressed.Count(c => c));
        StageBatchResult result = await stager.StageAsync(staging, Ct);

        Assert.Equal(3200, result.StagedRecords);
        for (int partition = 0; partition < 8; partition++)
        {
            await AssertExactlyOnceAsync(container, stager.Layout, "t1", partition, 0, 399);
        }
    }

    [Fact]
    public async Task A_disposed_batch_cannot_be_staged()
    {
        BlobContainerClient container = await azurite.CreateContainerAsync("stage", Ct);
        var stager = new BatchStager(new AzureBlobStageStore(container), Options());
        StagingBatch staging = stager.StartBatch();
        staging.Add(MakeRecords("t1", 0, 0, 0)[0]);
        staging.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => stager.StageAsync(staging, Ct));
        Assert.Throws<InvalidOperationException>(() => staging.RemovePartitions([("t1", 0)]));
    }

    // Not inlined, so that no local of the caller keeps a record reachable.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static List<WeakReference> AddUnreferenced(StagingBatch staging, int count)
    {
        var added = new List<WeakReference>(count);
        foreach (IngestRecord record in MakeRecords("t1", 0, 0, count - 1, o => o % 100 == 0 ? "not json" : "{}"))
        {
            staging.Add(record);
            added.Add(new WeakReference(record));
        }

        return added;
    }

    /// <summary>Every object of the stage: path, metadata, and content (decompressed for staged files).</summary>
    private static async Task<List<string>> SnapshotAsync(BlobContainerClient container)
    {
        var objects = new List<string>();
        await foreach (BlobItem blob in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, null, Ct))
        {
            using var raw = new MemoryStream();
            await container.GetBlobClient(blob.Name).DownloadToAsync(raw, Ct);
            raw.Position = 0;
            string content;
            if (StageFileName.TryParse(blob.Name, out StageFileName? name))
            {
                using Stream plain = StageFiles.Decompress(raw, name.Compression);
                using var reader = new StreamReader(plain, Encoding.UTF8);
                content = await reader.ReadToEndAsync(Ct);
            }
            else
            {
                content = Encoding.UTF8.GetString(raw.ToArray());
            }

            string metadata = string.Join(";", blob.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value}"));
            objects.Add($"{blob.Name} [{metadata}]\n{content}");
        }

        objects.Sort(StringComparer.Ordinal);
        return objects;
    }

    /// <summary>
    /// Every line of the staged files and of the dead letters, sorted, after checking that each
    /// partition's files are disjoint and hold only lines within their names.
    /// </summary>
    private static async Task<List<string>> LinesAsync(BlobContainerClient container, StageLayout layout)
    {
        var lines = new List<string>();
        foreach ((string topic, int partition) in new[] { ("t1", 0), ("t1", 1), ("t1", 2), ("payments", 0) })
        {
            List<StageFileName> files = [.. (await StagedFilesAsync(container, layout.PartitionFolder(topic, partition))).OrderBy(f => f.FirstOffset)];
            for (int i = 1; i < files.Count; i++)
            {
                Assert.True(files[i].FirstOffset > files[i - 1].LastOffset, $"{files[i - 1].Path} and {files[i].Path} overlap");
            }

            foreach (StageFileName file in files)
            {
                foreach (System.Text.Json.Nodes.JsonNode line in await ReadLinesAsync(container, file))
                {
                    Assert.InRange((long)line["koffset"]!, file.FirstOffset, file.LastOffset);
                    lines.Add(line.ToJsonString());
                }
            }

            foreach (StageFileName letter in await StagedFilesAsync(container, layout.DeadLetterFolder(topic, partition)))
            {
                lines.AddRange((await ReadLinesAsync(container, letter)).Select(l => "dead letter " + l.ToJsonString()));
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static StagingOptions Options(Action<StagingOptions>? configure = null)
    {
        var options = new StagingOptions { Table = "t", Prefix = string.Empty };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>A wall clock the test sets (timestamps stay real: lock renewal reads them).</summary>
    private sealed class FixedTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = s_batchTime;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>What the stager logs as skipped (event 102).</summary>
    private sealed class SkippedLog : Microsoft.Extensions.Logging.ILogger<BatchStager>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id == 102)
            {
                lock (Lines)
                {
                    Lines.Add(formatter(state, exception));
                }
            }
        }
    }
}
