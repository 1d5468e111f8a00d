using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Databend.Client;
using FuncIngest.IntegrationTests.Staging;
using FuncIngest.Loading;
using FuncIngest.Staging;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;

namespace FuncIngest.IntegrationTests.Loading;

public sealed class TableLoaderTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Loads_every_staged_record_once_in_one_transaction_and_cleans_the_stage()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        foreach (int p in new[] { 0, 1, 2 })
        {
            for (long from = 0; from < 300; from += 100)
            {
                await bed.StageAsync("orders", p, from, from + 99, Ct);
            }
        }

        LoadResult result = await bed.NewLoader().LoadAllAsync(Ct);

        Assert.Equal((9, 900L, 0), (result.Loaded.Count, result.RowsLoaded, result.Quarantined.Count));
        Assert.Equal(LoaderBed.Expected((0, 0, 299), (1, 0, 299), (2, 0, 299)), await bed.RowsAsync(Ct));
        Assert.Equal([0, 1, 2], (await bed.NewLoader().ReadLedgerAsync(Ct)).Select(e => e.NextOffset == 300 ? e.Partition : -1).Order());
        Assert.Equal(0, await bed.StagedFileCountAsync());
        Assert.Single(bed.Emulator.ExecutedStatements, s => s.StartsWith("COPY INTO", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("^BEGIN", DatabendFaultKind.DropAfterExecute)]
    [InlineData("^SELECT topic", DatabendFaultKind.DropBeforeExecute)]
    [InlineData("^COPY INTO", DatabendFaultKind.DropBeforeExecute)]
    [InlineData("^COPY INTO", DatabendFaultKind.DropAfterExecute)]
    [InlineData("^INSERT INTO", DatabendFaultKind.DropAfterExecute)]
    [InlineData("^UPDATE .* SET updated_at", DatabendFaultKind.DropAfterExecute)]
    [InlineData("^UPDATE .* SET next_offset", DatabendFaultKind.DropAfterExecute)]
    [InlineData("^COMMIT", DatabendFaultKind.DropBeforeExecute)]
    [InlineData("^COMMIT", DatabendFaultKind.DropAfterExecute)]
    public async Task A_crash_at_any_step_ends_with_every_row_exactly_once(string step, DatabendFaultKind crash)
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 49, Ct);
        await bed.StageAsync("orders", 1, 0, 29, Ct);
        bed.Emulator.InjectFault(new DatabendFault(step, crash));

        LoadResult result = await bed.NewLoader().LoadAllAsync(Ct);
        LoadResult again = await bed.NewLoader().LoadAllAsync(Ct);

        Assert.Equal(1, result.Retries);
        Assert.Empty(again.Loaded);
        Assert.Equal(LoaderBed.Expected((0, 0, 49), (1, 0, 29)), await bed.RowsAsync(Ct));
        Assert.Equal(0, await bed.StagedFileCountAsync());
    }

    [Fact]
    public async Task A_crash_after_commit_before_deleting_files_skips_them_next_time()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 99, Ct);
        var noDeletes = new NoDeleteStore(bed.Store);

        await bed.NewLoader(noDeletes).LoadAllAsync(Ct);
        Assert.Equal(1, await bed.StagedFileCountAsync());
        LoadResult second = await bed.NewLoader().LoadAllAsync(Ct);

        Assert.Single(second.Skipped);
        Assert.Empty(second.Loaded);
        Assert.Equal(LoaderBed.Expected((0, 0, 99)), await bed.RowsAsync(Ct));
        Assert.Equal(0, await bed.StagedFileCountAsync());
    }

    [Fact]
    public async Task A_partly_loaded_file_is_trimmed_to_the_offsets_the_ledger_lacks()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 99, Ct);
        using (DatabendClient client = bed.Client())
        {
            // As if offsets 0..49 had been loaded before a consumer-group reset re-staged them.
            await client.ExecuteAsync($"INSERT INTO {bed.Loader.LedgerTable} VALUES ('{bed.Table}', 'orders', 0, 50, '2024-01-01 00:00:00')", Ct);
        }

        LoadResult result = await bed.NewLoader().LoadAllAsync(Ct);

        Assert.Equal(50, result.RowsLoaded);
        Assert.Equal(LoaderBed.Expected((0, 50, 99)), await bed.RowsAsync(Ct));
        Assert.Equal(100, Assert.Single(await bed.NewLoader().ReadLedgerAsync(Ct)).NextOffset);
        Assert.Empty(await StageTestKit.StagedFilesAsync(bed.Container, "fi/_trimmed/"));
    }

    [Fact]
    public async Task Concurrent_loaders_of_one_table_load_each_row_once()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        for (int p = 0; p < 4; p++)
        {
            await bed.StageAsync("orders", p, 0, 199, Ct);
        }

        LoadResult[] results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => bed.NewLoader().LoadAllAsync(Ct), Ct)));

        Assert.Equal(800, results.Sum(r => r.RowsLoaded));
        Assert.Equal(LoaderBed.Expected((0, 0, 199), (1, 0, 199), (2, 0, 199), (3, 0, 199)), await bed.RowsAsync(Ct));
    }

    [Fact]
    public async Task Concurrent_loaders_without_the_table_lease_still_load_each_row_once()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        for (int p = 0; p < 4; p++)
        {
            await bed.StageAsync("orders", p, 0, 199, Ct);
            await bed.StageAsync("orders", p, 200, 299, Ct);
        }

        var leaseless = new LeaselessStageStore(bed.Store);
        bed.Loader.MaxFilesPerLoad = 3;
        LoadResult[] results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => bed.NewLoader(leaseless).LoadAllAsync(Ct), Ct)));

        Assert.Equal(1200, results.Sum(r => r.RowsLoaded));
        Assert.Equal(LoaderBed.Expected((0, 0, 299), (1, 0, 299), (2, 0, 299), (3, 0, 299)), await bed.RowsAsync(Ct));
        Assert.Equal(0, await bed.StagedFileCountAsync());
    }

    /// <summary>
    /// The interleaving that duplicated rows before: loader B commits while loader A is between
    /// its COPY and its ledger write. Under Databend's commit rule the blind REPLACE protocol
    /// commits both; the ledger protocol makes A's COMMIT fail (4001) and A's retry skip the file.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_loader_committing_between_another_ones_copy_and_ledger_write_cannot_load_twice(bool firstLoad)
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        Assert.SkipWhen(bed.Target.Emulator is null, "emulator-only: interleaves two loaders with the emulator's hooks");
        if (!firstLoad)
        {
            await bed.StageAsync("orders", 0, 0, 9, Ct);
            await bed.NewLoader().LoadAllAsync(Ct);
        }

        await bed.StageAsync("orders", 0, 10, 59, Ct);
        var leaseless = new LeaselessStageStore(bed.Store);
        LoadResult? loaderB = null;
        bed.Emulator.InjectFault(new DatabendFault("^UPDATE .* SET next_offset", DatabendFaultKind.Hook)
        {
            BeforeExecute = async () => loaderB = await bed.NewLoader(leaseless).LoadAllAsync(Ct),
        });

        LoadResult loaderA = await bed.NewLoader(leaseless).LoadAllAsync(Ct);

        Assert.Equal(50, loaderB!.RowsLoaded);
        Assert.True(loaderA.Retries >= 1);
        Assert.Equal(LoaderBed.Expected((0, firstLoad ? 10 : 0, 59)), await bed.RowsAsync(Ct));
        Assert.Contains(bed.Emulator.ExecutedStatements, s => s.StartsWith("UPDATE", StringComparison.Ordinal));
    }

    /// <summary>The same interleaving with the protocol FuncIngest used before (BEGIN; SELECT; COPY; REPLACE; COMMIT): both commit.</summary>
    [Fact]
    public async Task The_blind_replace_protocol_loads_twice_under_databends_commit_rule()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        Assert.SkipWhen(bed.Target.Emulator is null, "documents the emulator's commit rule with the old protocol");
        StageBatchResult staged = await bed.StageAsync("orders", 0, 0, 49, Ct);
        string file = Assert.Single(await StageTestKit.StagedFilesAsync(bed.Container, $"fi/{bed.Table}/")).Path;

        async Task OldProtocolAsync(Func<Task> betweenCopyAndReplace)
        {
            using DatabendClient client = bed.Client();
            DatabendTransaction txn = await client.BeginTransactionAsync(Ct);
            await client.ExecuteAsync($"SELECT topic, kpartition, next_offset FROM {bed.Loader.LedgerTable} WHERE target_table = '{bed.Table}'", Ct);
            await client.ExecuteAsync($"COPY INTO {bed.Table} FROM @{bed.Loader.StageName} FILES = ('{file}') FILE_FORMAT = (TYPE = NDJSON COMPRESSION = ZSTD) ON_ERROR = ABORT FORCE = TRUE", Ct);
            await betweenCopyAndReplace();
            await client.ExecuteAsync($"REPLACE INTO {bed.Loader.LedgerTable} (target_table, topic, kpartition, next_offset, updated_at) ON (target_table, topic, kpartition) VALUES ('{bed.Table}', 'orders', 0, 50, '2024-01-01 00:00:00')", Ct);
            await txn.CommitAsync(Ct);
        }

        await OldProtocolAsync(() => OldProtocolAsync(() => Task.CompletedTask));

        Assert.Equal(50, staged.StagedRecords);
        Assert.Equal(100, (await bed.RowsAsync(Ct)).Count);
    }

    [Fact]
    public async Task While_Databend_is_down_files_wait_in_the_stage_and_load_when_it_is_back()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 99, Ct);
        bed.Emulator.InjectFault(new DatabendFault("^BEGIN", DatabendFaultKind.ServiceUnavailable) { Times = bed.Loader.MaxTransactionAttempts });

        DatabendException down = await Assert.ThrowsAsync<DatabendException>(() => bed.NewLoader().LoadAllAsync(Ct));
        Assert.True(down.IsTransient);
        Assert.Equal(1, await bed.StagedFileCountAsync());
        await bed.StageAsync("orders", 0, 100, 149, Ct);

        LoadResult back = await bed.NewLoader().LoadAllAsync(Ct);

        Assert.Equal(150, back.RowsLoaded);
        Assert.Equal(LoaderBed.Expected((0, 0, 149)), await bed.RowsAsync(Ct));
    }

    [Fact]
    public async Task Lines_databend_refuses_are_dead_lettered_one_by_one_and_the_rest_of_their_file_loads()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 9, Ct);
        // A file with a valid name and metadata whose lines 1 and 3 the table refuses (koffset is not a number).
        string mixed = "fi/" + bed.Table + "/orders/1/00000000000000000000-00000000000000000003.ndjson";
        string Line(long offset, string koffset) => $"{{\"uuid\":\"u{offset}\",\"koffset\":{koffset},\"kpartition\":1,\"raw_data\":{{}},\"record_metadata\":{{}},\"add_time\":\"2024-01-01T00:00:00Z\"}}\n";
        await bed.Container.GetBlobClient(mixed).UploadAsync(BinaryData.FromString(Line(0, "0") + Line(1, "\"one\"") + Line(2, "2") + Line(3, "\"three\"")),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { [StageMetadata.FirstOffset] = "0", [StageMetadata.LastOffset] = "3", [StageMetadata.LineCount] = "4", [StageMetadata.LineOffsets] = "0-3" } }, Ct);

        LoadResult result = await bed.NewLoader().LoadAllAsync(Ct);

        Assert.Empty(result.Quarantined);
        Assert.Equal([1L, 3L], result.DeadLettered.Select(d => d.Offset).Order());
        Assert.All(result.DeadLettered, d => Assert.Contains("1046", d.Error, StringComparison.Ordinal));
        Assert.Equal(LoaderBed.Expected((0, 0, 9), (1, 0, 0), (1, 2, 2)), await bed.RowsAsync(Ct));
        string letter = (await bed.Container.GetBlobClient("fi/_deadletter/" + bed.Table + "/orders/1/00000000000000000001-00000000000000000001.ndjson").DownloadContentAsync(Ct)).Value.Content.ToString();
        using (JsonDocument doc = JsonDocument.Parse(letter))
        {
            Assert.Equal("RefusedByDatabend", doc.RootElement.GetProperty("reason").GetString());
            Assert.Equal(Line(1, "\"one\"").TrimEnd('\n'), Encoding.UTF8.GetString(doc.RootElement.GetProperty("value").GetBytesFromBase64()));
        }

        Assert.Equal(0, await bed.StagedFileCountAsync());
        Assert.Empty(await bed.Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "fi/_trimmed/", Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task A_file_that_does_not_decompress_is_quarantined_and_the_others_still_load()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 9, Ct);
        await bed.StageAsync("orders", 2, 0, 9, Ct);
        string bad = "fi/" + bed.Table + "/orders/1/00000000000000000000-00000000000000000001.ndjson.zst";
        await bed.Container.GetBlobClient(bad).UploadAsync(BinaryData.FromString("this is not zstd"),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { [StageMetadata.FirstOffset] = "0", [StageMetadata.LastOffset] = "1", [StageMetadata.LineCount] = "2", [StageMetadata.LineOffsets] = "0-1" } }, Ct);

        LoadResult result = await bed.NewLoader().LoadAllAsync(Ct);

        (StageFileName file, string error) = Assert.Single(result.Quarantined);
        Assert.Equal(bad, file.Path);
        Assert.Contains("1076", error, StringComparison.Ordinal);
        Assert.Equal(LoaderBed.Expected((0, 0, 9), (2, 0, 9)), await bed.RowsAsync(Ct));
        BlobProperties quarantined = (await bed.Container.GetBlobClient("fi/_quarantine/" + bed.Table + "/orders/1/00000000000000000000-00000000000000000001.ndjson.zst").GetPropertiesAsync(cancellationToken: Ct)).Value;
        Assert.Contains("1076", quarantined.Metadata[StageMetadata.QuarantineError], StringComparison.Ordinal);
        Assert.Equal(0, await bed.StagedFileCountAsync());

        // Staging skips the quarantined offsets: they are accounted for, not re-staged.
        StageBatchResult restaged = await bed.StageAsync("orders", 1, 0, 1, Ct);
        Assert.Equal(2, restaged.SkippedRecords);
    }

    [Theory]
    [InlineData(1025, "Unknown table")]
    [InlineData(3001, "storage: permission denied")]
    [InlineData(4000, "azblob: AuthenticationFailed")]
    [InlineData(1043, "aborted")]
    public async Task An_environment_error_fails_the_pass_and_quarantines_nothing(int code, string message)
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 9, Ct);
        await bed.StageAsync("orders", 1, 0, 9, Ct);
        bed.Emulator.InjectFault(new DatabendFault("^COPY INTO", DatabendFaultKind.FailWithCode) { Code = code, Message = message, Times = 100 });

        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => bed.NewLoader().LoadAllAsync(Ct));

        Assert.Equal(code, e.ServerCode);
        Assert.Equal(2, await bed.StagedFileCountAsync());
        Assert.Empty(await bed.Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "fi/_quarantine/", Ct).ToListAsync(Ct));
        Assert.Empty(await bed.Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, "fi/_deadletter/", Ct).ToListAsync(Ct));
        Assert.Empty(await bed.RowsAsync(Ct));
    }

    [Fact]
    public async Task A_failed_ledger_write_commits_nothing_and_the_next_pass_loads_once()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 19, Ct);
        bed.Emulator.InjectFault(new DatabendFault("^UPDATE .* SET next_offset", DatabendFaultKind.FailWithCode) { Code = 1006, Message = "injected permanent failure" });

        DatabendException e = await Assert.ThrowsAsync<DatabendException>(() => bed.NewLoader().LoadAllAsync(Ct));
        Assert.Equal(1006, e.ServerCode);
        Assert.Empty(await bed.RowsAsync(Ct));
        Assert.DoesNotContain(bed.Emulator.ExecutedStatements, s => s == "COMMIT");

        await bed.NewLoader().LoadAllAsync(Ct);
        Assert.Equal(LoaderBed.Expected((0, 0, 19)), await bed.RowsAsync(Ct));
    }

    [Fact]
    public async Task Setup_is_idempotent_and_bad_options_name_the_setting()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        using (DatabendClient client = bed.Client())
        {
            await DatabendSetup.EnsureAsync(client, bed.Staging, bed.Loader, new AzureStageConnection("http://127.0.0.1:1/x", "a", "k", "c"), Ct);
        }

        Assert.Equal("FuncIngest:Loader:MaxFilesPerLoad", Assert.Throws<FuncIngestConfigurationException>(() => new LoaderOptions { MaxFilesPerLoad = 20_000 }.Validate()).Setting);
        Assert.Equal("FuncIngest:Loader:StageName", Assert.Throws<FuncIngestConfigurationException>(() => new LoaderOptions { StageName = "x;drop" }.Validate()).Setting);
        Assert.DoesNotContain("secret-key", new AzureStageConnection("e", "a", "secret-key", "c").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_lag_gauge_shows_offsets_staged_but_not_loaded()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 99, Ct);
        await bed.StageAsync("orders", 0, 100, 129, Ct);
        bed.Loader.MaxFilesPerLoad = 1;

        LoadResult first = await bed.NewLoader().LoadPendingAsync(Ct);
        long afterFirst = ReadLag(bed.Table);
        await bed.NewLoader().LoadAllAsync(Ct);
        long afterAll = ReadLag(bed.Table);

        Assert.True(first.MoreRemaining);
        Assert.Equal(30, afterFirst);
        Assert.Equal(0, afterAll);
    }

    [Fact]
    public async Task While_every_load_fails_the_lag_gauge_counts_what_is_staged_against_the_last_ledger_values()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 99, Ct);
        await bed.NewLoader().LoadAllAsync(Ct);
        Assert.Equal(0, ReadLags(bed.Table)[0]);

        // Databend is down: every statement of every attempt is answered 503.
        DatabendFault down = bed.Emulator.InjectFault(new DatabendFault(".", DatabendFaultKind.ServiceUnavailable) { Times = 100_000 });
        await bed.StageAsync("orders", 0, 100, 149, Ct);
        await Assert.ThrowsAsync<DatabendException>(() => bed.NewLoader().LoadAllAsync(Ct));
        Assert.Equal(50, ReadLags(bed.Table)[0]);

        // More is staged while it stays down; partition 1's ledger was never read: it counts
        // from its lowest staged offset.
        await bed.StageAsync("orders", 0, 150, 199, Ct);
        await bed.StageAsync("orders", 1, 20, 49, Ct);
        await Assert.ThrowsAsync<DatabendException>(() => bed.NewLoader().LoadAllAsync(Ct));
        Dictionary<int, long> failing = ReadLags(bed.Table);
        Assert.Equal(100, failing[0]);
        Assert.Equal(30, failing[1]);

        // Back (one more statement fails, the transaction is retried): everything loads, lag 0.
        down.Times = 1;
        await bed.NewLoader().LoadAllAsync(Ct);
        Dictionary<int, long> back = ReadLags(bed.Table);
        Assert.Equal((0L, 0L), (back[0], back[1]));
        Assert.Equal(LoaderBed.Expected((0, 0, 199), (1, 20, 49)), await bed.RowsAsync(Ct));
    }

    /// <summary>The lag gauge's values of a table, per partition.</summary>
    private static Dictionary<int, long> ReadLags(string table)
    {
        var lags = new Dictionary<int, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "FuncIngest" && instrument.Name == "funcingest.loader.lag")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? seenTable = null;
            int? partition = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                seenTable = tag.Key == "table" ? (string?)tag.Value : seenTable;
                partition = tag.Key == "partition" ? (int?)tag.Value : partition;
            }

            if (seenTable == table && partition is { } p)
            {
                lags[p] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return lags;
    }

    private static long ReadLag(string table)
    {
        long lag = -1;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "FuncIngest" && instrument.Name == "funcingest.loader.lag")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "table" && (string?)tag.Value == table)
                {
                    lag = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return lag;
    }

    [Fact]
    public async Task The_sweeper_finds_tables_with_old_staged_files_only()
    {
        await using LoaderBed bed = await LoaderBed.StartAsync(azurite, Ct);
        await bed.StageAsync("orders", 0, 0, 9, Ct);
        await bed.Stager.StageAsync([.. StageTestKit.MakeRecords("orders", 0, 10, 10, _ => "bad")], Ct);

        IReadOnlyList<StrandedTable> fresh = await new StageSweeper(bed.Store, bed.Staging.Prefix).FindStrandedAsync(TimeSpan.FromMinutes(5), Ct);
        IReadOnlyList<StrandedTable> all = await new StageSweeper(bed.Store, bed.Staging.Prefix).FindStrandedAsync(TimeSpan.FromSeconds(-5), Ct);

        Assert.Empty(fresh);
        StrandedTable table = Assert.Single(all);
        Assert.Equal((bed.Table, 2), (table.Table, table.Files));

        await bed.NewLoader().LoadAllAsync(Ct);
        Assert.Empty(await new StageSweeper(bed.Store, bed.Staging.Prefix).FindStrandedAsync(TimeSpan.FromSeconds(-5), Ct));
    }

    /// <summary>A store whose deletes are lost: the process dies after COMMIT, before cleanup.</summary>
    private sealed class NoDeleteStore(IStageStore inner) : IStageStore
    {
        public IAsyncEnumerable<StagedObject> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public Task<IStageUpload> StartUploadAsync(string path, CancellationToken cancellationToken = default) => inner.StartUploadAsync(path, cancellationToken);

        public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) => inner.OpenReadAsync(path, cancellationToken);

        public Task DeleteAsync(string path, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task<IStageLock> LockAsync(string name, CancellationToken cancellationToken = default) => inner.LockAsync(name, cancellationToken);
    }
}
