namespace FuncIngest.Hosting;

/// <summary>One load run of a table, as the scheduler starts it.</summary>
/// <param name="Table">The target table.</param>
/// <param name="Run">The run's number in <see cref="TableLoadSchedule.Run"/>.</param>
/// <param name="Attempts">Attempts of the run before it is left to the sweeper (<c>FuncIngest:Loader:RunAttempts</c>).</param>
/// <param name="FirstRetryDelay">First delay between attempts (<c>FuncIngest:Loader:RunRetryDelay</c>).</param>
public sealed record LoadRequest(string Table, long Run, int Attempts, TimeSpan FirstRetryDelay);
