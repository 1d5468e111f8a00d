namespace FuncIngest.Operations;

/// <summary>What <see cref="DeadLetterManager.ReplayAsync"/> did with one dead-lettered record.</summary>
public enum DeadLetterReplayOutcome
{
    /// <summary>Loaded into the table now.</summary>
    Loaded,

    /// <summary>Loaded by an earlier replay (the refill ledger holds it); not loaded again.</summary>
    AlreadyLoaded,

    /// <summary>The encoder still rejects it with the current settings; it stays a dead letter.</summary>
    StillRejected,

    /// <summary>Databend refused its line again; it stays a dead letter, and the refusal is kept for the next attempt.</summary>
    RefusedAgain,

    /// <summary>The ledger has not passed its offset yet (its neighbours are still staged); replay it after the next load pass.</summary>
    Waiting,
}
