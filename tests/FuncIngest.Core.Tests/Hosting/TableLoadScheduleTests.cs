using FuncIngest.Hosting;

namespace FuncIngest.Core.Tests.Hosting;

public sealed class TableLoadScheduleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Stale = TimeSpan.FromHours(1);

    [Fact]
    public void The_first_request_starts_a_run_and_requests_during_it_start_exactly_one_follow_up()
    {
        var schedule = new TableLoadSchedule();

        Assert.Equal(1, schedule.Schedule(3, T0, Stale));
        Assert.Null(schedule.Schedule(2, T0.AddSeconds(1), Stale));
        Assert.Null(schedule.Schedule(4, T0.AddSeconds(2), Stale));
        Assert.Equal(6, schedule.FilesWaiting);

        Assert.Equal(2, schedule.Complete(new LoadCompletion(1, true, null, 3, 0, 0, 300), T0.AddSeconds(5)));
        Assert.True(schedule.Running);
        Assert.Equal(0, schedule.FilesWaiting);

        Assert.Null(schedule.Complete(new LoadCompletion(2, true, null, 6, 0, 0, 600), T0.AddSeconds(9)));
        Assert.False(schedule.Running);
        Assert.Equal(T0.AddSeconds(9), schedule.LastCompleted);
    }

    [Fact]
    public void A_failed_run_does_not_restart_itself_but_the_next_request_does()
    {
        var schedule = new TableLoadSchedule();
        schedule.Schedule(1, T0, Stale);
        schedule.Schedule(1, T0.AddSeconds(1), Stale);

        Assert.Null(schedule.Complete(LoadCompletion.Failure(1, "Databend unreachable"), T0.AddMinutes(8)));
        Assert.False(schedule.Running);
        Assert.Equal((1L, "Databend unreachable"), (schedule.FailedRuns, schedule.LastError));

        Assert.Equal(2, schedule.Schedule(0, T0.AddMinutes(10), Stale));
        Assert.Null(schedule.Complete(new LoadCompletion(2, true, null, 2, 0, 0, 10), T0.AddMinutes(11)));
        Assert.Null(schedule.LastError);
    }

    [Fact]
    public void A_run_that_never_reports_is_replaced_after_the_stale_time_and_its_late_completion_is_ignored()
    {
        var schedule = new TableLoadSchedule();
        Assert.Equal(1, schedule.Schedule(1, T0, Stale));
        Assert.Null(schedule.Schedule(1, T0 + Stale - TimeSpan.FromSeconds(1), Stale));

        Assert.Equal(2, schedule.Schedule(1, T0 + Stale, Stale));

        Assert.Null(schedule.Complete(new LoadCompletion(1, true, null, 1, 0, 0, 1), T0 + Stale + TimeSpan.FromMinutes(1)));
        Assert.True(schedule.Running);
        Assert.Equal(2, schedule.Run);
    }

    [Fact]
    public void Negative_file_counts_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TableLoadSchedule().Schedule(-1, T0, Stale));
    }

    [Fact]
    public void The_state_round_trips_through_json_as_the_durable_entity_stores_it()
    {
        var schedule = new TableLoadSchedule();
        schedule.Schedule(5, T0, Stale);
        schedule.Schedule(1, T0.AddSeconds(1), Stale);

        TableLoadSchedule copy = System.Text.Json.JsonSerializer.Deserialize<TableLoadSchedule>(System.Text.Json.JsonSerializer.Serialize(schedule))!;

        Assert.Equal(2, copy.Complete(new LoadCompletion(1, true, null, 5, 0, 0, 5), T0.AddSeconds(2)));
    }
}
