namespace FuncIngest.Hosting;

/// <summary>
/// The load scheduler of one target table: at most one load run at a time, and a run after
/// every batch staged while one was running. The Functions app keeps it as a durable entity's
/// state (so its properties are plain and serializable); the entity only calls these methods.
/// </summary>
/// <remarks>
/// The scheduler saves work; it does not carry correctness. Two runs at once are safe
/// (the ledger transaction decides what is loaded), so a run presumed lost after
/// <c>staleAfter</c> is replaced rather than waited for forever.
/// </remarks>
public sealed class TableLoadSchedule
{
    /// <summary>Whether a load run is under way.</summary>
    public bool Running { get; set; }

    /// <summary>The number of the current (or last) run; completions of other runs are ignored.</summary>
    public long Run { get; set; }

    /// <summary>When the current run started.</summary>
    public DateTimeOffset? RunningSince { get; set; }

    /// <summary>Whether files were staged after the current run started, so another run must follow it.</summary>
    public bool RunAgain { get; set; }

    /// <summary>Files reported staged since the last run started.</summary>
    public long FilesWaiting { get; set; }

    /// <summary>Runs that failed after every retry (their files stay staged).</summary>
    public long FailedRuns { get; set; }

    /// <summary>When the last run completed.</summary>
    public DateTimeOffset? LastCompleted { get; set; }

    /// <summary>Why the last run failed, or null after a success.</summary>
    public string? LastError { get; set; }

    /// <summary>Records that <paramref name="files"/> files were staged.</summary>
    /// <returns>The run to start now, or null when the running one (or its follow-up) will take them.</returns>
    public long? Schedule(int files, DateTimeOffset now, TimeSpan staleAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(files);
        FilesWaiting += files;
        if (Running && RunningSince is { } since && now - since < staleAfter)
        {
            RunAgain = true;
            return null;
        }

        return Start(now);
    }

    /// <summary>Records that a run ended.</summary>
    /// <returns>The run to start now because files were staged meanwhile, or null.</returns>
    public long? Complete(LoadCompletion completion, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(completion);
        (long run, bool succeeded, string? error) = (completion.Run, completion.Succeeded, completion.Error);
        if (!Running || run != Run)
        {
            // A run replaced as stale finished after all; the current one is still under way.
            return null;
        }

        Running = false;
        RunningSince = null;
        LastCompleted = now;
        LastError = succeeded ? null : error ?? "failed";
        if (!succeeded)
        {
            // No immediate restart: the retries inside the run are spent. The next staged batch
            // or the sweeper starts the next run, so a Databend outage is not hammered.
            FailedRuns++;
            RunAgain = false;
            return null;
        }

        if (RunAgain)
        {
            return Start(now);
        }

        return null;
    }

    private long Start(DateTimeOffset now)
    {
        Running = true;
        RunningSince = now;
        RunAgain = false;
        FilesWaiting = 0;
        return ++Run;
    }
}
