namespace Databend.Client;

/// <summary>The session's transaction state as Databend reports it (<c>session.txn_state</c>).</summary>
public enum DatabendTransactionState
{
    /// <summary>No explicit transaction: each statement commits on its own (<c>AutoCommit</c>).</summary>
    AutoCommit,

    /// <summary>Inside BEGIN ... COMMIT, and every statement so far succeeded (<c>Active</c>).</summary>
    Active,

    /// <summary>
    /// Inside a transaction in which a statement failed (<c>Fail</c>). Databend answers a
    /// COMMIT in this state with success but commits nothing, so it must be rolled back.
    /// </summary>
    Fail,

    /// <summary>
    /// Not a server state: a transaction statement was resent and answered without the session,
    /// so the client cannot tell whether the transaction is open, failed or committed. Roll back
    /// and start again; after a COMMIT, read your own data to learn whether it committed.
    /// </summary>
    Unknown,
}
