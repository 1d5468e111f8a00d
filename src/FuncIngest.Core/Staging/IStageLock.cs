namespace FuncIngest.Staging;

/// <summary>A held stage lock. Dispose to release it.</summary>
public interface IStageLock : IAsyncDisposable
{
    /// <summary>Extends the lock's expiry; call between long steps.</summary>
    Task RenewAsync(CancellationToken cancellationToken = default);
}
