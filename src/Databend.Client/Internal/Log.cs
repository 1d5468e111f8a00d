using Microsoft.Extensions.Logging;

namespace Databend.Client.Internal;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Databend request {Method} {Path} (query id {QueryId}) failed transiently, attempt {Attempt} of {Attempts}; retrying in {DelayMs} ms: {Reason}")]
    public static partial void RetryingRequest(ILogger logger, string method, string path, string? queryId, int attempt, int attempts, long delayMs, string reason);

    [LoggerMessage(2, LogLevel.Information, "Databend statement {QueryId} was cancelled; asked the server to kill it")]
    public static partial void Killed(ILogger logger, string? queryId);

    [LoggerMessage(3, LogLevel.Warning, "Could not kill Databend statement {QueryId} after cancellation")]
    public static partial void KillFailed(ILogger logger, Exception exception, string? queryId);

    [LoggerMessage(4, LogLevel.Warning, "Databend transaction was in state Fail at commit; rolled back instead (query id {QueryId})")]
    public static partial void FailedTransactionRolledBack(ILogger logger, string? queryId);

    [LoggerMessage(5, LogLevel.Debug, "Databend statement {QueryId} finished: {State}, {Rows} rows, {ElapsedMs} ms")]
    public static partial void StatementFinished(ILogger logger, string? queryId, string? state, long rows, long elapsedMs);
}
