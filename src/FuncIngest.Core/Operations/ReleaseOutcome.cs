namespace FuncIngest.Operations;

/// <summary>What <see cref="QuarantineManager.ReleaseAsync"/> did with one quarantined file.</summary>
public enum ReleaseOutcome
{
    /// <summary>Moved back to the staged area; the loader loads it (the ledger decides which offsets).</summary>
    Released,

    /// <summary>Moved back without the lines whose offsets are dead letters (the dead letters own those records).</summary>
    ReleasedWithoutDeadLetters,

    /// <summary>Every line's offset is a dead letter: the quarantined copy was removed, nothing staged.</summary>
    RemovedAllDeadLettered,

    /// <summary>
    /// The ledger of its partition was already past it (later files loaded), so the loader would
    /// skip it: loaded now through the refill area, exactly once (see <c>RefillArea</c>).
    /// </summary>
    Refilled,

    /// <summary>Loading it through the refill area failed again (the cause is not fixed); it stays in the quarantine.</summary>
    KeptFailedAgain,
}
