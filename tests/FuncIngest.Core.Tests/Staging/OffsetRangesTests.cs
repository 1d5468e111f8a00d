using FuncIngest.Staging;

namespace FuncIngest.Core.Tests.Staging;

public sealed class OffsetRangesTests
{
    [Fact]
    public void Adding_merges_adjacent_and_overlapping_ranges_in_any_order()
    {
        var ranges = new OffsetRanges();
        foreach (long o in new long[] { 5, 3, 4, 10, 12, 11, 20, 0 })
        {
            ranges.Add(o);
        }

        ranges.Add(14, 18);
        ranges.Add(13, 13);

        Assert.Equal("0,3-5,10-18,20", ranges.ToString());
        Assert.Equal(14, ranges.Count);
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(5, true)]
    [InlineData(6, false)]
    [InlineData(20, true)]
    [InlineData(21, false)]
    public void Contains_finds_offsets_inside_ranges(long offset, bool expected) =>
        Assert.Equal(expected, OffsetRanges.Parse("0,3-5,10-18,20").Contains(offset));

    [Theory]
    [InlineData(0, 3, false)]
    [InlineData(0, 4, true)]
    [InlineData(5, 10, false)]
    [InlineData(6, 10, false)]
    [InlineData(6, 11, true)]
    [InlineData(19, 21, true)]
    [InlineData(21, 100, false)]
    public void IntersectsOpen_looks_strictly_between_the_bounds(long low, long high, bool expected) =>
        Assert.Equal(expected, OffsetRanges.Parse("0,3-5,10-18,20").IntersectsOpen(low, high));

    [Theory]
    [InlineData("1-")]
    [InlineData("5-3")]
    [InlineData("a")]
    [InlineData("-1")]
    public void Parse_rejects_malformed_text(string text) => Assert.Throws<FormatException>(() => OffsetRanges.Parse(text));

    [Fact]
    public void Round_trips_and_empty_is_empty()
    {
        Assert.Equal("7-9,100,102-200", OffsetRanges.Parse("100, 7-9,102-200").ToString());
        Assert.Equal(string.Empty, OffsetRanges.Parse(string.Empty).ToString());
    }
}
