using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace FuncIngest.Functions;

/// <summary>
/// Puts the invocation id into the log scope under the key the worker's log writer looks for.
/// </summary>
/// <remarks>
/// The worker forwards a log line to the host only when its scope carries
/// <c>AzureFunctions_InvocationId</c> (azure-functions-dotnet-worker:
/// src/DotNetWorker.Grpc/GrpcFunctionsHostLogWriter.cs reads TraceConstants.InternalKeys.FunctionInvocationId);
/// the host drops lines without it. <c>UseFunctionsWorkerDefaults()</c> switches to the telemetry
/// schema 1.37.0, whose scope has only <c>faas.invocation_id</c> (TelemetryProviderV1_17_0.cs is
/// the one that adds the key; upstream issue Azure/azure-functions-dotnet-worker#3489). Seen
/// under the real host 4.1037.0: without this, none of the app's own log lines arrived.
/// </remarks>
internal sealed class InvocationLogScopeMiddleware(ILoggerFactory loggers) : IFunctionsWorkerMiddleware
{
    /// <summary>The scope key the worker's log writer reads.</summary>
    internal const string InvocationIdKey = "AzureFunctions_InvocationId";

    private readonly ILogger _logger = loggers.CreateLogger<InvocationLogScopeMiddleware>();

    /// <inheritdoc />
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        using (_logger.BeginScope(new[] { new KeyValuePair<string, object>(InvocationIdKey, context.InvocationId) }))
        {
            await next(context).ConfigureAwait(false);
        }
    }
}
