using FuncIngest.Staging;

namespace FuncIngest.IntegrationTests.Loading;

/// <summary>A stage whose locks always succeed at once: a loader that lost (or never had) the table lease, so only the ledger protocol keeps it correct.</summary>
internal sealed class LeaselessStageStore(IStageStore inner) : IStageStore
{
    public IAsyncEnumerable<StagedObject> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

    public Task<IStageUpload> StartUploadAsync(string path, CancellationToken cancellationToken = default) => inner.StartUploadAsync(path, cancellationToken);

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) => inner.OpenReadAsync(path, cancellationToken);

    public Task DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);

    public Task<IStageLock> LockAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult<IStageLock>(new NoLock());

    private sealed class NoLock : IStageLock
    {
        public Task RenewAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
