namespace FuncIngest.Cli.Daemon;

/// <summary>Batching of <c>funcingest run</c> (<c>FuncIngest:Run:*</c>).</summary>
internal sealed class RunOptions
{
    public int MaxBatchRecords { get; set; } = 10_000;

    public long MaxBatchBytes { get; set; } = 16L * 1024 * 1024;

    public int MaxBatchWaitMs { get; set; } = 1000;

    /// <summary>Stop consuming while this many staged files wait for the loader.</summary>
    public int MaxPendingFiles { get; set; } = 2000;

    /// <summary>
    /// Keep each assigned partition's stage lock and coverage between batches (two stage round
    /// trips per partition per batch instead of seven), released when the partition is revoked.
    /// Off by default: after a crash the next owner waits up to <c>FuncIngest:Stage:LockDuration</c>,
    /// and <c>replay</c> of a held partition waits for the lease and fails after <c>FuncIngest:Stage:LockTimeout</c>.
    /// (The member that never went idle in a rebalance test under heavy load was the idle exit
    /// sampling the loader mid-pass, not the held locks; fixed in <c>IngestDaemon</c>.)
    /// </summary>
    public bool HoldPartitionLocks { get; set; }

    /// <summary>Exit after this many seconds with nothing new to consume or load (0: run until stopped).</summary>
    public double ExitWhenIdleSeconds { get; set; }

    public void Validate()
    {
        if (MaxBatchRecords < 1)
        {
            throw new FuncIngestConfigurationException("FuncIngest:Run:MaxBatchRecords", $"must be positive, not {MaxBatchRecords}.");
        }

        if (MaxBatchBytes < 1024)
        {
            throw new FuncIngestConfigurationException("FuncIngest:Run:MaxBatchBytes", $"must be at least 1024, not {MaxBatchBytes}.");
        }

        if (MaxPendingFiles < 1)
        {
            throw new FuncIngestConfigurationException("FuncIngest:Run:MaxPendingFiles", $"must be positive, not {MaxPendingFiles}.");
        }

        if (ExitWhenIdleSeconds < 0 || double.IsNaN(ExitWhenIdleSeconds))
        {
            throw new FuncIngestConfigurationException("FuncIngest:Run:ExitWhenIdleSeconds", $"must be 0 (run until stopped) or a positive number of seconds, not {ExitWhenIdleSeconds}.");
        }

        if (MaxBatchWaitMs < 1)
        {
            throw new FuncIngestConfigurationException("FuncIngest:Run:MaxBatchWaitMs", $"must be positive, not {MaxBatchWaitMs}.");
        }
    }
}
