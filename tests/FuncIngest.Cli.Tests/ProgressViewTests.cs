using System.CommandLine;
using System.Text.Json.Nodes;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Kafka;

namespace FuncIngest.Cli.Tests;

/// <summary>
/// Issue 18 item 3 against the mock cluster, Azurite and the Databend emulator: <c>run</c>'s live
/// table and the replay progress bars on a (captured) terminal, <c>status --watch</c> redirected.
/// </summary>
public sealed class ProgressViewTests(KafkaFixture kafka, AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Run_on_a_terminal_shows_a_live_row_per_partition_that_ends_consumed_staged_loaded_and_at_lag_0()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 3, strictJson: false);
        await kafka.ProduceAsync(bed.Topic, 3, 300, cancellationToken: Ct);

        (int exit, TerminalCapture terminal) = await OnTerminalAsync(bed, Ct, "run", "--exit-when-idle", "1");

        string text = terminal.Text;
        Assert.True(exit == 0, text);
        // The last drawing of the table: every partition consumed, staged and loaded to its end.
        List<string[]> last = [.. terminal.Rows(bed.Topic).TakeLast(3)];
        Assert.Equal(["0", "1", "2"], last.Select(r => r[1]));
        Assert.Equal(300, last.Sum(r => long.Parse(r[2], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(last, r =>
        {
            // consumed == staged == loaded to == end (offsets from 0), lag 0
            Assert.True(r[2] == r[3] && r[3] == r[4] && r[4] == r[5] && r[6] == "0", string.Join(" | ", r));
            Assert.NotEqual("0", r[2]);
        });
        // Redrawn in place rather than logged: the cursor goes back up over the table.
        Assert.Contains("\u001b[", terminal.Raw, StringComparison.Ordinal);
        // The run's own lines are still there, the final progress line unchanged.
        string[] lines = Lines(text);
        Assert.True(lines.Contains($"funcingest run: {bed.Topic} -> {bed.Table} (group g-{bed.Table})"), text);
        Assert.True(lines.Contains("idle for 1 s with everything loaded; exiting"), text);
        Assert.True(lines.Contains("consumed 300, staged 300, dead-lettered 0, loaded 300 rows"), text);
        // Each of those lines erases the screen row it lands on (the live view's old drawing).
        Assert.Contains("\u001b[2Kidle for 1 s with everything loaded; exiting", terminal.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_watch_redirected_prints_a_plain_block_per_interval_and_ctrl_c_exits_0()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 2, strictJson: false);
        Assert.Equal(0, (await bed.CliAsync(Ct, "init")).Exit);
        await kafka.ProduceAsync(bed.Topic, 2, 40, cancellationToken: Ct);

        (int exit, string output) = await WatchAsync(bed, TimeSpan.FromSeconds(5), "status", "--watch", "--interval", "0.5");
        (int jsonExit, string json) = await WatchAsync(bed, TimeSpan.FromSeconds(5), "status", "--watch", "--json", "--interval", "0.5");

        Assert.True(exit == 0, output);
        Assert.DoesNotContain('\u001b', output);
        string[] lines = Lines(output);
        int blocks = lines.Count(l => l.StartsWith("status at ", StringComparison.Ordinal));
        Assert.True(blocks >= 2, output);
        // Every block is the whole table: its header and both partitions, 40 records behind the ledger.
        Assert.InRange(lines.Count(l => l.Contains("end offset", StringComparison.Ordinal)), blocks - 1, blocks);
        Assert.InRange(lines.Count(l => l.Contains(bed.Topic, StringComparison.Ordinal)), (2 * blocks) - 2, 2 * blocks);

        Assert.True(jsonExit == 0, json);
        string[] documents = Lines(json);
        Assert.True(documents.Length >= 2, json);
        // JSON lines: one whole document per line, the same document as `status --json`.
        foreach (string document in documents[..^1])
        {
            JsonNode node = JsonNode.Parse(document)!;
            Assert.Equal(bed.Table, (string)node["table"]!);
            Assert.Equal(40, node["partitions"]!.AsArray().Sum(p => (long)p!["lag"]!));
        }
    }

    [Theory]
    [InlineData("--interval 0 --watch", "error: --interval must be a number of seconds from 0.1 to 86400, not 0")]
    [InlineData("--interval 1", "error: --interval needs --watch")]
    [InlineData("--watch --interval soon", "error: Cannot parse argument 'soon'")]
    public async Task Status_watch_refuses_a_bad_interval_in_one_line_with_exit_2(string args, string error)
    {
        var output = new StringWriter();
        int exit = await CliApplication.InvokeAsync(["status", .. args.Split(' ')], new InvocationConfiguration { Output = output, Error = output }, Ct);

        Assert.Equal(2, exit);
        Assert.StartsWith(error, Assert.Single(Lines(output.ToString())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_on_a_terminal_shows_a_progress_bar_for_reading_staging_and_loading()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        await kafka.ProduceAsync(bed.Topic, 1, 600, cancellationToken: Ct);
        Assert.Equal(0, (await bed.CliAsync(Ct, "init")).Exit);

        (int exit, TerminalCapture terminal) = await OnTerminalAsync(bed, Ct, "replay", "--topic", bed.Topic, "--partition", "0", "--from-offset", "0");

        string text = terminal.Text;
        Assert.True(exit == 0, text);
        Assert.Contains($"read 600 records of {bed.Topic}[0] from offset 0", Lines(text));
        Assert.Contains("staged 600 (dead-lettered 0, already staged 0); loaded 600 rows; skipped 0 files the ledger holds", Lines(text));
        // Each bar's last drawing shows it complete.
        foreach (string bar in new[] { $"read {bed.Topic}[0]", "stage", "load" })
        {
            Assert.Contains(Lines(text), l => l.StartsWith(bar + " ", StringComparison.Ordinal) && l.Contains("100%", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Deadletter_replay_on_a_terminal_shows_a_progress_bar_and_its_usual_summary()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: true);
        await kafka.ProduceAsync(bed.Topic, 1, 40, i => System.Text.Encoding.UTF8.GetBytes(i % 20 == 7 ? $"not json {i}" : $"{{\"n\":{i}}}"), Ct);
        Assert.Equal(0, (await bed.CliAsync(Ct, "init")).Exit);
        Assert.Equal(0, (await bed.CliAsync(Ct, "run", "--exit-when-idle", "2")).Exit);

        (int exit, TerminalCapture terminal) = await OnTerminalAsync(bed, Ct, "deadletter", "replay", "--set", "FuncIngest:Staging:Encoding:StrictJson=false");

        string text = terminal.Text;
        Assert.True(exit == 0, text);
        Assert.Contains("loaded 2, already loaded 0, still rejected 0, refused again 0, waiting 0", Lines(text));
        foreach (string bar in new[] { "encode and stage", "load", "move replayed files" })
        {
            Assert.Contains(Lines(text), l => l.StartsWith(bar + " ", StringComparison.Ordinal) && l.Contains("100%", StringComparison.Ordinal));
        }

        // --json stays JSON, with no bar.
        (int jsonExit, TerminalCapture again) = await OnTerminalAsync(bed, Ct, "deadletter", "replay", "--json", "--set", "FuncIngest:Staging:Encoding:StrictJson=false");
        Assert.Equal(2, jsonExit); // nothing left to replay
        Assert.DoesNotContain('\u001b', again.Raw);
    }

    /// <summary>Runs a command whose output is an interactive terminal.</summary>
    private static async Task<(int Exit, TerminalCapture Terminal)> OnTerminalAsync(PipelineBed bed, CancellationToken cancellationToken, params string[] args)
    {
        var terminal = new TerminalCapture();
        int exit = await CliApplication.InvokeAsync([.. args, "--settings", bed.SettingsFile], new InvocationConfiguration { Output = terminal.Writer, Error = terminal.Writer }, cancellationToken);
        return (exit, terminal);
    }

    /// <summary>Runs a watching command with redirected output and stops it as Ctrl-C would, after <paramref name="after"/>.</summary>
    private static async Task<(int Exit, string Output)> WatchAsync(PipelineBed bed, TimeSpan after, params string[] args)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(after);
        var output = new StringWriter();
        int exit = await CliApplication.InvokeAsync([.. args, "--settings", bed.SettingsFile], new InvocationConfiguration { Output = output, Error = output }, stop.Token);
        return (exit, output.ToString());
    }
}
