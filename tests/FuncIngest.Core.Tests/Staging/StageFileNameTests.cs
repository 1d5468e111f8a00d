using FuncIngest.Staging;

namespace FuncIngest.Core.Tests.Staging;

public sealed class StageFileNameTests
{
    [Fact]
    public void Path_is_deterministic_zero_padded_and_round_trips()
    {
        var name = new StageFileName("stage/v1", "events", "orders", 3, 42, 1041, StageCompression.Zstd);

        Assert.Equal("stage/v1/events/orders/3/00000000000000000042-00000000000000001041.ndjson.zst", name.Path);
        Assert.True(StageFileName.TryParse(name.Path, out StageFileName? parsed));
        Assert.Equal(name, parsed);
    }

    [Theory]
    [InlineData(StageCompression.Gzip, ".ndjson.gz")]
    [InlineData(StageCompression.None, ".ndjson")]
    public void Extension_follows_compression_and_parses_back(StageCompression compression, string extension)
    {
        var name = new StageFileName(string.Empty, "t", "topic.with.dots", 0, 0, 0, compression);

        Assert.EndsWith(extension, name.Path, StringComparison.Ordinal);
        Assert.StartsWith("t/topic.with.dots/0/", name.Path, StringComparison.Ordinal);
        Assert.True(StageFileName.TryParse(name.Path, out StageFileName? parsed));
        Assert.Equal(compression, parsed.Compression);
    }

    [Fact]
    public void Lexical_order_of_a_partition_is_offset_order()
    {
        long[] firsts = [9, 10, 99, 100, 1_000_000, 5];
        List<string> paths = [.. firsts.Select(f => new StageFileName("p", "t", "x", 1, f, f + 1, StageCompression.Zstd).Path)];

        List<string> lexical = [.. paths.Order(StringComparer.Ordinal)];
        List<string> byOffset = [.. firsts.Order().Select(f => new StageFileName("p", "t", "x", 1, f, f + 1, StageCompression.Zstd).Path)];
        Assert.Equal(byOffset, lexical);
    }

    [Theory]
    [InlineData("p/t/x/1/00000000000000000001-00000000000000000000.ndjson.zst")] // last < first
    [InlineData("p/t/x/1/1-2.ndjson.zst")] // not padded
    [InlineData("p/t/x/one/00000000000000000001-00000000000000000002.ndjson.zst")]
    [InlineData("p/t/x/1/00000000000000000001-00000000000000000002.csv")]
    [InlineData("t/1/00000000000000000001-00000000000000000002.ndjson")]
    [InlineData("p//x/1/00000000000000000001-00000000000000000002.ndjson")]
    [InlineData("")]
    public void Foreign_paths_do_not_parse(string path) => Assert.False(StageFileName.TryParse(path, out _));

    [Fact]
    public void Bad_parts_are_rejected_with_the_parameter_name()
    {
        Assert.Equal("table", Assert.Throws<ArgumentException>(() => new StageFileName("p", "a/b", "x", 0, 0, 0, StageCompression.Zstd)).ParamName);
        Assert.Equal("prefix", Assert.Throws<ArgumentException>(() => new StageFileName("p/", "t", "x", 0, 0, 0, StageCompression.Zstd)).ParamName);
        Assert.Equal("lastOffset", Assert.Throws<ArgumentOutOfRangeException>(() => new StageFileName("p", "t", "x", 0, 5, 4, StageCompression.Zstd)).ParamName);
    }
}
