using FuncIngest.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace FuncIngest.Functions.Loading;

/// <summary>The load activity: Core's loader over every staged file of the table.</summary>
public sealed class LoadTableActivity(IngestPipeline pipeline)
{
    /// <summary>Loads the table; throws (and is retried by the orchestration) when Databend stays unavailable.</summary>
    [Function(nameof(LoadTableActivity))]
    public async Task<LoadCompletion> RunAsync([ActivityTrigger] LoadRequest request, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        return LoadCompletion.Success(request.Run, await pipeline.LoadAsync(request.Table, context.CancellationToken).ConfigureAwait(false));
    }
}
