using FuncIngest.Staging;

namespace FuncIngest.Cli.Commands;

/// <summary>
/// A stage for commands that read only the ledger through <see cref="FuncIngest.Loading.TableLoader.ReadLedgerAsync(CancellationToken)"/>
/// (verify): they must not need <c>StageConnectionString</c>. Any stage operation is a bug.
/// </summary>
internal sealed class LedgerOnlyStage : IStageStore
{
    public IAsyncEnumerable<StagedObject> ListAsync(string prefix, CancellationToken cancellationToken = default) => throw NotUsed();

    public Task<IStageUpload> StartUploadAsync(string path, CancellationToken cancellationToken = default) => throw NotUsed();

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) => throw NotUsed();

    public Task DeleteAsync(string path, CancellationToken cancellationToken = default) => throw NotUsed();

    public Task<IStageLock> LockAsync(string name, CancellationToken cancellationToken = default) => throw NotUsed();

    private static InvalidOperationException NotUsed() => new("This command reads the ledger only; it has no stage.");
}
