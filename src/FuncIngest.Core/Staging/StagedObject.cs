namespace FuncIngest.Staging;

/// <summary>An object in the stage, as a listing returns it.</summary>
/// <param name="Path">Its path inside the stage.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Metadata">Its metadata (FuncIngest keys start with <c>funcingest_</c>).</param>
/// <param name="LastModified">When it was last written.</param>
public sealed record StagedObject(string Path, long Size, IReadOnlyDictionary<string, string> Metadata, DateTimeOffset LastModified);
