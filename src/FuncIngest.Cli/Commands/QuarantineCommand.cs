using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FuncIngest.Hosting;
using FuncIngest.Operations;
using FuncIngest.Staging;
using Spectre.Console;

namespace FuncIngest.Cli.Commands;

/// <summary><c>funcingest quarantine list|release</c>: thin over <see cref="QuarantineManager"/>.</summary>
internal static class QuarantineCommand
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON instead of a table." };
    private static readonly Option<string?> s_topic = new("--topic") { Description = "Release the files of this topic (with --partition)." };
    private static readonly Option<int?> s_partition = new("--partition") { Description = "Release the files of this partition (with --topic)." };
    private static readonly Option<string?> s_file = new("--file") { Description = "Release this file (its path as `quarantine list` shows it, or its file name when unique)." };
    private static readonly Option<bool> s_all = new("--all") { Description = "Release every quarantined file of the table." };

    public static Command Build()
    {
        var command = new Command("quarantine", "List the files the loader quarantined, and release them back to the staged area once the cause is fixed.");
        command.Subcommands.Add(BuildList());
        command.Subcommands.Add(BuildRelease());
        return command;
    }

    private static Command BuildList()
    {
        var list = new Command("list", "List quarantined files: path, topic, partition, offsets, rows, when, and the loader's error.");
        list.Options.Add(s_json);
        list.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            QuarantineManager manager = Manager(parse);
            IReadOnlyList<QuarantinedFile> files = await manager.ListAsync(cancellationToken);
            if (parse.GetValue(s_json))
            {
                output.WriteLine(JsonSerializer.Serialize([.. files.Select(Row)], OperationsJsonContext.Default.ListQuarantineRow));
                return ExitCodes.Ok;
            }

            if (files.Count == 0)
            {
                output.WriteLine("no quarantined files");
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("file", "topic", "partition", "offsets", "rows", "quarantined at (UTC)", "error");
            foreach (QuarantinedFile file in files)
            {
                table.AddRow(
                    Markup.Escape(file.Name.Path), Markup.Escape(file.Name.Topic), $"{file.Name.Partition}", $"{file.Name.FirstOffset}-{file.Name.LastOffset}",
                    file.Lines < 0 ? "?" : $"{file.Lines}", file.QuarantinedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Markup.Escape(file.Error));
            }

            CliConsole.Create(output).Write(table);
            return ExitCodes.Ok;
        }, cancellationToken));
        return list;
    }

    private static Command BuildRelease()
    {
        var release = new Command("release", "Move quarantined files back to the staged area; the loader loads them and the ledger makes sure nothing loads twice.");
        foreach (Option option in new Option[] { s_topic, s_partition, s_file, s_all, s_json })
        {
            release.Options.Add(option);
        }

        release.Validators.Add(result =>
        {
            bool byPartition = result.GetValue(s_topic) is not null || result.GetValue(s_partition) is not null;
            bool byFile = result.GetValue(s_file) is not null;
            bool all = result.GetValue(s_all);
            if ((byPartition ? 1 : 0) + (byFile ? 1 : 0) + (all ? 1 : 0) != 1)
            {
                result.AddError("give exactly one of --topic T --partition P, --file NAME or --all");
            }
            else if (byPartition && (result.GetValue(s_topic) is null || result.GetValue(s_partition) is null))
            {
                result.AddError("--topic and --partition go together");
            }
        });
        release.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            QuarantineManager manager = Manager(parse);
            QuarantineSelection selection = parse.GetValue(s_all)
                ? QuarantineSelection.All
                : new QuarantineSelection(parse.GetValue(s_topic), parse.GetValue(s_partition), parse.GetValue(s_file));
            IReadOnlyList<ReleasedFile> released = await manager.ReleaseAsync(selection, cancellationToken);
            if (parse.GetValue(s_json))
            {
                output.WriteLine(JsonSerializer.Serialize(
                    [.. released.Select(r => new ReleaseRow(r.File.Name.Path, r.Outcome.ToString(), r.Lines, r.Detail))],
                    OperationsJsonContext.Default.ListReleaseRow));
            }
            else
            {
                foreach (ReleasedFile r in released)
                {
                    output.WriteLine(r.Outcome switch
                    {
                        ReleaseOutcome.Released => $"released {r.File.Name.Path} ({r.Lines} rows)",
                        ReleaseOutcome.ReleasedWithoutDeadLetters => $"released {r.File.Name.Path} ({r.Lines} rows; {r.Detail}, left to `deadletter replay`)",
                        ReleaseOutcome.RemovedAllDeadLettered => $"removed {r.File.Name.Path}: {r.Detail}, left to `deadletter replay`",
                        ReleaseOutcome.Refilled => $"loaded {r.File.Name.Path} below the ledger ({r.Lines} rows{(r.Detail is null ? string.Empty : "; " + r.Detail)})",
                        _ => $"kept {r.File.Name.Path}: loading it failed again: {r.Detail}",
                    });
                }

                int moved = released.Count(r => r.Outcome is ReleaseOutcome.Released or ReleaseOutcome.ReleasedWithoutDeadLetters);
                int refilled = released.Count(r => r.Outcome == ReleaseOutcome.Refilled);
                output.WriteLine($"{moved} of {released.Count} files back in the staged area; the next load pass (`funcingest run`, or the Functions app's loader) loads them");
                if (refilled > 0)
                {
                    output.WriteLine($"{refilled} files were behind the ledger and are loaded already");
                }
            }

            return released.Any(r => r.Outcome == ReleaseOutcome.KeptFailedAgain) ? ExitCodes.ProblemFound : ExitCodes.Ok;
        }, cancellationToken));
        return release;
    }

    private static QuarantineManager Manager(ParseResult parse)
    {
        FuncIngestSettings settings = CliApplication.LoadSettings(parse);
        settings.Validate(kafka: false, databend: true, stage: true);
        IStageStore store = Clients.Stage(settings);
        return new QuarantineManager(Clients.Databend(settings), store, settings.Staging, settings.Loader);
    }

    private static QuarantineRow Row(QuarantinedFile file) =>
        new(file.Name.Path, file.Name.Topic, file.Name.Partition, file.Name.FirstOffset, file.Name.LastOffset, file.Lines, file.QuarantinedAt, file.Error);
}
