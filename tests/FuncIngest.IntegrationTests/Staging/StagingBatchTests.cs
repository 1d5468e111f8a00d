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

    public static TheoryData<string> Scenarios => ["plain", "limits", "redelivery", "redelivery-limits", "duplicates", "held", "gzip", "none", "large", "large-redelivery", "large-gzip"];

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
            "gzip" or "large-gzip" => o => o.Compression = StageCompression.Gzip,
            "none" => o => o.Compression = StageCompression.None,
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
            if (scenario == "held")
            {
                stager.HoldPartitions([("t1", 0), ("t1", 2)]);
            }

            if (earlier.Count > 0)
            {
                await stager.StageAsync(earlier, Ct);
                // A file another member staged over a hole of this batch: the batch's files must not span it.
                await new BatchStager(new AzureBlobStageStore(container), Options(configure), timeProvider: new FixedTime())
                    .StageAsync(MakeRecords("t1", 0, 62, 64, value), Ct);
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
}
