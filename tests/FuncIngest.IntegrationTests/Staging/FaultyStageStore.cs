using FuncIngest.Staging;

namespace FuncIngest.IntegrationTests.Staging;

/// <summary>Wraps a store and fails the commit of chosen paths, to simulate a crash between two writes.</summary>
internal sealed class FaultyStageStore(IStageStore inner, Func<string, bool> failCommitOf) : IStageStore
{
    public int FailedCommits { get; private set; }

    public IAsyncEnumerable<StagedObject> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

    public async Task<IStageUpload> StartUploadAsync(string path, CancellationToken cancellationToken = default)
    {
        IStageUpload upload = await inner.StartUploadAsync(path, cancellationToken);
        return failCommitOf(path) ? new FailingUpload(upload, this) : upload;
    }

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) => inner.OpenReadAsync(path, cancellationToken);

    public Task DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);

    public Task<IStageLock> LockAsync(string name, CancellationToken cancellationToken = default) => inner.LockAsync(name, cancellationToken);

    private sealed class FailingUpload(IStageUpload inner, FaultyStageStore owner) : IStageUpload
    {
        public Stream Content => inner.Content;

        public Task<bool> CommitAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken = default)
        {
            owner.FailedCommits++;
            throw new IOException("injected: the process died before this commit");
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
