using BenchmarkDotNet.Running;

namespace FuncIngest.Benchmarks;

/// <summary>Runs the benchmarks named on the command line (see README, "Benchmarks").</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
