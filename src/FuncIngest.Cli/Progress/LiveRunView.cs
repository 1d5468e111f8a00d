using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace FuncIngest.Cli.Progress;

/// <summary><c>run</c> on a terminal: one table that refreshes in place, with the run's messages printed above it.</summary>
internal static class LiveRunView
{
    /// <summary>How often the table is drawn again.</summary>
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Shows the model while <paramref name="run"/> runs; <paramref name="run"/> gets a writer whose
    /// lines print above the table. Returns what <paramref name="run"/> returns once the table
    /// showed the last numbers.
    /// </summary>
    public static async Task<int> ShowAsync(IAnsiConsole console, RunProgressModel model, Func<TextWriter, Task<int>> run, TimeSpan refresh)
    {
        using var lines = new AnsiConsoleLineWriter(console);
        int exit = 0;
        await console.Live(Render(model.Sample()))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async context =>
            {
                Task<int> running = Task.Run(() => run(lines));
                while (await Task.WhenAny(running, Task.Delay(refresh)).ConfigureAwait(false) != running)
                {
                    Redraw(context, lines, model, refreshNow: false);
                }

                Redraw(context, lines, model, refreshNow: true);
                exit = await running.ConfigureAwait(false);
            }).ConfigureAwait(false);
        return exit;
    }

    /// <summary>Draws the table again, never at the same time as a line is written above it (see <see cref="AnsiConsoleLineWriter.Gate"/>).</summary>
    private static void Redraw(LiveDisplayContext context, AnsiConsoleLineWriter lines, RunProgressModel model, bool refreshNow)
    {
        IRenderable table = Render(model.Sample());
        lock (lines.Gate)
        {
            context.UpdateTarget(table);
            if (refreshNow)
            {
                context.Refresh();
            }
        }
    }

    /// <summary>The table for one snapshot: a row per partition, the totals in the caption.</summary>
    public static IRenderable Render(RunProgressSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var table = new Table()
            .AddColumns("topic", "partition", "consumed", "staged", "loaded to", "end", "lag", "consumed/s", "loaded/s");
        foreach (TableColumn column in table.Columns.Skip(1))
        {
            column.RightAligned();
        }

        foreach (PartitionProgress row in snapshot.Partitions)
        {
            table.AddRow(
                Markup.Escape(row.Topic),
                Number(row.Partition),
                Number(row.Consumed),
                Number(row.Staged),
                Number(row.LoadedTo),
                Number(row.End),
                Number(row.Lag),
                Rate(row.ConsumedPerSecond),
                Rate(row.LoadedPerSecond));
        }

        if (snapshot.Partitions.Count == 0)
        {
            table.AddRow("(waiting for partitions)");
        }

        table.Caption(string.Create(
            CultureInfo.InvariantCulture,
            $"consumed {snapshot.Consumed}, staged {snapshot.Staged}, dead-lettered {snapshot.DeadLettered}, loaded {snapshot.LoadedRows} rows; {Rate(snapshot.ConsumedPerSecond)} consumed/s, {Rate(snapshot.LoadedRowsPerSecond)} rows loaded/s; {snapshot.Elapsed:hh\\:mm\\:ss}"));
        return table;
    }

    private static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Rate(double perSecond) => perSecond.ToString("0.0", CultureInfo.InvariantCulture);
}
