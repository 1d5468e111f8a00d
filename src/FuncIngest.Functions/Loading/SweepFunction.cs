using FuncIngest.Loading;
using FuncIngest.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Functions.Loading;

/// <summary>
/// On <c>FuncIngestSweepSchedule</c> (every five minutes as deployed), schedules a load for each table whose staged files are older than
/// <c>FuncIngest:Loader:StrandedAfter</c>: a host that died between staging and signalling,
/// or a run that failed through every retry, leaves files that this picks up.
/// </summary>
public sealed partial class SweepFunction(IngestPipeline pipeline, ILogger<SweepFunction> logger)
{
    /// <summary>Finds stranded tables and signals their schedulers.</summary>
    [Function("Sweep")]
    public async Task RunAsync([TimerTrigger("%" + FuncIngestSettings.SweepScheduleSetting + "%")] TimerInfo timer, [DurableClient] DurableTaskClient durable, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(durable);
        ArgumentNullException.ThrowIfNull(context);
        foreach (StrandedTable stranded in await pipeline.FindStrandedAsync(context.CancellationToken).ConfigureAwait(false))
        {
            LogStranded(logger, stranded.Table, stranded.Files, stranded.Oldest);
            await durable.Entities.SignalEntityAsync(TableLoadScheduler.For(stranded.Table), nameof(TableLoadScheduler.Schedule), stranded.Files, cancellation: context.CancellationToken).ConfigureAwait(false);
        }
    }

    // Loading events are 2xx; the Functions app takes 250-299, FuncIngest.Core 200-249 (docs/operations.md, Log lines).
    [LoggerMessage(EventId = 250, Level = LogLevel.Warning, Message = "{Files} staged files of {Table} have waited since {Oldest}; scheduling a load")]
    private static partial void LogStranded(ILogger logger, string table, int files, DateTimeOffset oldest);
}
