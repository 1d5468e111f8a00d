using Confluent.Kafka;
using FuncIngest.Cli.Progress;
using FuncIngest.Loading;
using FuncIngest.Staging;

namespace FuncIngest.Cli.Tests;

/// <summary>The numbers of <c>run</c>'s live view: counters, lag and rates against a clock the test moves.</summary>
public sealed class RunProgressTests
{
    private static readonly TopicPartition s_p0 = new("events", 0);
    private static readonly TopicPartition s_p1 = new("events", 1);

    [Fact]
    public void Counts_lag_and_rates_come_from_the_fed_events_the_watermarks_and_the_window()
    {
        var clock = new ManualClock();
        var model = new RunProgressModel(clock, TimeSpan.FromSeconds(10));
        var ends = new Dictionary<TopicPartition, long> { [s_p0] = 1000, [s_p1] = 50 };
        model.AttachWatermarks(() => [s_p0, s_p1], p => new WatermarkOffsets(0, ends[p]));

        RunProgressSnapshot start = model.Sample();
        for (long o = 0; o < 400; o++)
        {
            model.Consumed(s_p0, o);
        }

        model.ReachedEnd(s_p1, 50);
        model.Staged(Batch((s_p0, 0, 299)));
        model.Loaded(Loaded(rows: 200, (s_p0, 0, 199)));
        clock.Advance(TimeSpan.FromSeconds(2));
        RunProgressSnapshot later = model.Sample();

        Assert.Equal(2, start.Partitions.Count);
        Assert.All(start.Partitions, p => Assert.Equal(0, p.ConsumedPerSecond));
        PartitionProgress p0 = later.Partitions[0];
        PartitionProgress p1 = later.Partitions[1];
        Assert.Equal((0, 400L, 300L, 200L, 400L, 1000L, 600L), (p0.Partition, p0.Consumed, p0.Staged, p0.LoadedTo, p0.Position, p0.End, p0.Lag));
        Assert.Equal(200, p0.ConsumedPerSecond, 6);
        Assert.Equal(100, p0.LoadedPerSecond, 6); // 200 offsets of loaded files in 2 s
        // Read to its end without a record: position is the end offset, lag 0, nothing counted.
        Assert.Equal((1, 0L, 50L, 0L), (p1.Partition, p1.Consumed, p1.Position, p1.Lag));
        Assert.Equal((400L, 300L, 200L), (later.Consumed, later.Staged, later.LoadedRows));
        Assert.Equal(200, later.ConsumedPerSecond, 6);
        Assert.Equal(100, later.LoadedRowsPerSecond, 6);

        // Over the window: the rate looks back at most 10 s, not to the start.
        clock.Advance(TimeSpan.FromSeconds(9));
        model.Loaded(Loaded(rows: 100, (s_p0, 200, 299)));
        RunProgressSnapshot third = model.Sample();
        Assert.Equal(100 / 9.0, third.Partitions[0].LoadedPerSecond, 6);
        Assert.Equal(0, third.ConsumedPerSecond);
    }

    [Fact]
    public void After_detach_the_consumer_is_not_read_and_the_last_end_offsets_stay()
    {
        var model = new RunProgressModel(new ManualClock(), TimeSpan.FromSeconds(10));
        int reads = 0;
        model.AttachWatermarks(() => [s_p0], _ => new WatermarkOffsets(0, 10 + reads++));
        _ = model.Sample();
        model.Detach();
        RunProgressSnapshot after = model.Sample();

        Assert.Equal(1, reads);
        Assert.Equal(10, after.Partitions[0].End);
        Assert.Null(after.Partitions[0].Lag); // no position yet
    }

    [Fact]
    public void The_live_table_shows_a_row_per_partition_and_the_totals()
    {
        var model = new RunProgressModel(new ManualClock(), TimeSpan.FromSeconds(10));
        model.AttachWatermarks(() => [s_p0, s_p1], _ => new WatermarkOffsets(0, 120));
        for (long o = 0; o < 100; o++)
        {
            model.Consumed(s_p1, o);
        }

        model.Staged(Batch((s_p1, 0, 79)));
        var terminal = new TerminalCapture();

        terminal.Console.Write(LiveRunView.Render(model.Sample()));

        Assert.Equal(["1", "100", "80", "-", "120", "20", "0.0", "0.0"], Assert.Single(terminal.Rows("events"), r => r[1] == "1")[1..]);
        Assert.Equal(["0", "0", "0", "-", "120", "-", "0.0", "0.0"], Assert.Single(terminal.Rows("events"), r => r[1] == "0")[1..]);
        Assert.Contains("consumed 100, staged 80, dead-lettered 0, loaded 0 rows", terminal.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_live_view_prints_the_runs_lines_above_the_table_and_shows_the_last_numbers_when_the_run_ends()
    {
        var model = new RunProgressModel(new ManualClock(), TimeSpan.FromSeconds(10));
        var terminal = new TerminalCapture();

        int exit = await LiveRunView.ShowAsync(terminal.Console, model, async lines =>
        {
            lines.WriteLine("funcingest run: events -> events (group g)");
            for (long o = 0; o < 30; o++)
            {
                model.Consumed(s_p0, o);
            }

            await Task.Delay(120, TestContext.Current.CancellationToken);
            model.Staged(Batch((s_p0, 0, 29)));
            lines.WriteLine("consumed 30, staged 30, dead-lettered 0, loaded 0 rows");
            return 130;
        }, TimeSpan.FromMilliseconds(20));

        Assert.Equal(130, exit);
        string text = terminal.Text;
        Assert.Contains("funcingest run: events -> events (group g)", text, StringComparison.Ordinal);
        Assert.Contains("consumed 30, staged 30, dead-lettered 0, loaded 0 rows", text, StringComparison.Ordinal);
        // Redrawn in place (cursor moved back up), and the last drawing has the final numbers.
        Assert.Contains("\u001b[", terminal.Raw, StringComparison.Ordinal);
        Assert.True(terminal.Rows("events").Count >= 2, text);
        Assert.Equal(["0", "30", "30"], terminal.Rows("events")[^1][1..4]);
        Assert.True(text.LastIndexOf("consumed 30, staged 30, dead-lettered 0, loaded 0 rows;", StringComparison.Ordinal) > text.LastIndexOf("(group g)", StringComparison.Ordinal));
    }

    private static StageBatchResult Batch(params (TopicPartition Partition, long First, long Last)[] files)
    {
        var result = new StageBatchResult();
        foreach ((TopicPartition p, long first, long last) in files)
        {
            result.Files.Add(new StagedFile(Name(p, first, last), (int)(last - first + 1), Created: true));
            result.StagedRecords += (int)(last - first + 1);
        }

        return result;
    }

    private static LoadResult Loaded(long rows, params (TopicPartition Partition, long First, long Last)[] files)
    {
        var result = new LoadResult { RowsLoaded = rows };
        result.Loaded.AddRange(files.Select(f => Name(f.Partition, f.First, f.Last)));
        return result;
    }

    private static StageFileName Name(TopicPartition p, long first, long last) => new("funcingest", "events", p.Topic, p.Partition.Value, first, last, StageCompression.Zstd);
}
