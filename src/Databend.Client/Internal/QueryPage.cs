namespace Databend.Client.Internal;

/// <summary>
/// One response of the query API (databend src/query/service/src/servers/http/v1/http_query_handlers.rs,
/// <c>QueryResponse</c>): ids, state, the session to echo, schema, one page of string rows, and the
/// URIs to continue with. Clients must look at <c>next_uri</c> first: null means the query is done.
/// </summary>
internal sealed class QueryPage
{
    public string? Id { get; set; }

    public string? NodeId { get; set; }

    public string? State { get; set; }

    public QueryError? Error { get; set; }

    /// <summary>The raw JSON of the <c>session</c> object, to be echoed verbatim; null when the response had none.</summary>
    public byte[]? Session { get; set; }

    public string? TxnState { get; set; }

    public bool NeedSticky { get; set; }

    public List<DatabendColumn> Schema { get; } = [];

    public List<string?[]> Data { get; } = [];

    public DatabendQueryStats Stats { get; set; } = new();

    public string? NextUri { get; set; }

    public string? KillUri { get; set; }

    public string? FinalUri { get; set; }
}
