using System.Globalization;

namespace FuncIngest.Benchmarks.EndToEnd;

/// <summary>Command line of <c>e2e</c>: <c>--records N --value-bytes B --partitions P --batch-records R --repeat K --cli name=path/funcingest.dll</c>.</summary>
public sealed class EndToEndOptions
{
    public int Records { get; private set; } = 400_000;

    public int ValueBytes { get; private set; } = 200;

    public int Partitions { get; private set; } = 4;

    /// <summary>FuncIngest__Run__MaxBatchRecords; null keeps the CLI's default.</summary>
    public int? BatchRecords { get; private set; }

    public int Repeat { get; private set; } = 1;

    public double ExitWhenIdleSeconds { get; private set; } = 2;

    /// <summary>The builds to compare, in order; by default this tree's own Release build.</summary>
    public List<(string Name, string Dll)> Clis { get; } = [];

    public static EndToEndOptions Parse(string[] args)
    {
        var options = new EndToEndOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            i++;
            switch (args[i - 1])
            {
                case "--records": options.Records = Int(value); break;
                case "--value-bytes": options.ValueBytes = Int(value); break;
                case "--partitions": options.Partitions = Int(value); break;
                case "--batch-records": options.BatchRecords = Int(value); break;
                case "--repeat": options.Repeat = Int(value); break;
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

        return options;
    }

    private static int Int(string value) => int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
}
