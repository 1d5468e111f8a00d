namespace FuncIngest.Schemas;

/// <summary>
/// The schemas of the ids a batch carries, resolved before the synchronous encode: an id maps to
/// its schema, or to null when the registry does not know it.
/// </summary>
internal sealed class SchemaSet(IReadOnlyDictionary<int, WireSchema?> schemas)
{
    public static SchemaSet Empty { get; } = new(new Dictionary<int, WireSchema?>());

    /// <summary>False when the id was not resolved (a caller bug) or the registry does not know it.</summary>
    public bool TryGet(int id, out WireSchema? schema) => schemas.TryGetValue(id, out schema) && schema is not null;

    public int Count => schemas.Count;
}
