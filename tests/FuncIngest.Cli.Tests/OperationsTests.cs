using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Databend.Client;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Kafka;

namespace FuncIngest.Cli.Tests;

/// <summary><c>funcingest quarantine</c> and <c>funcingest deadletter</c> against the mock cluster, Azurite and the Databend emulator.</summary>
public sealed class OperationsTests(KafkaFixture kafka, AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Transform mode into a table with a column the records lack (MissingFieldAs = ERROR): every
    /// line is refused, the loader dead-letters 100 lines of each file and then quarantines it.
    /// </summary>
    private static readonly string[] s_transform =
    [
        "--set", "FuncIngest:Staging:Encoding:Mode=Transform",
        "--set", "FuncIngest:Staging:MaxFileRecords=150",
        "--set", "FuncIngest:Run:MaxBatchRecords=10000",
        "--set", "FuncIngest:Run:MaxBatchWaitMs=2000",
    ];

    private static readonly string[] s_fixed = [.. s_transform, "--set", "FuncIngest:Loader:MissingFieldAs=NULL"];

    [Fact]
    public async Task A_file_quarantined_for_a_missing_column_loads_exactly_once_after_the_fix_and_release()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        await CreateTableAsync(bed);
        await kafka.ProduceAsync(bed.Topic, 1, 300, cancellationToken: Ct);
        Assert.True((await bed.CliAsync(Ct, ["init", .. s_transform])).Exit == 0);

        (int runExit, string runOutput) = await bed.CliAsync(Ct, ["run", "--exit-when-idle", "2", .. s_transform]);
        Assert.True(runExit == 0, runOutput);
        Assert.Equal(0, await CountAsync(bed));
        JsonArray quarantined = await ListQuarantineAsync(bed);
        Assert.Equal(2, quarantined.Count);
        Assert.All(quarantined, q => Assert.Contains("missing field extra", (string)q!["error"]!, StringComparison.Ordinal));

        // The fix, then release: every record not dead-lettered loads once.
        (int releaseExit, string release) = await bed.CliAsync(Ct, ["quarantine", "release", "--topic", bed.Topic, "--partition", "0", .. s_fixed]);
        Assert.True(releaseExit == 0, release);
        Assert.Contains("2 of 2 files back in the staged area", release, StringComparison.Ordinal);
        Assert.Empty(await ListQuarantineAsync(bed));
        (int loadExit, string load) = await bed.CliAsync(Ct, ["run", "--exit-when-idle", "1", .. s_fixed]);
        Assert.True(loadExit == 0, load);

        // 100 lines of each file are dead letters (replay decides about them): 2 x 50 rows.
        (long rows, long distinct) = await RowsAsync(bed);
        Assert.Equal(100, rows);
        Assert.Equal(100, distinct);

        // Releasing again: nothing to release, a one-line usage error, nothing loads twice.
        (int againExit, string again) = await bed.CliAsync(Ct, ["quarantine", "release", "--all", .. s_fixed]);
        Assert.Equal(2, againExit);
        Assert.Single(again.Trim().Split('\n'));
        Assert.StartsWith("error: no quarantined file", again, StringComparison.Ordinal);
        Assert.True((await bed.CliAsync(Ct, ["run", "--exit-when-idle", "1", .. s_fixed])).Exit == 0);
        Assert.Equal((100L, 100L), await RowsAsync(bed));
    }

    [Fact]
    public async Task A_file_quarantined_behind_the_ledger_loads_once_through_the_refill_area_even_when_released_again_after_a_crash()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        await CreateTableAsync(bed);
        // Files of 150, 150 and 30 lines: the first two are quarantined (over 100 refused lines),
        // the third has all 30 lines dead-lettered and moves the ledger past the first two.
        await kafka.ProduceAsync(bed.Topic, 1, 330, cancellationToken: Ct);
        Assert.True((await bed.CliAsync(Ct, ["init", .. s_transform])).Exit == 0);
        Assert.True((await bed.CliAsync(Ct, ["run", "--exit-when-idle", "2", .. s_transform])).Exit == 0);
        JsonArray quarantined = await ListQuarantineAsync(bed);
        Assert.Equal(2, quarantined.Count);

        // Keep a copy of the first file as it is now, to put it back as if release had crashed
        // after its load committed and before it deleted the quarantined file.
        BlobContainerClient container = new(azurite.ConnectionString, "c-" + bed.Table.Replace('_', '-'));
        BlobClient first = container.GetBlobClient((string)quarantined[0]!["file"]!);
        BinaryData content = (await first.DownloadContentAsync(Ct)).Value.Content;
        IDictionary<string, string> metadata = (await first.GetPropertiesAsync(cancellationToken: Ct)).Value.Metadata;

        (int releaseExit, string release) = await bed.CliAsync(Ct, ["quarantine", "release", "--all", .. s_fixed]);
        Assert.True(releaseExit == 0, release);
        Assert.Contains("2 files were behind the ledger and are loaded already", release, StringComparison.Ordinal);
        Assert.Empty(await ListQuarantineAsync(bed));
        Assert.Equal((100L, 100L), await RowsAsync(bed));

        await first.UploadAsync(content, new BlobUploadOptions { Metadata = metadata }, Ct);
        (int againExit, string again) = await bed.CliAsync(Ct, ["quarantine", "release", "--all", .. s_fixed]);
        Assert.True(againExit == 0, again);
        Assert.Empty(await ListQuarantineAsync(bed));
        Assert.True((await bed.CliAsync(Ct, ["run", "--exit-when-idle", "1", .. s_fixed])).Exit == 0);
        Assert.Equal((100L, 100L), await RowsAsync(bed));
    }

    [Fact]
    public async Task Dead_letters_of_strict_json_replay_once_after_strict_json_is_turned_off_however_often_replay_runs()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 2, strictJson: true);
        await kafka.ProduceAsync(bed.Topic, 2, 200, i => System.Text.Encoding.UTF8.GetBytes(i % 20 == 7 ? $"not json {i}" : $"{{\"n\":{i}}}"), Ct);
        Assert.True((await bed.CliAsync(Ct, "init")).Exit == 0);
        Assert.True((await bed.CliAsync(Ct, "run", "--exit-when-idle", "2")).Exit == 0);

        (int listExit, string list) = await bed.CliAsync(Ct, "deadletter", "list", "--reason", "NotJson", "--json");
        Assert.True(listExit == 0, list);
        Assert.Equal(10, JsonNode.Parse(list)!.AsArray().Count);

        // Still strict: the encoder rejects them again, nothing moves.
        (int strictExit, string strict) = await bed.CliAsync(Ct, "deadletter", "replay");
        Assert.Equal(1, strictExit);
        Assert.Contains("still rejected 10", strict, StringComparison.Ordinal);

        string[] lenient = ["--set", "FuncIngest:Staging:Encoding:StrictJson=false"];
        (int replayExit, string replay) = await bed.CliAsync(Ct, ["deadletter", "replay", "--reason", "NotJson", .. lenient]);
        Assert.True(replayExit == 0, replay);
        Assert.Contains("loaded 10", replay, StringComparison.Ordinal);
        Assert.Equal((200L, 200L), await RawRowsAsync(bed));
        Assert.Contains("no dead letters", (await bed.CliAsync(Ct, "deadletter", "list")).Output, StringComparison.Ordinal);

        // Replay again: nothing left, a one-line usage error.
        (int againExit, string again) = await bed.CliAsync(Ct, ["deadletter", "replay", .. lenient]);
        Assert.Equal(2, againExit);
        Assert.StartsWith("error: no dead letters", again, StringComparison.Ordinal);

        // As if a replay crashed after loading and before moving the files: put them back.
        BlobContainerClient container = new(azurite.ConnectionString, "c-" + bed.Table.Replace('_', '-'));
        await foreach (BlobItem blob in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, "funcingest/_deadletter_replayed/", Ct))
        {
            BinaryData content = (await container.GetBlobClient(blob.Name).DownloadContentAsync(Ct)).Value.Content;
            await container.GetBlobClient(blob.Name.Replace("_deadletter_replayed/", "_deadletter/", StringComparison.Ordinal))
                .UploadAsync(content, new BlobUploadOptions { Metadata = blob.Metadata }, Ct);
        }

        (int crashExit, string crash) = await bed.CliAsync(Ct, ["deadletter", "replay", .. lenient]);
        Assert.True(crashExit == 0, crash);
        Assert.Contains("loaded 0, already loaded 10", crash, StringComparison.Ordinal);
        Assert.Equal((200L, 200L), await RawRowsAsync(bed));
    }

    [Fact]
    public async Task Lines_databend_refused_replay_as_values_in_transform_mode_once_the_table_accepts_them()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        await CreateTableAsync(bed);
        await kafka.ProduceAsync(bed.Topic, 1, 330, cancellationToken: Ct);
        Assert.True((await bed.CliAsync(Ct, ["init", .. s_transform])).Exit == 0);
        Assert.True((await bed.CliAsync(Ct, ["run", "--exit-when-idle", "2", .. s_transform])).Exit == 0);
        (_, string list) = await bed.CliAsync(Ct, "deadletter", "list", "--reason", "RefusedByDatabend", "--json");
        Assert.Equal(230, JsonNode.Parse(list)!.AsArray().Count);

        Assert.True((await bed.CliAsync(Ct, ["quarantine", "release", "--all", .. s_fixed])).Exit == 0);
        (int replayExit, string replay) = await bed.CliAsync(Ct, ["deadletter", "replay", "--reason", "RefusedByDatabend", "--topic", bed.Topic, "--partition", "0", .. s_fixed]);
        Assert.True(replayExit == 0, replay);
        Assert.Contains("loaded 230", replay, StringComparison.Ordinal);
        Assert.Equal((330L, 330L), await RowsAsync(bed));
        Assert.True((await bed.CliAsync(Ct, ["run", "--exit-when-idle", "1", .. s_fixed])).Exit == 0);
        Assert.Equal((330L, 330L), await RowsAsync(bed));
    }

    [Fact]
    public async Task Replay_while_the_loader_holds_its_lease_is_refused_in_one_line_and_changes_nothing()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: true);
        await kafka.ProduceAsync(bed.Topic, 1, 20, i => System.Text.Encoding.UTF8.GetBytes(i == 3 ? "not json" : $"{{\"n\":{i}}}"), Ct);
        Assert.True((await bed.CliAsync(Ct, "run", "--exit-when-idle", "2")).Exit == 0);
        BlobContainerClient container = new(azurite.ConnectionString, "c-" + bed.Table.Replace('_', '-'));
        BlobClient lockBlob = container.GetBlobClient($"funcingest/_locks/{bed.Table}.loader");
        if (!(await lockBlob.ExistsAsync(Ct)).Value)
        {
            await lockBlob.UploadAsync(BinaryData.Empty, Ct);
        }

        Azure.Storage.Blobs.Specialized.BlobLeaseClient lease = Azure.Storage.Blobs.Specialized.SpecializedBlobExtensions.GetBlobLeaseClient(lockBlob);
        await lease.AcquireAsync(TimeSpan.FromSeconds(15), cancellationToken: Ct);
        try
        {
            (int exit, string output) = await bed.CliAsync(Ct, "deadletter", "replay", "--set", "FuncIngest:Staging:Encoding:StrictJson=false", "--set", "FuncIngest:Stage:LockTimeout=00:00:01");

            Assert.Equal(1, exit);
            Assert.Single(output.Trim().Split('\n'));
            Assert.Contains("holds its lease", output, StringComparison.Ordinal);
        }
        finally
        {
            await lease.ReleaseAsync(cancellationToken: Ct);
        }

        Assert.Equal((19L, 19L), await RawRowsAsync(bed));
        Assert.Single(JsonNode.Parse((await bed.CliAsync(Ct, "deadletter", "list", "--json")).Output)!.AsArray());
    }

    [Theory]
    [InlineData("--file", "00000000000000000000-00000000000000000009.ndjson.zst")]
    [InlineData("--topic", "no-such-topic")]
    public async Task Release_of_something_that_is_not_quarantined_is_a_one_line_usage_error(string option, string value)
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        Assert.True((await bed.CliAsync(Ct, "init")).Exit == 0);
        string[] args = option == "--topic" ? ["quarantine", "release", option, value, "--partition", "7"] : ["quarantine", "release", option, value];

        (int exit, string output) = await bed.CliAsync(Ct, args);

        Assert.Equal(2, exit);
        Assert.Single(output.Trim().Split('\n'));
        Assert.StartsWith("error: no quarantined file", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Release_needs_exactly_one_selection()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);

        (int none, string noneOutput) = await bed.CliAsync(Ct, "quarantine", "release");
        (int both, _) = await bed.CliAsync(Ct, "quarantine", "release", "--all", "--file", "x");
        (int topicOnly, _) = await bed.CliAsync(Ct, "quarantine", "release", "--topic", "t");

        Assert.Equal(2, none);
        Assert.Contains("exactly one of", noneOutput, StringComparison.Ordinal);
        Assert.Equal(2, both);
        Assert.Equal(2, topicOnly);
    }

    internal static async Task CreateTableAsync(PipelineBed bed)
    {
        using var client = new DatabendClient(bed.Databend.Dsn);
        await client.ExecuteAsync($"CREATE TABLE {bed.Table} (n BIGINT NULL, extra STRING NULL)", Ct);
    }

    internal static async Task<JsonArray> ListQuarantineAsync(PipelineBed bed)
    {
        (int exit, string output) = await bed.CliAsync(Ct, "quarantine", "list", "--json");
        Assert.True(exit == 0, output);
        return JsonNode.Parse(output)!.AsArray();
    }

    internal static async Task<(long Rows, long Distinct)> RawRowsAsync(PipelineBed bed)
    {
        using var client = new DatabendClient(bed.Databend.Dsn);
        DatabendResult rows = await client.ExecuteAsync($"SELECT kpartition, koffset FROM {bed.Table}", Ct);
        return (rows.Rows.Count, rows.Rows.Select(r => (r.GetInt64(0), r.GetInt64(1))).Distinct().Count());
    }

    internal static async Task<long> CountAsync(PipelineBed bed) => (await RowsAsync(bed)).Rows;

    internal static async Task<(long Rows, long Distinct)> RowsAsync(PipelineBed bed)
    {
        using var client = new DatabendClient(bed.Databend.Dsn);
        DatabendResult rows = await client.ExecuteAsync($"SELECT n FROM {bed.Table}", Ct);
        return (rows.Rows.Count, rows.Rows.Select(r => r.GetInt64(0)).Distinct().Count());
    }
}
