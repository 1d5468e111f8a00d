namespace FuncIngest.Staging;

/// <summary>
/// An object being written. Nothing is visible in the stage until <see cref="CommitAsync"/>;
/// disposing without committing leaves no object behind.
/// </summary>
public interface IStageUpload : IAsyncDisposable
{
    /// <summary>The stream to write the object's bytes to. Writes are buffered up to a block and then sent.</summary>
    Stream Content { get; }

    /// <summary>Makes the object visible, unless an object with the same path exists.</summary>
    /// <returns>True when this upload created the object; false when one existed (it is left unchanged).</returns>
    Task<bool> CommitAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken = default);
}
