using System.CommandLine;
using System.Runtime.InteropServices;

namespace FuncIngest.Cli;

/// <summary>Entry point of the <c>funcingest</c> tool.</summary>
public static class Program
{
    /// <summary>Runs the command line and returns the process exit code.</summary>
    public static async Task<int> Main(string[] args)
    {
        // The first SIGINT/SIGTERM asks the command to stop gracefully (run stages and commits the
        // batch in hand and makes a last load pass); a second one ends the process at once.
        using var stop = new CancellationTokenSource();
        int signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = Interlocked.Increment(ref signals) == 1;
            stop.Cancel();
        }

        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        // System.CommandLine's own handler would end the process 2 s after the signal, before the
        // last load pass could finish; the registrations above replace it.
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
        return await CliApplication.InvokeAsync(args, configuration, stop.Token).ConfigureAwait(false);
    }
}
