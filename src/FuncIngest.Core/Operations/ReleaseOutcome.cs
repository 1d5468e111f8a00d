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
    /// Kept in the quarantine: the ledger of its partition is already past its offsets (later files
    /// loaded), so the loader would skip it and its rows would be lost. Needs a hole-filling load.
    /// </summary>
    KeptBehindLedger,
}
