using System.Data.Common;
using System.Net;

namespace Databend.Client;

/// <summary>
/// The one exception Databend.Client throws for server and transport failures. It carries the
/// server's error code and message when there is one, the query id the statement ran under,
/// the HTTP status, and whether retrying can help (<see cref="IsTransient"/>).
/// </summary>
public sealed class DatabendException : DbException
{
    /// <summary>Databend's code for an unresolvable conflict between concurrent transactions.</summary>
    public const int UnresolvableConflictCode = 4001;

    /// <summary>Databend's code for an optimistic-concurrency retry that ran out of attempts.</summary>
    public const int OccRetryFailureCode = 2011;

    /// <summary>Creates an exception.</summary>
    public DatabendException(
        string message,
        int? serverCode = null,
        string? queryId = null,
        HttpStatusCode? httpStatus = null,
        string? detail = null,
        bool isTransient = false,
        Exception? innerException = null)
        : base(message, innerException)
    {
        ServerCode = serverCode;
        QueryId = queryId;
        HttpStatus = httpStatus;
        Detail = detail;
        IsTransientFailure = isTransient
            || serverCode is UnresolvableConflictCode or OccRetryFailureCode;
    }

    /// <summary>The server's error code (e.g. 1025 unknown table, 4001 conflict); null for transport failures.</summary>
    public int? ServerCode { get; }

    /// <summary>The id the statement was sent under (<c>X-DATABEND-QUERY-ID</c>), when known.</summary>
    public string? QueryId { get; }

    /// <summary>The HTTP status of the failing response, when there was one.</summary>
    public HttpStatusCode? HttpStatus { get; }

    /// <summary>The server's detail text, when it sent one.</summary>
    public string? Detail { get; }

    /// <summary>
    /// True when the same work may succeed if tried again: connection failures, timeouts,
    /// 429/502/503/504, and transaction conflicts (4001, 2011). Conflicts are transient for
    /// the whole transaction: retry it from BEGIN, not the single statement.
    /// </summary>
    public override bool IsTransient => IsTransientFailure;

    /// <summary>True when the server rejected a commit because of a concurrent transaction.</summary>
    public bool IsConflict => ServerCode is UnresolvableConflictCode or OccRetryFailureCode;

    private bool IsTransientFailure { get; }
}
