using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Databend.Client;
using FuncIngest.TestSupport.Azurite;
using FuncIngest.TestSupport.Kafka;

namespace FuncIngest.Cli.Tests;

public sealed class EndToEndTests(KafkaFixture kafka, AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Run_lands_good_records_once_dead_letters_bad_ones_and_verify_and_status_agree()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 3, strictJson: true);
        await kafka.ProduceAsync(bed.Topic, 3, 600, i => System.Text.Encoding.UTF8.GetBytes(i % 50 == 7 ? $"not json {i}" : $"{{\"n\":{i}}}"), Ct);

        (int initExit, string initOutput) = await bed.CliAsync(Ct, "init");
        (int initAgain, _) = await bed.CliAsync(Ct, "init");
        (int runExit, string runOutput) = await bed.CliAsync(Ct, "run", "--exit-when-idle", "2");

        Assert.True(initExit == 0, initOutput);
        Assert.Equal(0, initAgain);
        Assert.True(runExit == 0, runOutput);
        using (var client = new DatabendClient(bed.Databend.Dsn))
        {
            DatabendResult rows = await client.ExecuteAsync($"SELECT koffset, kpartition FROM {bed.Table}", Ct);
            Assert.Equal(588, rows.Rows.Count);
            Assert.Equal(588, rows.Rows.Select(r => (r.GetInt64(1), r.GetInt64(0))).Distinct().Count());
        }

        BlobContainerClient container = new(azurite.ConnectionString, "c-" + bed.Table.Replace('_', '-'));
        int deadLetterLines = 0;
        await foreach (BlobItem blob in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, "funcingest/_deadletter/", Ct))
        {
            deadLetterLines += int.Parse(blob.Metadata["funcingest_count"], System.Globalization.CultureInfo.InvariantCulture);
        }

        Assert.Equal(12, deadLetterLines);

        (int verifyExit, string verifyOutput) = await bed.CliAsync(Ct, "verify");
        Assert.True(verifyExit == 0, verifyOutput);
        Assert.Contains("duplicates 0", verifyOutput, StringComparison.Ordinal);

        (int statusExit, string statusOutput) = await bed.CliAsync(Ct, "status", "--json");
        Assert.True(statusExit == 0, statusOutput);
        JsonArray partitions = JsonNode.Parse(statusOutput)!["partitions"]!.AsArray();
        Assert.Equal(3, partitions.Count);
        Assert.All(partitions, p => Assert.Equal(0, (long)p!["lag"]!));
        Assert.All(partitions, p => Assert.Equal(0, (int)p!["staged_files"]!));
    }

    [Fact]
    public async Task With_a_databend_internal_stage_init_doctor_run_and_verify_work_without_a_storage_account()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 2, strictJson: false, internalStage: true);
        await kafka.ProduceAsync(bed.Topic, 2, 300, cancellationToken: Ct);

        (int initExit, string initOutput) = await bed.CliAsync(Ct, "init");
        (int doctorExit, string doctorOutput) = await bed.CliAsync(Ct, "doctor");
        (int runExit, string runOutput) = await bed.CliAsync(Ct, "run", "--exit-when-idle", "2");
        (int verifyExit, string verifyOutput) = await bed.CliAsync(Ct, "verify");

        Assert.True(initExit == 0, initOutput);
        Assert.Contains("internal stage", initOutput, StringComparison.Ordinal);
        Assert.True(doctorExit == 0, doctorOutput);
        Assert.True(runExit == 0, runOutput);
        Assert.True(verifyExit == 0, verifyOutput);
        Assert.Contains("duplicates 0", verifyOutput, StringComparison.Ordinal);
        using var client = new DatabendClient(bed.Databend.Dsn);
        DatabendResult rows = await client.ExecuteAsync($"SELECT kpartition, koffset FROM {bed.Table}", Ct);
        Assert.Equal(300, rows.Rows.Select(r => (r.GetInt64(0), r.GetInt64(1))).Distinct().Count());
        Assert.Equal(300, rows.Rows.Count);
    }

    [Fact]
    public async Task Restarting_run_after_it_finished_loads_nothing_twice()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 2, strictJson: false);
        await kafka.ProduceAsync(bed.Topic, 2, 200, cancellationToken: Ct);
        await bed.CliAsync(Ct, "init");

        await bed.CliAsync(Ct, "run", "--exit-when-idle", "1");
        await kafka.ProduceAsync(bed.Topic, 2, 50, cancellationToken: Ct);
        (int exit, string output) = await bed.CliAsync(Ct, "run", "--exit-when-idle", "1");

        Assert.True(exit == 0, output);
        (int verifyExit, string verify) = await bed.CliAsync(Ct, "verify");
        Assert.True(verifyExit == 0, verify);
        Assert.Contains("250 rows", verify, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Killing_the_run_process_at_random_points_while_producing_loses_and_duplicates_nothing()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 3, strictJson: false);
        Assert.True((await bed.CliAsync(Ct, "init")).Exit == 0);
        var log = new StringWriter();
        const int Waves = 3, PerWave = 400;
        var random = new Random(20261124);

        for (int wave = 0; wave < Waves; wave++)
        {
            System.Diagnostics.Process run = bed.StartProcess(log, "run");
            Task producing = kafka.ProduceAsync(bed.Topic, 3, PerWave, i => System.Text.Encoding.UTF8.GetBytes($"{{\"wave\":{wave},\"i\":{i}}}"), Ct);
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1500, 4000)), Ct);
            run.Kill(); // SIGKILL: no cleanup, no final commit, no final load.
            await run.WaitForExitAsync(Ct);
            await producing;
        }

        System.Diagnostics.Process last = bed.StartProcess(log, "run", "--exit-when-idle", "2");
        await last.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(3), Ct);

        Assert.True(last.ExitCode == 0, log.ToString());
        (int verifyExit, string verify) = await bed.CliAsync(Ct, "verify");
        Assert.True(verifyExit == 0, verify + log);
        Assert.Contains($"{Waves * PerWave} rows", verify, StringComparison.Ordinal);
        Assert.Contains("duplicates 0", verify, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Two_run_processes_in_one_group_with_one_killed_mid_way_load_everything_once(bool holdPartitionLocks)
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 4, strictJson: false, holdPartitionLocks: holdPartitionLocks);
        Assert.True((await bed.CliAsync(Ct, "init")).Exit == 0);
        var log = new StringWriter();

        System.Diagnostics.Process first = bed.StartProcess(log, "run");
        // Idle must outlast the dead member's 6 s session, or the survivor may exit before its partitions move to it.
        System.Diagnostics.Process second = bed.StartProcess(log, "run", "--exit-when-idle", "12");
        await kafka.ProduceAsync(bed.Topic, 4, 800, cancellationToken: Ct);
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        first.Kill();
        await first.WaitForExitAsync(Ct);
        await kafka.ProduceAsync(bed.Topic, 4, 400, cancellationToken: Ct);
        await second.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(3), Ct);

        Assert.True(second.ExitCode == 0, log.ToString());
        (int verifyExit, string verify) = await bed.CliAsync(Ct, "verify");
        Assert.True(verifyExit == 0, verify + log);
        Assert.Contains("1200 rows", verify, StringComparison.Ordinal);
    }

    /// <summary>
    /// A member whose partitions move to a new member while its batch is still collecting leaves
    /// their records to the new owner: staging them would wait for the new owner's held lock until
    /// the lock timeout and fail the batch, and commit offsets of partitions it no longer owns.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Records_of_partitions_that_move_away_before_their_batch_is_staged_are_left_to_the_new_owner(bool holdPartitionLocks)
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 4, strictJson: false, holdPartitionLocks: holdPartitionLocks);
        Assert.True((await bed.CliAsync(Ct, "init")).Exit == 0);
        await kafka.ProduceAsync(bed.Topic, 4, 400, cancellationToken: Ct);
        var firstLog = new StringWriter();
        var secondLog = new StringWriter();

        // A lease outlasting the lock timeout: staging a partition the other member holds fails
        // instead of waiting for the lease to run out.
        string[] locks = ["--set", "FuncIngest:Stage:LockDuration=00:01:00", "--set", "FuncIngest:Stage:LockTimeout=00:00:20"];

        // The first member's batch neither fills nor ages before the second member joins.
        System.Diagnostics.Process first = bed.StartProcess(firstLog, ["run",
            "--set", "FuncIngest:Run:MaxBatchRecords=100000", "--set", "FuncIngest:Run:MaxBatchWaitMs=600000", .. locks]);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!Snapshot(firstLog).Contains("consumed 400, staged 0", StringComparison.Ordinal))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(1), firstLog.ToString());
            await Task.Delay(200, Ct);
        }

        System.Diagnostics.Process second = bed.StartProcess(secondLog, ["run", "--exit-when-idle", "12", .. locks]);

        // Once the second member has staged (and, holding, keeps the locks of) what moved to it.
        waited.Restart();
        while (!System.Text.RegularExpressions.Regex.IsMatch(Snapshot(secondLog), @"staged [1-9]"))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(1), firstLog + "\n---- second\n" + secondLog);
            await Task.Delay(200, Ct);
        }

        // SIGTERM: the first member stages and commits what it still owns, loads, and exits.
        CliProcess.Terminate(first);
        await first.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(1), Ct);
        await second.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(3), Ct);

        string firstOutput = Snapshot(firstLog);
        Assert.True(first.ExitCode == 130, firstOutput);
        Assert.True(second.ExitCode == 0, Snapshot(secondLog));

        // What it left to the new owner is exactly what it did not stage.
        int left = int.Parse(System.Text.RegularExpressions.Regex.Match(firstOutput, @"moved away: (\d+) records").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        int staged = int.Parse(System.Text.RegularExpressions.Regex.Matches(firstOutput, @"consumed 400, staged (\d+)")[^1].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(left > 0 && left + staged == 400, firstOutput);
        (int verifyExit, string verify) = await bed.CliAsync(Ct, "verify");
        Assert.True(verifyExit == 0, verify + firstLog + secondLog);
        Assert.Contains("400 rows", verify, StringComparison.Ordinal);
        Assert.Contains("duplicates 0", verify, StringComparison.Ordinal);
    }

    private static string Snapshot(StringWriter log)
    {
        lock (log)
        {
            return log.ToString();
        }
    }

    /// <summary>
    /// The normal scale-out: several processes on one table. Their loaders race for the table
    /// (the lease makes it rare, the ledger protocol harmless), and processes die at random.
    /// </summary>
    [Fact]
    public async Task Three_run_processes_on_one_table_killed_at_random_load_every_row_once()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 6, strictJson: false);
        Assert.True((await bed.CliAsync(Ct, "init")).Exit == 0);
        var log = new StringWriter();
        var random = new Random(20261129);
        const int Waves = 3, PerWave = 600;
        System.Diagnostics.Process[] runs = [.. Enumerable.Range(0, 3).Select(_ => bed.StartProcess(log, "run"))];

        for (int wave = 0; wave < Waves; wave++)
        {
            Task producing = kafka.ProduceAsync(bed.Topic, 6, PerWave, i => System.Text.Encoding.UTF8.GetBytes($"{{\"wave\":{wave},\"i\":{i}}}"), Ct);
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1500, 3500)), Ct);
            int victim = random.Next(runs.Length);
            runs[victim].Kill(); // SIGKILL: no cleanup, no final commit, no final load.
            await runs[victim].WaitForExitAsync(Ct);
            runs[victim] = bed.StartProcess(log, "run");
            await producing;
        }

        foreach (System.Diagnostics.Process run in runs)
        {
            run.Kill();
            await run.WaitForExitAsync(Ct);
        }

        // Idle must outlast the dead members' 6 s sessions, or a survivor may exit before their partitions move to it.
        System.Diagnostics.Process[] last = [.. Enumerable.Range(0, 3).Select(_ => bed.StartProcess(log, "run", "--exit-when-idle", "12"))];
        foreach (System.Diagnostics.Process run in last)
        {
            await run.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromMinutes(3), Ct);
            Assert.True(run.ExitCode == 0, log.ToString());
        }

        (int verifyExit, string verify) = await bed.CliAsync(Ct, "verify");
        Assert.True(verifyExit == 0, verify + log);
        Assert.Contains($"{Waves * PerWave} rows", verify, StringComparison.Ordinal);
        Assert.Contains("duplicates 0", verify, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_of_a_loaded_range_adds_nothing_and_with_force_adds_exactly_that_range()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        await kafka.ProduceAsync(bed.Topic, 1, 100, cancellationToken: Ct);
        await bed.CliAsync(Ct, "init");
        await bed.CliAsync(Ct, "run", "--exit-when-idle", "1");

        (int replayExit, string replay) = await bed.CliAsync(Ct, "replay", "--topic", bed.Topic, "--partition", "0", "--from-offset", "10", "--to-offset", "19");
        (int sameExit, string same) = await bed.CliAsync(Ct, "verify");
        (int forceExit, string forced) = await bed.CliAsync(Ct, "replay", "--topic", bed.Topic, "--partition", "0", "--from-offset", "10", "--to-offset", "19", "--force");
        (int dupExit, string duplicates) = await bed.CliAsync(Ct, "verify");

        Assert.True(replayExit == 0, replay);
        Assert.Contains("read 10 records", replay, StringComparison.Ordinal);
        Assert.Contains("loaded 0 rows", replay, StringComparison.Ordinal);
        Assert.True(sameExit == 0, same);
        Assert.Contains("100 rows", same, StringComparison.Ordinal);
        Assert.True(forceExit == 0, forced);
        Assert.Contains("loaded 10 rows", forced, StringComparison.Ordinal);
        Assert.Equal(1, dupExit);
        Assert.Contains("110 rows", duplicates, StringComparison.Ordinal);
        Assert.Contains("duplicates 10", duplicates, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_passes_on_a_working_setup_and_names_what_to_fix_otherwise()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);
        (int before, string beforeOutput) = await bed.CliAsync(Ct, "doctor");
        await bed.CliAsync(Ct, "init");

        (int healthy, string healthyOutput) = await bed.CliAsync(Ct, "doctor");
        (int noDatabend, string noDatabendOutput) = await bed.CliAsync(Ct, "doctor", "--set", "DatabendDsn=databend://root:@127.0.0.1:1/default?sslmode=disable");
        // librdkafka checks a property only when a client is built: doctor builds the consumer run would.
        (int badProperty, string badPropertyOutput) = await bed.CliAsync(Ct, "doctor", "--set", "KafkaConsumer:fetch.wait.max.ms=-1");
        // (A missing topic cannot be shown here: librdkafka's mock cluster creates topics on metadata requests.)

        Assert.Equal(1, before);
        Assert.Contains("run `funcingest init`", beforeOutput, StringComparison.Ordinal);
        Assert.True(healthy == 0, healthyOutput);
        Assert.Equal(1, noDatabend);
        Assert.Contains("cannot reach Databend", noDatabendOutput, StringComparison.Ordinal);
        Assert.Contains("ok      Kafka", noDatabendOutput, StringComparison.Ordinal);
        Assert.Equal(1, badProperty);
        Assert.Contains("PROBLEM Kafka", badPropertyOutput, StringComparison.Ordinal);
        Assert.Contains("Setting 'KafkaConsumer:fetch.wait.max.ms'", badPropertyOutput, StringComparison.Ordinal);

        if (bed.Databend.Emulator is { } emulator)
        {
            // A server without named azblob stages (before v1.2.923) is named as the problem.
            emulator.ServerVersion = "v1.2.900-nightly-0000000000(rust-1.88.0)";
            (int old, string oldOutput) = await bed.CliAsync(Ct, "doctor");
            Assert.Equal(1, old);
            Assert.Contains("Databend v1.2.900 is too old: FuncIngest needs v1.2.923 or later", oldOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Bad_settings_fail_with_the_setting_name_and_exit_code_2()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 1, strictJson: false);

        (int exit, string output) = await bed.CliAsync(Ct, "run", "--set", "FuncIngest:Staging:Table=not-valid");
        (int missing, string missingOutput) = await bed.CliAsync(Ct, "init", "--set", "DatabendDsn=");

        Assert.Equal(2, exit);
        Assert.Contains("Setting 'FuncIngest:Staging:Table'", output, StringComparison.Ordinal);
        Assert.Equal(2, missing);
        Assert.Contains("Setting 'DatabendDsn': is required", missingOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Produce_sends_events_and_reports_partitions()
    {
        await using PipelineBed bed = await PipelineBed.StartAsync(kafka, azurite, partitions: 2, strictJson: false);

        (int exit, string output) = await bed.CliAsync(Ct, "produce", "--topic", bed.Topic, "--count", "40");

        Assert.True(exit == 0, output);
        Assert.Contains("sent 40 events", output, StringComparison.Ordinal);
        IReadOnlyDictionary<int, Confluent.Kafka.Offset> none = kafka.CommittedOffsets("nobody", bed.Topic, 2);
        Assert.Equal(2, none.Count);
    }
}
