using System.Globalization;

namespace FuncIngest.Benchmarks.EndToEnd;

/// <summary>Command line of <c>e2e</c>: <c>--records N --value-bytes B --partitions P --batch-records R --repeat K --cli name=path/funcingest.dll --setting key=value --cli-setting name:key=value --show-output --pin --reread --wrap 'perf record -g -o run.perf'</c>.</summary>
public sealed class EndToEndOptions
{
    public int Records { get; private set; } = 400_000;

    public int ValueBytes { get; private set; } = 200;

    public int Partitions { get; private set; } = 4;

    /// <summary>FuncIngest__Run__MaxBatchRecords; null keeps the CLI's default.</summary>
    public int? BatchRecords { get; private set; }

    public int Repeat { get; private set; } = 1;

    public double ExitWhenIdleSeconds { get; private set; } = 2;

    /// <summary>A command put in front of <c>dotnet funcingest.dll run</c> (inside <c>/usr/bin/time</c>), e.g. <c>perf record -g -o run.perf</c> to profile the run alone.</summary>
    public string[] Wrap { get; private set; } = [];

    /// <summary>Extra settings for every run (<c>--setting FuncIngest__Run__HoldPartitionLocks=true</c>), written into its local.settings.json.</summary>
    public List<(string Key, string Value)> Settings { get; } = [];

    /// <summary>
    /// Settings for one build only (<c>--cli-setting q8:KafkaConsumer__queued.max.messages.kbytes=8192</c>),
    /// after <see cref="Settings"/>: the same build named twice with different settings compares
    /// settings in one sitting.
    /// </summary>
    public Dictionary<string, List<(string Key, string Value)>> CliSettings { get; } = [];

    /// <summary>
    /// After each measured run, run the same build once more in a new consumer group over the same
    /// table: every record is read again while the table already holds it (a group reset
    /// backwards), and the bench reports that run's wall time, CPU and peak RSS.
    /// </summary>
    public bool Reread { get; private set; }

    /// <summary>Print each run's own output, every line prefixed with the seconds since its start.</summary>
    public bool ShowOutput { get; private set; }

    /// <summary>
    /// Give each <c>funcingest run</c> the last core to itself and put this process (mock brokers,
    /// emulator) and Azurite on the others while it runs, so its CPU time is its own work and not
    /// the contention of sharing cores with them. The consume-only floor stays unpinned.
    /// </summary>
    public bool Pin { get; private set; }

    /// <summary>The builds to compare, in order; by default this tree's own Release build.</summary>
    public List<(string Name, string Dll)> Clis { get; } = [];

    public static EndToEndOptions Parse(string[] args)
    {
        var options = new EndToEndOptions();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--show-output")
            {
                options.ShowOutput = true;
                continue;
            }

            if (args[i] == "--pin")
            {
                options.Pin = true;
                continue;
            }

            if (args[i] == "--reread")
            {
                options.Reread = true;
                continue;
            }

            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            i++;
            switch (args[i - 1])
            {
                case "--records": options.Records = Int(value); break;
                case "--value-bytes": options.ValueBytes = Int(value); break;
                case "--partitions": options.Partitions = Int(value); break;
                case "--batch-records": options.BatchRecords = Int(value); break;
                case "--repeat": options.Repeat = Int(value); break;
                case "--setting":
                    int at = value.IndexOf('=', StringComparison.Ordinal);
                    options.Settings.Add(at > 0 ? (value[..at], value[(at + 1)..]) : throw new ArgumentException($"--setting needs key=value, not {value}"));
                    break;
                case "--cli-setting":
                    int colon = value.IndexOf(':', StringComparison.Ordinal);
                    int equals = value.IndexOf('=', StringComparison.Ordinal);
                    if (colon <= 0 || equals < colon + 2)
                    {
                        throw new ArgumentException($"--cli-setting needs name:key=value, not {value}");
                    }

                    string cli = value[..colon];
                    if (!options.CliSettings.TryGetValue(cli, out List<(string Key, string Value)>? own))
                    {
                        options.CliSettings[cli] = own = [];
                    }

                    own.Add((value[(colon + 1)..equals], value[(equals + 1)..]));
                    break;
                case "--wrap": options.Wrap = value.Split(' ', StringSplitOptions.RemoveEmptyEntries); break;
                case "--exit-when-idle": options.ExitWhenIdleSeconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--cli":
                    int eq = value.IndexOf('=', StringComparison.Ordinal);
                    options.Clis.Add(eq > 0 ? (value[..eq], Path.GetFullPath(value[(eq + 1)..])) : (Path.GetFileName(Path.GetDirectoryName(value)) ?? value, Path.GetFullPath(value)));
                    break;
                default: throw new ArgumentException($"unknown option {args[i - 1]}");
            }
        }

        if (options.Clis.Count == 0)
        {
            // The bench project references the CLI, so `dotnet run -c Release --project bench/...` builds it first.
            string configuration = AppContext.BaseDirectory.Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
            options.Clis.Add(("this-tree", TestSupport.RepositoryPaths.Combine("src", "FuncIngest.Cli", "bin", configuration, "net10.0", "funcingest.dll")));
        }

        if (options.CliSettings.Keys.FirstOrDefault(name => !options.Clis.Exists(c => c.Name == name)) is { } unknown)
        {
            throw new ArgumentException($"--cli-setting names {unknown}, which no --cli names");
        }

        return options;
    }

    private static int Int(string value) => int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
}
