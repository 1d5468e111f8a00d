using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Databend.Client;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Kafka;

namespace FuncIngest.Cli.Tests;

/// <summary><c>funcingest ledger list|reset</c> against the mock cluster, Azurite and the Databend emulator.</summary>
public sealed class LedgerCommandTests(KafkaFixture kafka, AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task List_shows_each_key_once_at_the_largest_next_offset_of_its_rows()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 2, strictJson: false);
        Assert.True((await bed.CliAsync(Ct, "init")).Exit == 0);
        // Two loaders that both inserted a first row leave duplicates; the largest value counts.
        await InsertLedgerRowsAsync(bed, (bed.Topic, 0, 9), (bed.Topic, 0, 5), (bed.Topic, 1, 3), ("other", 0, 7));

        JsonArray all = await ListAsync(bed);
        (int exit, string text) = await bed.CliAsync(Ct, "ledger", "list", "--topic", bed.Topic);

        Assert.Equal(3, all.Count);
        JsonNode zero = all.Single(k => (string)k!["topic"]! == bed.Topic && (int)k!["partition"]! == 0)!;
        Assert.Equal(9L, (long)zero["next_offset"]!);
        Assert.Equal(2, (int)zero["rows"]!);
        Assert.Equal(3L, (long)all.Single(k => (string)k!["topic"]! == bed.Topic && (int)k!["partition"]! == 1)!["next_offset"]!);
        Assert.True(exit == 0, text);
        Assert.DoesNotContain("other", text, StringComparison.Ordinal);
        Assert.Contains("│ 9 ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_reset_run_reloads_from_the_new_offsets_exactly_once()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 2, strictJson: false);
        await kafka.ProduceAsync(bed.Topic, 2, 200, cancellationToken: Ct);
        Assert.True((await bed.CliAsync(Ct, "init")).Exit == 0);
        Assert.True((await bed.CliAsync(Ct, "run", "--exit-when-idle", "2")).Exit == 0);
        Assert.Equal(200, (await OffsetsAsync(bed)).Count);

        // The table is emptied (as if re-created), and partition 0's key gets a duplicate row:
        // a reset that replaced one row only would leave the key at 100 and reload nothing there.
        await ExecuteAsync(bed, $"DELETE FROM {bed.Table}");
        await InsertLedgerRowsAsync(bed, (bed.Topic, 0, 100));

        (int dryExit, string dry) = await bed.CliAsync(Ct, "ledger", "reset", "--topic", bed.Topic, "--partition", "0", "--to-offset", "40");
        Assert.True(dryExit == 0, dry);
        Assert.Contains($"{bed.Topic}[0]: next offset 100 (2 rows) -> next offset 40 (Kafka end offset 100)", dry, StringComparison.Ordinal);
        Assert.Contains("nothing changed: add --yes to apply", dry, StringComparison.Ordinal);
        Assert.Equal(100L, (long)(await ListAsync(bed)).Single(k => (int)k!["partition"]! == 0)!["next_offset"]!);

        (int setExit, string set) = await bed.CliAsync(Ct, "ledger", "reset", "--topic", bed.Topic, "--partition", "0", "--to-offset", "40", "--yes");
        Assert.True(setExit == 0, set);
        (int deleteExit, string delete) = await bed.CliAsync(Ct, "ledger", "reset", "--topic", bed.Topic, "--partition", "1", "--delete", "--yes");
        Assert.True(deleteExit == 0, delete);
        Assert.Contains($"{bed.Topic}[1]: next offset 100 -> no row (the loader starts at 0)", delete, StringComparison.Ordinal);
        JsonArray keys = await ListAsync(bed);
        JsonNode key = Assert.Single(keys)!;
        Assert.Equal((0, 40L, 1), ((int)key["partition"]!, (long)key["next_offset"]!, (int)key["rows"]!));

        // A new consumer group reads from the earliest offsets, as a group reset would.
        string[] fresh = ["--set", "KafkaConsumerGroup=g2-" + bed.Table];
        (int runExit, string run) = await bed.CliAsync(Ct, ["run", "--exit-when-idle", "2", .. fresh]);
        Assert.True(runExit == 0, run);
        List<(long Partition, long Offset)> rows = await OffsetsAsync(bed);
        Assert.Equal(160, rows.Count);
        Assert.Equal(160, rows.Distinct().Count());
        Assert.Equal(Enumerable.Range(40, 60).Select(o => (long)o), rows.Where(r => r.Partition == 0).Select(r => r.Offset).Order());
        Assert.Equal(Enumerable.Range(0, 100).Select(o => (long)o), rows.Where(r => r.Partition == 1).Select(r => r.Offset).Order());

        // Reading it all again loads nothing twice.
        Assert.True((await bed.CliAsync(Ct, ["run", "--exit-when-idle", "1", "--set", "KafkaConsumerGroup=g3-" + bed.Table])).Exit == 0);
        Assert.Equal(160, (await OffsetsAsync(bed)).Count);
    }

    [Fact]
    public async Task Reset_while_the_loader_holds_its_lease_is_refused_in_one_line_and_changes_nothing()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        await kafka.ProduceAsync(bed.Topic, 1, 20, cancellationToken: Ct);
        Assert.True((await bed.CliAsync(Ct, "run", "--exit-when-idle", "2")).Exit == 0);
        string before = (await bed.CliAsync(Ct, "ledger", "list", "--json")).Output;
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
            (int exit, string output) = await bed.CliAsync(Ct, "ledger", "reset", "--topic", bed.Topic, "--delete", "--yes", "--set", "FuncIngest:Stage:LockTimeout=00:00:01");

            Assert.Equal(1, exit);
            Assert.Single(output.Trim().Split('\n'));
            Assert.Contains("holds its lease", output, StringComparison.Ordinal);
        }
        finally
        {
            await lease.ReleaseAsync(cancellationToken: Ct);
        }

        Assert.Contains("\"next_offset\": 20", before, StringComparison.Ordinal);
        Assert.Equal(before, (await bed.CliAsync(Ct, "ledger", "list", "--json")).Output);
    }

    [Theory]
    [InlineData("unknown-topic", null, "5", "is not in Kafka")]
    [InlineData(null, "7", "5", "partition 7 of topic")]
    [InlineData(null, "0", "-1", "is below 0")]
    [InlineData(null, "0", "21", "is above the end offset 20")]
    [InlineData(null, null, "21", "is above the end offset 20")]
    public async Task Bad_input_is_refused_in_one_line_with_exit_2_and_changes_nothing(string? topic, string? partition, string offset, string expected)
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        await kafka.ProduceAsync(bed.Topic, 1, 20, cancellationToken: Ct);
        Assert.True((await bed.CliAsync(Ct, "run", "--exit-when-idle", "2")).Exit == 0);
        string before = (await bed.CliAsync(Ct, "ledger", "list", "--json")).Output;
        string[] args = ["ledger", "reset", "--topic", topic ?? bed.Topic, "--to-offset", offset, "--yes", .. partition is null ? Array.Empty<string>() : ["--partition", partition]];

        (int exit, string output) = await bed.CliAsync(Ct, args);

        Assert.Equal(2, exit);
        Assert.Single(output.Trim().Split('\n'));
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.Contains("\"next_offset\": 20", before, StringComparison.Ordinal);
        Assert.Equal(before, (await bed.CliAsync(Ct, "ledger", "list", "--json")).Output);
    }

    [Fact]
    public async Task Reset_needs_exactly_one_of_to_offset_and_delete()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);

        (int none, string noneOutput) = await bed.CliAsync(Ct, "ledger", "reset", "--topic", bed.Topic);
        (int both, _) = await bed.CliAsync(Ct, "ledger", "reset", "--topic", bed.Topic, "--delete", "--to-offset", "0");

        Assert.Equal(2, none);
        Assert.Contains("exactly one of --to-offset O or --delete", noneOutput, StringComparison.Ordinal);
        Assert.Equal(2, both);
    }

    private static async Task<JsonArray> ListAsync(PipelineBed bed)
    {
        (int exit, string output) = await bed.CliAsync(Ct, "ledger", "list", "--json");
        Assert.True(exit == 0, output);
        return JsonNode.Parse(output)!.AsArray();
    }

    private static async Task InsertLedgerRowsAsync(PipelineBed bed, params (string Topic, int Partition, long Next)[] rows)
    {
        string values = string.Join(", ", rows.Select(r => $"('{bed.Table}', '{r.Topic}', {r.Partition}, {r.Next}, '2026-01-02 03:04:05')"));
        await ExecuteAsync(bed, $"INSERT INTO funcingest_offsets (target_table, topic, kpartition, next_offset, updated_at) VALUES {values}");
    }

    private static async Task ExecuteAsync(PipelineBed bed, string sql)
    {
        using var client = new DatabendClient(bed.Databend.Dsn);
        await client.ExecuteAsync(sql, Ct);
    }

    private static async Task<List<(long Partition, long Offset)>> OffsetsAsync(PipelineBed bed)
    {
        using var client = new DatabendClient(bed.Databend.Dsn);
        DatabendResult rows = await client.ExecuteAsync($"SELECT kpartition, koffset FROM {bed.Table}", Ct);
        return [.. rows.Rows.Select(r => (r.GetInt64(0), r.GetInt64(1)))];
    }
}
