using System.Globalization;

namespace FuncIngest.Benchmarks.EndToEnd;

/// <summary>One <c>funcingest run</c>: rows in the table, when everything was staged (offsets committed) and loaded, the process's own CPU and peak RSS, and the CPU the emulators spent meanwhile.</summary>
public sealed record RunResult(bool Complete, long Rows, TimeSpan AllCommitted, TimeSpan TimeToLastRow, TimeSpan Wall, double CpuSeconds, double PeakRssMb, double BenchProcessCpuSeconds, double AzuriteCpuSeconds)
{
    /// <summary>With <c>--reread</c>: the second run, in a new group over the same table (wall, CPU-s, peak RSS, rows in the table after it).</summary>
    public (TimeSpan Wall, double CpuSeconds, double PeakRssMb, long Rows)? Reread { get; init; }

    public string Describe(int records, double floor) => string.Create(
        CultureInfo.InvariantCulture,
        $"{Rows} rows{(Complete ? string.Empty : " (INCOMPLETE)")}, all offsets committed at {AllCommitted.TotalSeconds:0.0} s, last row at {TimeToLastRow.TotalSeconds:0.0} s ({records / TimeToLastRow.TotalSeconds:0} rows/s, {records / TimeToLastRow.TotalSeconds / floor:0.00}x consume-only), exited at {Wall.TotalSeconds:0.0} s, {CpuSeconds:0.0} CPU-s ({records / CpuSeconds:0} rows per CPU-s), peak RSS {PeakRssMb:0} MB; meanwhile the bench process (Kafka mock brokers, Databend emulator, polling) {BenchProcessCpuSeconds:0.0} CPU-s, Azurite {AzuriteCpuSeconds:0.0} CPU-s{(Reread is { } again ? $"; read again in a new group: exited at {again.Wall.TotalSeconds:0.0} s, {again.CpuSeconds:0.0} CPU-s, peak RSS {again.PeakRssMb:0} MB, {again.Rows} rows in the table after it" : string.Empty)}");
}
