namespace Databend.Client.Internal;

/// <summary>The <c>error</c> object of a response: <c>{code, message, detail}</c> (databend src/query/service/src/servers/http/error.rs).</summary>
internal sealed record QueryError(int Code, string Message, string? Detail);
