using Databend.Client.Internal;
using Microsoft.Extensions.Logging;

namespace Databend.Client;

/// <summary>
/// An explicit transaction on a <see cref="DatabendClient"/>'s session. Dispose without
/// committing and it is rolled back.
/// </summary>
/// <remarks>
/// When any statement inside a Databend transaction fails, the session's <c>txn_state</c>
/// becomes <c>Fail</c>, and a COMMIT in that state returns success while committing nothing.
/// <see cref="CommitAsync"/> therefore checks the state first: in <c>Fail</c> it rolls back
/// and throws instead of sending COMMIT.
/// </remarks>
public sealed class DatabendTransaction : IAsyncDisposable
{
    private readonly DatabendClient _client;
    private readonly ILogger _logger;
    private bool _completed;

    internal DatabendTransaction(DatabendClient client, ILogger logger)
    {
        _client = client;
        _logger = logger;
    }

    /// <summary>The session's current transaction state.</summary>
    public DatabendTransactionState State => _client.TransactionState;

    /// <summary>Commits, after checking that no statement of the transaction failed.</summary>
    /// <exception cref="DatabendException">
    /// The transaction was in state <c>Fail</c> (it is rolled back and nothing is committed), or
    /// COMMIT itself failed (check <see cref="DatabendException.IsTransient"/>: conflicts are
    /// transient, retry the whole transaction).
    /// </exception>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        DatabendTransactionState state = _client.TransactionState;
        if (state == DatabendTransactionState.Fail)
        {
            _completed = true;
            await _client.ExecuteAsync("ROLLBACK", cancellationToken).ConfigureAwait(false);
            Log.FailedTransactionRolledBack(_logger, null);
            throw new DatabendException(
                "The Databend transaction is in state Fail because one of its statements failed; it was rolled back and nothing was committed.");
        }

        if (state != DatabendTransactionState.Active)
        {
            _completed = true;
            throw new DatabendException($"Cannot commit: the session's transaction state is {state}, not Active; nothing was committed.");
        }

        _completed = true;
        await _client.ExecuteAsync("COMMIT", cancellationToken).ConfigureAwait(false);
        if (_client.TransactionState != DatabendTransactionState.AutoCommit)
        {
            throw new DatabendException($"COMMIT returned but the session is still in transaction state {_client.TransactionState}.");
        }
    }

    /// <summary>Rolls the transaction back.</summary>
    public async Task RollbackAsync(CancellationToken cancellationToken = default)
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        await _client.ExecuteAsync("ROLLBACK", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rolls back when neither committed nor rolled back.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_completed || _client.TransactionState == DatabendTransactionState.AutoCommit)
        {
            _completed = true;
            return;
        }

        try
        {
            await RollbackAsync().ConfigureAwait(false);
        }
        catch (DatabendException)
        {
            // Best effort: the server ends the session's transaction when the session expires.
        }
    }
}
