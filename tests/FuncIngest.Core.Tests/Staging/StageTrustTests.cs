using System.Diagnostics;
using Databend.Client;
using FuncIngest.Hosting;
using FuncIngest.Records;
using FuncIngest.Staging;

namespace FuncIngest.Core.Tests.Staging;

/// <summary>Names, metadata and settings that come from outside (issue 21, parts 1 and 4).</summary>
public sealed class StageTrustTests
{
    [Fact]
    public void A_name_whose_last_offset_is_long_MaxValue_is_not_a_staged_file()
    {
        Assert.False(StageFileName.TryParse("p/t/x/0/00000000000000000000-09223372036854775807.ndjson", out _));
        Assert.True(StageFileName.TryParse("p/t/x/0/00000000000000000000-09223372036854775806.ndjson", out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StageFileName("p", "t", "x", 0, 0, long.MaxValue, StageCompression.None));
    }

    [Theory]
    [InlineData("p/t/bad topic/0/00000000000000000000-00000000000000000001.ndjson")]
    [InlineData("p/t/../0/00000000000000000000-00000000000000000001.ndjson")]
    [InlineData("p/funcingest offsets/x/0/00000000000000000000-00000000000000000001.ndjson")]
    public void Names_no_writer_produces_are_not_staged_files(string path) => Assert.False(StageFileName.TryParse(path, out _));

    [Theory]
    [InlineData("a..b", true)]
    [InlineData("orders.v1-eu_2", true)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("", false)]
    [InlineData("a/b", false)]
    [InlineData("ä", false)]
    public void Topic_names_follow_Kafkas_rule(string topic, bool valid)
    {
        Assert.Equal(valid, KafkaTopicName.IsValid(topic));
        Assert.Equal(valid, Record(topic) is not null);
    }

    [Fact]
    public void Topic_names_of_249_characters_are_valid_and_of_250_are_not()
    {
        Assert.True(KafkaTopicName.IsValid(new string('a', 249)));
        Assert.False(KafkaTopicName.IsValid(new string('a', 250)));
    }

    [Theory]
    [InlineData("a..b/0/x.ndjson", true)]
    [InlineData("p/a..b", true)]
    [InlineData("p/../x", false)]
    [InlineData("../x", false)]
    [InlineData("p/./x", false)]
    [InlineData("p/..", false)]
    public void Stage_paths_refuse_dot_segments_not_dots_inside_a_segment(string path, bool valid) =>
        Assert.Equal(valid, DatabendSql.IsValidStagePath(path));

    [Fact]
    public void Parsing_descending_ranges_costs_about_what_ascending_ones_do()
    {
        // Adding ranges one by one inserts each descending range at the front of the list
        // (O(n) each): 200,000 of them take many seconds, ascending ones milliseconds. Compared
        // with each other, not with a clock, because the machine running the tests may be busy.
        long[] offsets = [.. Enumerable.Range(1, 200_000).Select(i => i * 3L)];
        string ascending = string.Join(',', offsets);
        string descending = string.Join(',', offsets.Reverse());
        OffsetRanges.Parse(ascending);

        var watch = Stopwatch.StartNew();
        OffsetRanges up = OffsetRanges.Parse(ascending);
        TimeSpan upTime = watch.Elapsed;
        watch.Restart();
        OffsetRanges down = OffsetRanges.Parse(descending);
        TimeSpan downTime = watch.Elapsed;

        Assert.Equal(up.ToString(), down.ToString());
        Assert.True(downTime < (upTime * 5) + TimeSpan.FromMilliseconds(500), $"descending {downTime}, ascending {upTime}");
    }

    [Fact]
    public void Parse_merges_unsorted_and_overlapping_ranges()
    {
        Assert.Equal("0-9,20", OffsetRanges.Parse("20,5-9,0-4,3-6").ToString());
        Assert.Equal(OffsetRanges.Parse("0-4,6").ToString(), OffsetRanges.Parse("6,0-4").ToString());
    }

    [Theory]
    [InlineData("9223372036854775807")]
    [InlineData("0-9223372036854775807")]
    [InlineData("0-9223372036854775808")]
    public void Parse_refuses_offsets_a_ledger_cannot_follow(string text) =>
        Assert.Throws<FormatException>(() => OffsetRanges.Parse(text));

    [Fact]
    public void A_file_counts_only_when_it_is_not_empty_and_its_metadata_agrees_with_its_name()
    {
        var name = new StageFileName("p", "t", "x", 0, 10, 19, StageCompression.None);
        Dictionary<string, string> good = new()
        {
            [StageMetadata.FirstOffset] = "10", [StageMetadata.LastOffset] = "19", [StageMetadata.LineCount] = "10", [StageMetadata.LineOffsets] = "10-19",
        };

        Assert.Null(StageFiles.Disagreement(name, new StagedObject(name.Path, 100, good, DateTimeOffset.UtcNow)));
        Assert.NotNull(StageFiles.Disagreement(name, new StagedObject(name.Path, 0, good, DateTimeOffset.UtcNow)));
        Assert.NotNull(StageFiles.Disagreement(name, new StagedObject(name.Path, 100, new Dictionary<string, string>(), DateTimeOffset.UtcNow)));
        foreach ((string key, string value) in new[] { (StageMetadata.FirstOffset, "0"), (StageMetadata.LastOffset, "9223372036854775806"), (StageMetadata.LineCount, "11"), (StageMetadata.LineCount, "0"), (StageMetadata.LineCount, "x") })
        {
            var bad = new Dictionary<string, string>(good) { [key] = value };
            Assert.NotNull(StageFiles.Disagreement(name, new StagedObject(name.Path, 100, bad, DateTimeOffset.UtcNow)));
        }
    }

    [Fact]
    public void Only_configured_tables_are_routed_and_the_ledger_never_is()
    {
        var settings = new FuncIngestSettings { Staging = { Table = "events", Tables = "orders, payments" } };
        Assert.Equal(["events", "orders", "payments"], settings.Staging.ConfiguredTables);
        settings.ValidateTables();

        settings.Staging.Tables = "orders,funcingest_offsets";
        FuncIngestConfigurationException e = Assert.Throws<FuncIngestConfigurationException>(settings.ValidateTables);
        Assert.Contains("FuncIngest:Staging:Tables", e.Message, StringComparison.Ordinal);

        settings.Staging.Tables = "not-an-identifier";
        Assert.Throws<FuncIngestConfigurationException>(settings.Staging.Validate);
    }

    [Fact]
    public void Plaintext_endpoints_off_this_machine_are_warned_about()
    {
        var local = new FuncIngestSettings
        {
            KafkaBrokerList = "127.0.0.1:9092,localhost:9093",
            DatabendDsn = "databend://u:p@127.0.0.1:8000/db?sslmode=disable",
            StageConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1",
        };
        Assert.Empty(local.PlaintextWarnings());

        var remote = new FuncIngestSettings
        {
            KafkaBrokerList = "kafka.example.com:9092",
            KafkaProtocol = "SaslPlaintext",
            DatabendDsn = "databend://u:p@db.example.com:8000/db?sslmode=disable",
            StageConnectionString = "DefaultEndpointsProtocol=http;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net",
        };
        IReadOnlyList<string> warnings = remote.PlaintextWarnings();
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("kafka.example.com", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("db.example.com", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("acct.blob.core.windows.net", StringComparison.Ordinal));

        var secure = new FuncIngestSettings
        {
            KafkaBrokerList = "kafka.example.com:9093",
            KafkaProtocol = "SaslSsl",
            DatabendDsn = "databend://u:p@db.example.com:443/db",
            StageConnectionString = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net",
        };
        Assert.Empty(secure.PlaintextWarnings());
    }

    private static IngestRecord? Record(string topic)
    {
        try
        {
            return new IngestRecord(topic, 0, 0, null, null);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
