using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using FuncIngest.Records;
using FuncIngest.Staging;
using FuncIngest.TestSupport;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Databend;
using FuncIngest.TestSupport.Kafka;

namespace FuncIngest.Cli.Tests;

/// <summary>What docs/cli.md promises of the CLI, tried as a user would: first run, signals, idle exit, quiet output, several topics, the example session.</summary>
public sealed class RunBehaviourTests(KafkaFixture kafka, AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task First_run_without_init_creates_everything_and_a_run_with_nothing_new_exits_when_idle()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 2, strictJson: false);
        await kafka.ProduceAsync(bed.Topic, 2, 200, cancellationToken: Ct);

        // No `init`: the container, table, ledger and stage do not exist yet.
        (int first, string firstOutput) = await bed.CliAsync(Ct, "run", "--exit-when-idle", "1");
        var clock = Stopwatch.StartNew();
        // Every partition has nothing past the group's committed offset: no record, no position.
        (int second, string secondOutput) = await bed.CliAsync(Ct, "run", "--exit-when-idle", "1", "--verbose").WaitAsync(TimeSpan.FromSeconds(60), Ct);
        TimeSpan secondTook = clock.Elapsed;
        (int verify, string verifyOutput) = await bed.CliAsync(Ct, "verify");

        Assert.True(first == 0, firstOutput);
        Assert.DoesNotContain("fails", firstOutput, StringComparison.Ordinal);
        Assert.True(second == 0, secondOutput);
        Assert.Contains("idle for 1 s with everything loaded; exiting", secondOutput, StringComparison.Ordinal);
        Assert.True(secondTook < TimeSpan.FromSeconds(30), $"{secondTook}: {secondOutput}");
        Assert.True(verify == 0, verifyOutput);
        Assert.Contains("200 rows", verifyOutput, StringComparison.Ordinal);
        // --verbose ends with what the process cost (in-process here, so the test host's figures).
        Assert.DoesNotContain("process: ", firstOutput, StringComparison.Ordinal);
        Match counters = Regex.Match(secondOutput, @"process: [0-9.]+ CPU-s, GC \d+/\d+/\d+ collections \(gen 0/1/2\), [0-9.]+ s paused, (\d+) MB allocated, (\d+) methods compiled at run time in [0-9.]+ s");
        Assert.True(counters.Success, secondOutput);
        Assert.True(long.Parse(counters.Groups[1].Value, CultureInfo.InvariantCulture) > 0, counters.Value);
        Assert.True(long.Parse(counters.Groups[2].Value, CultureInfo.InvariantCulture) > 0, counters.Value);
    }

    [Fact]
    public async Task Records_read_again_that_the_table_already_holds_are_committed_without_being_staged()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 2, strictJson: false);
        await kafka.ProduceAsync(bed.Topic, 2, 200, cancellationToken: Ct);
        (int first, string firstOutput) = await bed.CliAsync(Ct, "run", "--exit-when-idle", "1");
        await kafka.ProduceAsync(bed.Topic, 2, 50, cancellationToken: Ct);

        // Another group reads the topic from the start, as the group does after a reset backwards:
        // the 200 records the ledger holds are committed but not staged, the 50 new ones staged.
        (int second, string secondOutput) = await bed.CliAsync(Ct, "run", "--exit-when-idle", "1", "--set", "KafkaConsumerGroup=reread-" + bed.Table);
        // Their offsets were committed: the group has nothing left to read.
        (int third, string thirdOutput) = await bed.CliAsync(Ct, "run", "--exit-when-idle", "1", "--set", "KafkaConsumerGroup=reread-" + bed.Table);
        (int verify, string verifyOutput) = await bed.CliAsync(Ct, "verify");

        Assert.True(first == 0, firstOutput);
        Assert.True(second == 0, secondOutput);
        Assert.Contains("consumed 250, staged 50, dead-lettered 0, loaded 50 rows, 200 already in the table", secondOutput, StringComparison.Ordinal);
        Assert.True(third == 0, thirdOutput);
        Assert.Contains("consumed 0, staged 0, dead-lettered 0, loaded 0 rows", thirdOutput, StringComparison.Ordinal);
        Assert.True(verify == 0, verifyOutput);
        Assert.Contains("250 rows", verifyOutput, StringComparison.Ordinal);
        Assert.Contains("duplicates 0", verifyOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_stages_and_commits_the_batch_in_hand_loads_it_and_exits_with_the_final_progress_line()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 3, strictJson: false);
        var log = new StringWriter();
        // A batch that never fills or times out by itself: only the stop can stage it.
        using Process run = bed.StartProcess(log, "run", "--set", "FuncIngest:Run:MaxBatchWaitMs=600000", "--set", "FuncIngest:Run:MaxBatchRecords=100000");
        await kafka.ProduceAsync(bed.Topic, 3, 300, cancellationToken: Ct);
        var deadline = Stopwatch.StartNew();
        while (!Read(log).Contains("consumed 300, staged 0", StringComparison.Ordinal) && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(200, Ct);
        }

        Assert.Contains("consumed 300, staged 0", Read(log), StringComparison.Ordinal);
        CliProcess.Terminate(run);
        await run.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        run.WaitForExit();

        string output = Read(log);
        Assert.True(run.ExitCode == 130, output);
        Assert.Contains("stopping: staging the batch in hand and making a last load pass", output, StringComparison.Ordinal);
        Assert.Equal("consumed 300, staged 300, dead-lettered 0, loaded 300 rows", Lines(output)[^1]);
        Assert.Equal(300, kafka.CommittedOffsets("g-" + bed.Table, bed.Topic, 3).Values.Sum(o => o.Value));
        (int verify, string verifyOutput) = await bed.CliAsync(Ct, "verify");
        Assert.True(verify == 0, verifyOutput);
        Assert.Contains("300 rows", verifyOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_kafka_ends_run_and_produce_in_one_line_with_exit_3_and_no_librdkafka_log()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);

        (int runExit, string runOutput, TimeSpan runTook) = await CliProcess.RunAsync(TimeSpan.FromSeconds(90), "run", "--exit-when-idle", "1", "--settings", bed.SettingsFile, "--set", "KafkaBrokerList=127.0.0.1:1");
        (int produceExit, string produceOutput, TimeSpan produceTook) = await CliProcess.RunAsync(TimeSpan.FromSeconds(90), "produce", "--topic", "t", "--settings", bed.SettingsFile, "--set", "KafkaBrokerList=127.0.0.1:1");
        (int verboseExit, string verboseOutput, _) = await CliProcess.RunAsync(TimeSpan.FromSeconds(90), "produce", "--topic", "t", "--verbose", "--settings", bed.SettingsFile, "--set", "KafkaBrokerList=127.0.0.1:1");

        Assert.True(runExit == 3, runOutput);
        Assert.StartsWith("error: Kafka: no broker of KafkaBrokerList '127.0.0.1:1' answered", Lines(runOutput)[^1], StringComparison.Ordinal);
        Assert.DoesNotContain(Lines(runOutput), l => l.StartsWith('%')); // librdkafka's own stderr format: %3|...|FAIL|...
        Assert.True(runTook < TimeSpan.FromSeconds(40), runTook.ToString());
        Assert.True(produceExit == 3, produceOutput);
        Assert.StartsWith("error: Kafka: no broker", Assert.Single(Lines(produceOutput)), StringComparison.Ordinal);
        Assert.True(produceTook < TimeSpan.FromSeconds(30), produceTook.ToString());
        // --verbose shows librdkafka's log, through the CLI's logging.
        Assert.Equal(3, verboseExit);
        Assert.Contains(Lines(verboseOutput), l => l.Contains(": librdkafka: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_prints_no_librdkafka_warnings_and_keeps_its_columns_when_piped()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 2, strictJson: false);
        Assert.Equal(0, (await bed.CliAsync(Ct, "init")).Exit);

        (int exit, string output, _) = await CliProcess.RunAsync(TimeSpan.FromSeconds(60), "status", "--settings", bed.SettingsFile);
        (int verboseExit, string verboseOutput, _) = await CliProcess.RunAsync(TimeSpan.FromSeconds(60), "status", "--verbose", "--settings", bed.SettingsFile);

        Assert.True(exit == 0, output);
        Assert.DoesNotContain("CONFWARN", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Lines(output), l => l.StartsWith('%') || l.Contains("librdkafka", StringComparison.Ordinal));
        // Piped: no terminal width, yet every header stays on one line.
        Assert.Contains(Lines(output), l => Regex.IsMatch(l, "topic .*partition .*end offset .*loaded \\(ledger\\) .*lag .*staged files .*dead-letter files .*quarantined files"));
        Assert.Contains(Lines(output), l => l.Contains(bed.Topic, StringComparison.Ordinal) && l.Contains(" 1 ", StringComparison.Ordinal));
        // Not even with --verbose, which shows librdkafka's log: the admin client gets no consumer settings.
        Assert.Equal(0, verboseExit);
        Assert.DoesNotContain("CONFWARN", verboseOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_keys_rows_by_topic_when_one_table_holds_several_topics()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        string other = kafka.CreateTopic("e2e-other", 1);
        await kafka.ProduceAsync(bed.Topic, 1, 100, cancellationToken: Ct);
        await kafka.ProduceAsync(other, 1, 60, cancellationToken: Ct);

        (int run, string runOutput) = await bed.CliAsync(Ct, "run", "--exit-when-idle", "1", "--set", $"KafkaTopics={bed.Topic},{other}");
        // verify reads only Databend: it must not need the stage's connection string.
        (int verify, string verifyOutput) = await bed.CliAsync(Ct, "verify", "--set", "StageConnectionString=");

        Assert.True(run == 0, runOutput);
        Assert.True(verify == 0, verifyOutput);
        Assert.Contains("160 rows in 2 partitions of 2 topics; duplicates 0; rows beyond the ledger 0; offsets missing below the ledger 0", verifyOutput, StringComparison.Ordinal);
        Assert.Contains($"topic {other}: 60 rows in 1 partitions; duplicates 0", verifyOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_loader_that_cannot_make_progress_says_so_once_and_the_idle_exit_reports_it_with_exit_3()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        Assert.SkipWhen(bed.Databend.Emulator is null, "needs the emulator's fault injection");
        DatabendEmulator emulator = bed.Databend.Emulator!;

        await kafka.ProduceAsync(bed.Topic, 1, 50, cancellationToken: Ct);
        Assert.Equal(0, (await bed.CliAsync(Ct, "init")).Exit);
        // An environment error: it does not fix itself, and retrying it every second must not flood the output.
        emulator.InjectFault(new DatabendFault("COPY INTO", DatabendFaultKind.FailWithCode) { Code = 1025, Message = "Unknown table", Times = int.MaxValue });

        (int exit, string output) = await bed.CliAsync(Ct, "run", "--exit-when-idle", "3").WaitAsync(TimeSpan.FromSeconds(90), Ct);

        Assert.True(exit == 3, output);
        Assert.Single(Lines(output), l => l.StartsWith($"loading into {bed.Table} fails: ", StringComparison.Ordinal));
        Assert.Contains("error: idle for 3 s but loading still fails", output, StringComparison.Ordinal);
        Assert.Contains("final load failed; files stay staged for the next run", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// The idle exit must not depend on when it looks. A failing loader is retried every second;
    /// when each pass takes most of that second (here a slow Databend; on a loaded machine any
    /// pass), the idle check used to restart the idle time whenever it fell into a pass, so the
    /// run never exited (issue 20's two-member hang). Each pass here waits 700 ms at BEGIN and
    /// then fails at COPY: the run must still end with the failure once idle for 3 s.
    /// </summary>
    [Fact]
    public async Task Loader_passes_that_take_most_of_each_second_do_not_keep_the_idle_exit_away()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        Assert.SkipWhen(bed.Databend.Emulator is null, "needs the emulator's fault injection");
        DatabendEmulator emulator = bed.Databend.Emulator!;

        await kafka.ProduceAsync(bed.Topic, 1, 50, cancellationToken: Ct);
        Assert.Equal(0, (await bed.CliAsync(Ct, "init")).Exit);
        emulator.InjectFault(new DatabendFault("^BEGIN$", DatabendFaultKind.Delay) { Delay = TimeSpan.FromMilliseconds(700), Times = int.MaxValue });
        emulator.InjectFault(new DatabendFault("COPY INTO", DatabendFaultKind.FailWithCode) { Code = 1025, Message = "Unknown table", Times = int.MaxValue });

        // A separate process, killed if it never exits (the failure this test guards against).
        (int exit, string output, _) = await CliProcess.RunAsync(
            TimeSpan.FromSeconds(90), "run", "--exit-when-idle", "3", "--settings", bed.SettingsFile, "--set", "FuncIngest:Loader:MaxTransactionAttempts=1");

        Assert.True(exit == 3, output);
        Assert.Contains("error: idle for 3 s but loading still fails", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_exit_leaves_nothing_behind_that_another_member_staged_after_the_loaders_last_pass()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        await kafka.ProduceAsync(bed.Topic, 1, 100, cancellationToken: Ct);
        var log = new StringWriter();
        using Process run = bed.StartProcess(log, "run", "--exit-when-idle", "4");
        using var client = new global::Databend.Client.DatabendClient(bed.Databend.Dsn);
        var deadline = Stopwatch.StartNew();
        while (await CountAsync(client, bed.Table) < 100 && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(100, Ct);
        }

        // Its own records are loaded. Idle passes now come 1, 3 and 7 s later (the wait doubles),
        // and the idle time counts from the first of them, so the exit is due about 5 s from now:
        // files staged at 3.5 s, as another member stages its last batch at a graceful stop, are
        // seen by no regular pass before the exit. The exit's last look loads them, and so would
        // the last pass every exit makes; with both taken out (tried), the run exits with 100 rows.
        await Task.Delay(TimeSpan.FromSeconds(3.5), Ct);
        var options = new StagingOptions { Table = bed.Table };
        var container = new BlobContainerClient(azurite.ConnectionString, "c-" + bed.Table.Replace('_', '-'));
        var stager = new BatchStager(new AzureBlobStageStore(container), options);
        List<IngestRecord> elsewhere = [.. Enumerable.Range(0, 50).Select(o => new IngestRecord("elsewhere", 0, o, null, System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{o}}}")))];
        Assert.Equal(50, (await stager.StageAsync(elsewhere, Ct)).StagedRecords);

        await run.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(90), Ct);
        run.WaitForExit();
        string output = Read(log);
        Assert.True(run.ExitCode == 0, output);
        Assert.Contains("idle for 4 s with everything loaded; exiting", output, StringComparison.Ordinal);
        Assert.True(await CountAsync(client, bed.Table) == 150, output);
    }

    [Fact]
    public async Task Doctor_reports_a_wrong_setting_once()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);

        // Every part's validation starts with the FuncIngest:* options, and an internal stage needs DatabendDsn as Databend does.
        (int shared, string sharedOutput) = await bed.CliAsync(Ct, "doctor", "--set", "FuncIngest:Staging:MaxFileRecords=0");
        (int internalStage, string internalOutput) = await bed.CliAsync(Ct, "doctor", "--set", "StageKind=DatabendInternal", "--set", "DatabendDsn=");

        Assert.Equal((1, 1), (shared, internalStage));
        Assert.Single(Lines(sharedOutput), l => l.Contains("FuncIngest:Staging:MaxFileRecords", StringComparison.Ordinal));
        Assert.Single(Lines(internalOutput), l => l.Contains("'DatabendDsn'", StringComparison.Ordinal));
        Assert.Contains("ok      Kafka settings", internalOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_example_session_in_the_cli_page_is_what_the_commands_print()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 3, strictJson: false);
        string page = RepositoryDocs.Page(RepositoryDocs.Cli);
        Match block = Regex.Match(page, "Example session.*?```text\\n(?<session>.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "docs/cli.md has no example session");
        var expected = new List<string>();
        var actual = new List<string>();
        foreach (string step in Regex.Split(block.Groups["session"].Value, "^(?=\\$ )", RegexOptions.Multiline).Where(s => s.Length > 0))
        {
            string[] lines = step.TrimEnd('\n').Split('\n');
            string[] args = lines[0]["$ funcingest ".Length..].Split(' ').Select(a => a == "events" ? bed.Topic : a).ToArray();
            (_, string output) = await bed.CliAsync(Ct, args);
            expected.AddRange(lines);
            actual.Add(lines[0]);
            string[] printed = Lines(Normalize(output, bed));
            // The progress line comes every 5 s too; only the last one is part of the session.
            actual.AddRange(printed.Where((l, i) => !l.StartsWith("consumed ", StringComparison.Ordinal) || i == printed.Length - 1));
        }

        // The whole session in the message, so the page can be corrected from a failure.
        Assert.True(string.Join('\n', expected) == string.Join('\n', actual), "The example session in docs/cli.md differs; the commands printed:\n" + string.Join('\n', actual));
    }

    /// <summary>The session's names in docs/cli.md (topic, table, container, stage and group are all defaults or "events").</summary>
    private static string Normalize(string output, PipelineBed bed) => output
        .Replace("s_" + bed.Table, "funcingest_stage", StringComparison.Ordinal)
        .Replace("g-" + bed.Table, "funcingest", StringComparison.Ordinal)
        .Replace("c-" + bed.Table.Replace('_', '-'), "funcingest", StringComparison.Ordinal)
        .Replace(bed.Topic, "events", StringComparison.Ordinal)
        .Replace(bed.Table, "events", StringComparison.Ordinal);

    /// <summary>The table's rows; 0 while the run has not created it yet.</summary>
    private static async Task<long> CountAsync(global::Databend.Client.DatabendClient client, string table)
    {
        try
        {
            return (await client.ExecuteAsync($"SELECT count(*) FROM {table}", Ct)).Rows[0].GetInt64(0);
        }
        catch (global::Databend.Client.DatabendException e) when (e.ServerCode == 1025) // UnknownTable
        {
            return 0;
        }
    }

    private static string Read(StringWriter log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }
}
