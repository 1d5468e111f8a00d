namespace FuncIngest.Schemas;

/// <summary>
/// The schemas of the ids a batch carries, resolved before the synchronous encode: an id maps to
/// its schema, or to null when the registry does not know it.
/// </summary>
internal sealed class SchemaSet(IReadOnlyDictionary<int, WireSchema?> schemas)
{
    public static SchemaSet Empty { get; } = new(new Dictionary<int, WireSchema?>());

    /// <summary>False when the registry does not know the id.</summary>
    /// <exception cref="InvalidOperationException">The id was not resolved before encoding (a bug): never a dead letter.</exception>
    public bool TryGet(int id, out WireSchema? schema) =>
        schemas.TryGetValue(id, out schema)
            ? schema is not null
            : throw new InvalidOperationException($"Schema id {id} was not resolved before encoding; the batch fails rather than dead-letter its records.");

    public int Count => schemas.Count;
}
