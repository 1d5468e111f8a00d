namespace FuncIngest.Staging;

/// <summary>
/// Where staged files live (an Azure Blob container that Databend reads as an external stage).
/// Creation is conditional: an object, once committed, is never overwritten.
/// </summary>
public interface IStageStore
{
    /// <summary>Lists the objects whose path starts with <paramref name="prefix"/>, with metadata.</summary>
    IAsyncEnumerable<StagedObject> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Starts writing an object that becomes visible on commit, only if the path is free.</summary>
    Task<IStageUpload> StartUploadAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Opens an object for reading.</summary>
    Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Deletes an object; no error when it is already gone.</summary>
    Task DeleteAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes an exclusive, expiring lock shared by every process using this store, so that
    /// writers of one partition do not interleave their listing and their commits. Dispose to
    /// release; a crashed holder's lock expires by itself.
    /// </summary>
    /// <exception cref="TimeoutException">The lock was not free within the store's lock timeout.</exception>
    Task<IStageLock> LockAsync(string name, CancellationToken cancellationToken = default);
}
