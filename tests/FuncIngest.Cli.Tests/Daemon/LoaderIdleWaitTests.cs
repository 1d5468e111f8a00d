using FuncIngest.Cli.Daemon;

namespace FuncIngest.Cli.Tests.Daemon;

/// <summary>An idle <c>run</c> lists the stage less and less often, but never less than every <see cref="IngestDaemon.IdlePassMax"/>.</summary>
public sealed class LoaderIdleWaitTests
{
    [Fact]
    public void Passes_that_find_nothing_double_the_wait_up_to_the_cap()
    {
        var waits = new List<TimeSpan>();
        TimeSpan wait = IngestDaemon.IdlePassMin;
        for (int pass = 0; pass < 8; pass++)
        {
            wait = IngestDaemon.NextIdleWait(wait);
            waits.Add(wait);
        }

        Assert.Equal([2, 4, 8, 16, 30, 30, 30, 30], waits.Select(w => w.TotalSeconds));
    }
}
