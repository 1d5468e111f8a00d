namespace Databend.Client;

/// <summary>A presigned request from <c>PRESIGN UPLOAD</c>: send the bytes with this method, to this URL, with these headers.</summary>
/// <param name="Method">The HTTP method, normally PUT.</param>
/// <param name="Url">The presigned URL.</param>
/// <param name="Headers">Headers the storage requires on the request.</param>
public sealed record DatabendPresignedRequest(HttpMethod Method, Uri Url, IReadOnlyDictionary<string, string> Headers);
