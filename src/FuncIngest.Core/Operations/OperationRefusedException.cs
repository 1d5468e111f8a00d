namespace FuncIngest.Operations;

/// <summary>
/// An operator command (quarantine release, dead-letter replay) was refused before it changed
/// anything: bad input (an unknown file, a partition with nothing to act on) or a state in which
/// acting would be unsafe (the table's loader is running). One exception: a ledger reset that
/// committed and then found a key moved by a loader running without the lease says so with it.
/// </summary>
public sealed class OperationRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line: what was refused and what to do.</param>
    /// <param name="isUsageError">True when the command line named something that does not exist.</param>
    public OperationRefusedException(string message, bool isUsageError)
        : base(message)
    {
        IsUsageError = isUsageError;
    }

    /// <summary>True when the command line named something that does not exist (exit 2), false for an unsafe state (exit 1).</summary>
    public bool IsUsageError { get; }
}
