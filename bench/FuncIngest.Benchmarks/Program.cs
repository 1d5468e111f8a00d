using BenchmarkDotNet.Running;
using FuncIngest.Benchmarks.EndToEnd;

namespace FuncIngest.Benchmarks;

/// <summary>Runs the benchmarks named on the command line (see docs/performance.md).</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        // The end-to-end run measures child processes on the wall clock: BenchmarkDotNet's repetitions do not fit it.
        if (args.Length > 0 && string.Equals(args[0], "e2e", StringComparison.Ordinal))
        {
            return await EndToEndBenchmark.RunAsync(EndToEndOptions.Parse(args[1..]));
        }

        if (args.Length > 0 && string.Equals(args[0], "functions", StringComparison.Ordinal))
        {
            return await Functions.StagePerInvocationBenchmark.RunAsync(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
