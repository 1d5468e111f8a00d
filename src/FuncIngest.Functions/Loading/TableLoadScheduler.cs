using FuncIngest.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Entities;

namespace FuncIngest.Functions.Loading;

/// <summary>
/// The durable entity (key: the table) that queues load requests and runs one load
/// orchestration at a time. Its state and rules are Core's <see cref="TableLoadSchedule"/>.
/// </summary>
public sealed class TableLoadScheduler(FuncIngestSettings settings, TimeProvider time) : TaskEntity<TableLoadSchedule>
{
    /// <summary>How long a run may stay unreported before the next request replaces it (two runs at once are safe, only wasteful).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    /// <summary>The scheduler of <paramref name="table"/>.</summary>
    public static EntityInstanceId For(string table) => new(nameof(TableLoadScheduler), table);

    /// <summary>Dispatches entity operations.</summary>
    [Function(nameof(TableLoadScheduler))]
    public static Task DispatchAsync([EntityTrigger] TaskEntityDispatcher dispatcher)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        return dispatcher.DispatchAsync<TableLoadScheduler>();
    }

    /// <summary>Operation: <paramref name="files"/> files were staged for the table.</summary>
    public void Schedule(int files)
    {
        if (State.Schedule(files, time.GetUtcNow(), StaleAfter) is long run)
        {
            StartRun(run);
        }
    }

    /// <summary>Operation: a load run ended.</summary>
    public void Completed(LoadCompletion completion)
    {
        if (State.Complete(completion, time.GetUtcNow()) is long run)
        {
            StartRun(run);
        }
    }

    private void StartRun(long run) =>
        Context.ScheduleNewOrchestration(
            nameof(LoadTableOrchestrator),
            new LoadRequest(Context.Id.Key, run, settings.Loader.RunAttempts, settings.Loader.RunRetryDelay));
}
