using System.Collections.Concurrent;
using System.Net;
using Confluent.SchemaRegistry;

namespace FuncIngest.Schemas;

/// <summary>
/// The schemas of a Confluent Schema Registry, asked by id through Confluent's
/// <see cref="CachedSchemaRegistryClient"/> and kept, parsed, for the life of the process
/// (a schema id never changes meaning). One per process; thread-safe.
/// </summary>
/// <remarks>
/// Errors: only the registry's own "schema not found" (HTTP 404 with <c>error_code</c> 40403,
/// confluent-kafka-dotnet <c>RestService.ExecuteOnOneInstanceAsync</c> throws it as a
/// <see cref="SchemaRegistryException"/>) makes an id unknown, and its records dead letters.
/// Anything else (no connection, a timeout, 5xx after the client's retries, 401/403, a 404
/// without that code, as from a wrong URL) throws <see cref="SchemaRegistryUnavailableException"/>:
/// the batch fails and is retried, and nothing is dead-lettered for it.
/// </remarks>
public sealed class SchemaRegistrySchemas : IDisposable
{
    /// <summary>The registry's error code for an id it does not have (Confluent Schema Registry <c>Errors.SCHEMA_NOT_FOUND_ERROR_CODE</c>).</summary>
    internal const int SchemaNotFound = 40403;

    private readonly ISchemaRegistryClient _client;
    private readonly bool _ownsClient;
    private readonly string _where;
    private readonly ConcurrentDictionary<int, WireSchema> _schemas = new();

    /// <summary>Wraps a registry client.</summary>
    /// <param name="client">The client; Confluent's <see cref="CachedSchemaRegistryClient"/> in production.</param>
    /// <param name="ownsClient">Dispose the client with this object.</param>
    /// <param name="where">The registry's address for messages (never with credentials).</param>
    public SchemaRegistrySchemas(ISchemaRegistryClient client, bool ownsClient = false, string? where = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _ownsClient = ownsClient;
        _where = where ?? "the Schema Registry";
    }

    /// <summary>
    /// A client of the registry at <paramref name="url"/> (comma-separated for several), with basic
    /// auth when <paramref name="key"/> is set (Confluent Cloud: an API key and secret).
    /// </summary>
    public static SchemaRegistrySchemas Create(string url, string? key = null, string? secret = null, int requestTimeoutMs = 30_000, int maxRetries = 3)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        var config = new SchemaRegistryConfig
        {
            Url = url,
            RequestTimeoutMs = requestTimeoutMs,
            MaxRetries = maxRetries,
        };
        if (!string.IsNullOrEmpty(key))
        {
            config.BasicAuthCredentialsSource = AuthCredentialsSource.UserInfo;
            config.BasicAuthUserInfo = $"{key}:{secret}";
        }

        return new SchemaRegistrySchemas(new CachedSchemaRegistryClient(config), ownsClient: true, where: $"the Schema Registry at {url}");
    }

    /// <summary>Schemas parsed so far.</summary>
    public int CachedCount => _schemas.Count;

    /// <summary>Asks for the registry's subjects: what <c>funcingest doctor</c> checks (reachable, credentials accepted).</summary>
    /// <exception cref="SchemaRegistryUnavailableException">The registry could not be asked.</exception>
    public async Task<int> CheckAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return (await _client.GetAllSubjectsAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).Count;
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            throw Unavailable(e);
        }
    }

    /// <summary>
    /// Resolves the schema ids that <paramref name="records"/> carry under <paramref name="options"/>
    /// (what staging and dead-letter replay do before their synchronous encode).
    /// </summary>
    /// <exception cref="SchemaRegistryUnavailableException">The registry could not be asked (transient).</exception>
    internal async Task<SchemaSet> ResolveForAsync(Ndjson.EncodingOptions options, IEnumerable<Records.IngestRecord> records, CancellationToken cancellationToken = default)
    {
        var ids = new HashSet<int>();
        foreach (Records.IngestRecord record in records)
        {
            Ndjson.NdjsonRecordEncoder.CollectSchemaIds(options, record, ids);
        }

        return ids.Count == 0 ? SchemaSet.Empty : await ResolveAsync(ids, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Resolves ids before the synchronous encode: each id maps to its schema, or to null when the
    /// registry answers that it does not have it. Known ids are not asked again.
    /// </summary>
    /// <exception cref="SchemaRegistryUnavailableException">The registry could not be asked (transient).</exception>
    internal async Task<SchemaSet> ResolveAsync(IEnumerable<int> ids, CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<int, WireSchema?>();
        foreach (int id in ids)
        {
            if (result.ContainsKey(id))
            {
                continue;
            }

            if (_schemas.TryGetValue(id, out WireSchema? cached))
            {
                result[id] = cached;
                continue;
            }

            Schema schema;
            try
            {
                schema = await _client.GetSchemaAsync(id).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SchemaRegistryException e) when (e.ErrorCode == SchemaNotFound)
            {
                // Not cached: an id registered later (or in another registry after a fix) is found then.
                result[id] = null;
                continue;
            }
            catch (Exception e) when (IsUnavailable(e, cancellationToken))
            {
                throw Unavailable(e);
            }

            result[id] = _schemas.GetOrAdd(id, Parse(id, schema));
        }

        return new SchemaSet(result);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    private static WireSchema Parse(int id, Schema schema)
    {
        switch (schema.SchemaType)
        {
            case SchemaType.Json:
                return new WireSchema(id, SchemaKind.Json, null, null);
            case SchemaType.Protobuf:
                return new WireSchema(id, SchemaKind.Protobuf, null, null);
            default:
                if (schema.References is { Count: > 0 })
                {
                    // Referenced named types live in other subjects; resolving them is not built.
                    return new WireSchema(id, SchemaKind.Avro, null, $"Avro schema {id} references other schemas ({string.Join(", ", schema.References.Select(r => r.Subject))}), which FuncIngest does not resolve");
                }

                try
                {
                    return new WireSchema(id, SchemaKind.Avro, AvroNode.Parse(schema.SchemaString), null);
                }
                catch (Exception e) when (e is Avro.AvroException or FormatException or OverflowException)
                {
                    return new WireSchema(id, SchemaKind.Avro, null, $"Avro schema {id} does not parse: {e.Message}");
                }
        }
    }

    /// <summary>Everything but the caller's own cancellation: no answer of the registry other than "not found" is about the record.</summary>
    private static bool IsUnavailable(Exception e, CancellationToken cancellationToken) =>
        e is not OperationCanceledException || !cancellationToken.IsCancellationRequested;

    private SchemaRegistryUnavailableException Unavailable(Exception e)
    {
        string status = e switch
        {
            SchemaRegistryException registry => $" (HTTP {(int)registry.Status}, error code {registry.ErrorCode})",
            HttpRequestException { StatusCode: HttpStatusCode code } => $" (HTTP {(int)code})",
            _ => string.Empty,
        };
        return new SchemaRegistryUnavailableException($"{_where} could not be asked{status}: {e.Message}", e);
    }
}
