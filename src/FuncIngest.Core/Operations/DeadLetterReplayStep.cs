namespace FuncIngest.Operations;

/// <summary>The steps of <see cref="DeadLetterManager.ReplayAsync"/>, in order.</summary>
public enum DeadLetterReplayStep
{
    /// <summary>Encoding each selected dead letter again and staging it in the refill area (one item per dead letter).</summary>
    Staging,

    /// <summary>Loading the staged records (one item).</summary>
    Loading,

    /// <summary>Moving dead-letter files whose records are all in the table to the replayed area (one item per file).</summary>
    MovingFiles,
}
