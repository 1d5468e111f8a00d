using FuncIngest.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace FuncIngest.Functions.Loading;

/// <summary>
/// One load run: the load activity with a retry policy, then the outcome back to the table's
/// scheduler. Deterministic: no clock, no I/O, no settings read here (they arrive in the request).
/// </summary>
public static class LoadTableOrchestrator
{
    /// <summary>Runs <see cref="LoadTableActivity"/> for the requested table.</summary>
    [Function(nameof(LoadTableOrchestrator))]
    public static async Task<LoadCompletion> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        LoadRequest request = context.GetInput<LoadRequest>() ?? throw new InvalidOperationException("LoadTableOrchestrator needs a LoadRequest input.");
        TaskOptions retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
            request.Attempts,
            request.FirstRetryDelay,
            backoffCoefficient: 2,
            maxRetryInterval: TimeSpan.FromMinutes(10)));

        LoadCompletion completion;
        try
        {
            completion = await context.CallActivityAsync<LoadCompletion>(nameof(LoadTableActivity), request, retry).ConfigureAwait(true);
        }
        catch (TaskFailedException e)
        {
            // The files stay staged; the next batch or the sweeper schedules another run.
            completion = LoadCompletion.Failure(request.Run, e.FailureDetails.ErrorMessage);
        }

        await context.Entities.SignalEntityAsync(TableLoadScheduler.For(request.Table), nameof(TableLoadScheduler.Completed), completion).ConfigureAwait(true);
        return completion;
    }
}
