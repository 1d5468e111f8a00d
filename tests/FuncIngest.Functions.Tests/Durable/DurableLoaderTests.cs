using FuncIngest.Functions.Loading;
using FuncIngest.Hosting;
using FuncIngest.TestSupport.Azurite;

namespace FuncIngest.Functions.Tests.Durable;

/// <summary>
/// TableLoadScheduler, LoadTableOrchestrator and LoadTableActivity together: the orchestrator
/// and activity under Durable Task's in-process test host, the entity in
/// <see cref="SchedulerBed"/>'s runner (the test host has none), against Azurite and Databend.
/// </summary>
public sealed class DurableLoaderTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Staged_files_and_one_signal_start_one_orchestration_that_loads_the_rows()
    {
        await using SchedulerBed bed = await SchedulerBed.StartAsync(azurite, runAttempts: 3, TestContext.Current.CancellationToken);
        int files = await bed.StageAsync(0, 99);

        await bed.SignalAsync(nameof(TableLoadScheduler.Schedule), files);
        await bed.QuiesceAsync();

        Assert.Equal(Enumerable.Range(0, 100).Select(o => (long)o), await bed.RowsAsync());
        Assert.Single(bed.Orchestrations);
        Assert.Equal(1, bed.ActivityAttempts);
        LoadCompletion completion = Assert.Single(bed.Completions);
        Assert.Equal((1L, true, 100L), (completion.Run, completion.Succeeded, completion.RowsLoaded));
        TableLoadSchedule schedule = bed.Schedule;
        Assert.Equal((false, 1L, 0L, (string?)null), (schedule.Running, schedule.Run, schedule.FailedRuns, schedule.LastError));

        // Replay safety: the orchestrator ran more than one episode (it replays after the activity
        // completes), yet the activity ran once and the entity was signalled once.
        Assert.True(bed.OrchestratorEpisodes >= 2, $"{bed.OrchestratorEpisodes} episodes");
        Assert.Equal(1, bed.SignalsFromOrchestrations);
    }

    [Fact]
    public async Task Signals_during_a_run_start_exactly_one_follow_up_run_that_loads_what_they_staged()
    {
        await using SchedulerBed bed = await SchedulerBed.StartAsync(azurite, runAttempts: 3, TestContext.Current.CancellationToken);
        int files = await bed.StageAsync(0, 49);
        bed.DuringFirstLoad = async () =>
        {
            // Two batches staged and signalled while run 1 is loading: neither starts a run.
            await bed.SignalAsync(nameof(TableLoadScheduler.Schedule), await bed.StageAsync(50, 59));
            await bed.SignalAsync(nameof(TableLoadScheduler.Schedule), await bed.StageAsync(60, 69));
            Assert.Single(bed.Orchestrations);
            Assert.True(bed.Schedule.RunAgain);
        };

        await bed.SignalAsync(nameof(TableLoadScheduler.Schedule), files);
        await bed.QuiesceAsync();

        Assert.Equal(Enumerable.Range(0, 70).Select(o => (long)o), await bed.RowsAsync());
        Assert.Equal(2, bed.Orchestrations.Count);
        Assert.Equal([1L, 2L], bed.Completions.Select(c => c.Run));
        Assert.All(bed.Completions, c => Assert.True(c.Succeeded, c.Error));
        Assert.Equal((false, false, 2L), (bed.Schedule.Running, bed.Schedule.RunAgain, bed.Schedule.Run));
    }

    [Fact]
    public async Task A_run_failing_through_its_retry_policy_reaches_the_entity_and_the_next_signal_starts_a_new_run()
    {
        await using SchedulerBed bed = await SchedulerBed.StartAsync(azurite, runAttempts: 3, TestContext.Current.CancellationToken);
        int files = await bed.StageAsync(0, 29);
        bed.FailNextAttempts(3);

        await bed.SignalAsync(nameof(TableLoadScheduler.Schedule), files);
        await bed.QuiesceAsync();

        // Three attempts (RunAttempts) under the orchestration's retry policy, then one failed
        // completion reported to the entity; nothing loaded, the files stay staged, no restart.
        Assert.Empty(await bed.RowsAsync());
        Assert.Equal(3, bed.ActivityAttempts);
        Assert.Single(bed.Orchestrations);
        LoadCompletion failed = Assert.Single(bed.Completions);
        Assert.False(failed.Succeeded);
        Assert.Contains("injected failure", failed.Error, StringComparison.Ordinal);
        Assert.Equal(1, bed.SignalsFromOrchestrations);
        TableLoadSchedule afterFailure = bed.Schedule;
        Assert.Equal((false, 1L, 1L), (afterFailure.Running, afterFailure.Run, afterFailure.FailedRuns));
        Assert.Contains("injected failure", afterFailure.LastError, StringComparison.Ordinal);

        // The next signal (a batch that staged nothing new, or the sweeper) starts run 2.
        await bed.SignalAsync(nameof(TableLoadScheduler.Schedule), 0);
        await bed.QuiesceAsync();

        Assert.Equal(Enumerable.Range(0, 30).Select(o => (long)o), await bed.RowsAsync());
        Assert.Equal(2, bed.Orchestrations.Count);
        Assert.Equal([false, true], bed.Completions.Select(c => c.Succeeded));
        Assert.Equal((false, 2L, 1L, (string?)null), (bed.Schedule.Running, bed.Schedule.Run, bed.Schedule.FailedRuns, bed.Schedule.LastError));
    }
}
