using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FuncIngest.Hosting;
using FuncIngest.Operations;
using Spectre.Console;

namespace FuncIngest.Cli.Commands;

/// <summary><c>funcingest deadletter list|replay</c>: thin over <see cref="DeadLetterManager"/>.</summary>
internal static class DeadLetterCommand
{
    private static readonly Option<bool> s_json = new("--json") { Description = "Print JSON instead of a table." };
    private static readonly Option<string?> s_reason = new("--reason") { Description = "Only dead letters of this reason (NotJson, NotJsonObject, TooDeep, Tombstone, Empty, InvalidUtf8, TooLarge, RefusedByDatabend)." };
    private static readonly Option<string?> s_topic = new("--topic") { Description = "Only dead letters of this topic." };
    private static readonly Option<int?> s_partition = new("--partition") { Description = "Only dead letters of this partition (with --topic)." };

    public static Command Build()
    {
        var command = new Command("deadletter", "List dead-lettered records, and replay them into the table once their cause is fixed (exactly once, however often replay runs).");
        command.Subcommands.Add(BuildList());
        command.Subcommands.Add(BuildReplay());
        return command;
    }

    private static Command BuildList()
    {
        var list = new Command("list", "List dead-lettered records: topic, partition, offset, reason, detail, when.");
        foreach (Option option in new Option[] { s_reason, s_topic, s_partition, s_json })
        {
            list.Options.Add(option);
        }

        list.Validators.Add(Validate);
        list.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            IReadOnlyList<DeadLetter> letters = await Manager(parse).ListAsync(parse.GetValue(s_reason), parse.GetValue(s_topic), parse.GetValue(s_partition), cancellationToken);
            if (parse.GetValue(s_json))
            {
                output.WriteLine(JsonSerializer.Serialize([.. letters.Select(l => new DeadLetterRow(l.File, l.Topic, l.Partition, l.Offset, l.Reason, l.Detail, l.DeadLetteredAt, null, null))], OperationsJsonContext.Default.ListDeadLetterRow));
                return ExitCodes.Ok;
            }

            if (letters.Count == 0)
            {
                output.WriteLine("no dead letters");
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("topic", "partition", "offset", "reason", "detail", "dead-lettered at (UTC)", "file");
            foreach (DeadLetter l in letters)
            {
                table.AddRow(Markup.Escape(l.Topic), $"{l.Partition}", $"{l.Offset}", l.Reason, Markup.Escape(l.Detail ?? string.Empty),
                    l.DeadLetteredAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "?", Markup.Escape(l.File));
            }

            CliConsole.Create(output).Write(table);
            return ExitCodes.Ok;
        }, cancellationToken));
        return list;
    }

    private static Command BuildReplay()
    {
        var replay = new Command("replay", "Replay dead letters through the current encoder into the table. Loaded ones move to _deadletter_replayed/; what still fails stays, with its new reason.");
        foreach (Option option in new Option[] { s_reason, s_topic, s_partition, s_json })
        {
            replay.Options.Add(option);
        }

        replay.Validators.Add(Validate);
        replay.SetAction((parse, cancellationToken) => CliApplication.GuardAsync(parse, async output =>
        {
            DeadLetterManager manager = Manager(parse);
            IReadOnlyList<ReplayedDeadLetter> results = !parse.GetValue(s_json) && CliConsole.Live(output) is { } terminal
                ? await terminal.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .StartAsync(context => manager.ReplayAsync(parse.GetValue(s_reason), parse.GetValue(s_topic), parse.GetValue(s_partition), new ReplayBars(context), cancellationToken))
                : await manager.ReplayAsync(parse.GetValue(s_reason), parse.GetValue(s_topic), parse.GetValue(s_partition), cancellationToken: cancellationToken);
            if (parse.GetValue(s_json))
            {
                output.WriteLine(JsonSerializer.Serialize(
                    [.. results.Select(r => new DeadLetterRow(r.Letter.File, r.Letter.Topic, r.Letter.Partition, r.Letter.Offset, r.Letter.Reason, r.Letter.Detail, r.Letter.DeadLetteredAt, r.Outcome.ToString(), r.Reason))],
                    OperationsJsonContext.Default.ListDeadLetterRow));
            }
            else
            {
                foreach (ReplayedDeadLetter r in results.Where(r => r.Outcome is not (DeadLetterReplayOutcome.Loaded or DeadLetterReplayOutcome.AlreadyLoaded)))
                {
                    output.WriteLine(r.Outcome == DeadLetterReplayOutcome.Waiting
                        ? $"waiting {r.Letter.Topic}[{r.Letter.Partition}]@{r.Letter.Offset}: the loader has not passed this offset yet; replay after the next load pass"
                        : $"still a dead letter {r.Letter.Topic}[{r.Letter.Partition}]@{r.Letter.Offset}: {r.Reason}");
                }

                output.WriteLine(string.Join(", ", Enum.GetValues<DeadLetterReplayOutcome>().Select(o => $"{Name(o)} {results.Count(r => r.Outcome == o)}")));
            }

            return results.All(r => r.Outcome is DeadLetterReplayOutcome.Loaded or DeadLetterReplayOutcome.AlreadyLoaded) ? ExitCodes.Ok : ExitCodes.ProblemFound;
        }, cancellationToken));
        return replay;
    }

    private static string Name(DeadLetterReplayOutcome outcome) => outcome switch
    {
        DeadLetterReplayOutcome.Loaded => "loaded",
        DeadLetterReplayOutcome.AlreadyLoaded => "already loaded",
        DeadLetterReplayOutcome.StillRejected => "still rejected",
        DeadLetterReplayOutcome.RefusedAgain => "refused again",
        _ => "waiting",
    };

    private static void Validate(System.CommandLine.Parsing.CommandResult result)
    {
        if (result.GetValue(s_partition) is not null && result.GetValue(s_topic) is null)
        {
            result.AddError("--partition needs --topic");
        }
    }

    private static DeadLetterManager Manager(ParseResult parse)
    {
        FuncIngestSettings settings = CliApplication.LoadSettings(parse);
        settings.Validate(kafka: false, databend: true, stage: true);
        return new DeadLetterManager(Clients.Databend(settings), Clients.Stage(settings), settings.Staging, settings.Loader);
    }

    /// <summary>The bars of <c>deadletter replay</c> on a terminal, one per step, moved synchronously (Progress&lt;T&gt; would post them out of order).</summary>
    private sealed class ReplayBars(ProgressContext context) : IProgress<DeadLetterReplayProgress>
    {
        private readonly Dictionary<DeadLetterReplayStep, ProgressTask> _bars = new()
        {
            [DeadLetterReplayStep.Staging] = context.AddTask("encode and stage", autoStart: false),
            [DeadLetterReplayStep.Loading] = context.AddTask("load", autoStart: false),
            [DeadLetterReplayStep.MovingFiles] = context.AddTask("move replayed files", autoStart: false),
        };

        public void Report(DeadLetterReplayProgress value)
        {
            ProgressTask bar = _bars[value.Step];
            bar.MaxValue = Math.Max(1, value.Total);
            bar.Value = value.Total == 0 ? bar.MaxValue : value.Done;
            // Loading is one statement with no count to show until it returns.
            bar.IsIndeterminate = value.Step == DeadLetterReplayStep.Loading && value.Done < value.Total;
            bar.StartTask();
            if (value.Done >= value.Total)
            {
                bar.StopTask();
            }
        }
    }
}
