namespace FuncIngest.TestSupport.Databend;

/// <summary>A request the fake Databend server received.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="PathAndQuery">Path and query string.</param>
/// <param name="Headers">Request headers (case-insensitive names; multiple values joined with ',').</param>
/// <param name="Body">The body as UTF-8 text.</param>
public sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>A header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;
}
